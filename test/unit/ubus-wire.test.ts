// ubus frames: the header and body layout, cutting a byte stream into frames however it is
// split, the frames that make the stream unreadable, and each attribute's size check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobError } from '../../src/ubus/blob';
import { Attr, encodeMessage, FrameReader, FramingError, MAX_MESSAGE, MsgType, parseMessage, statusName } from '../../src/ubus/wire';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(.{8})/g, '$1 ').trim();

function invoke(seq: number, objId: number, method: string): Uint8Array {
  return encodeMessage(MsgType.invoke, seq, 0x1234, (w) => {
    w.putU32(Attr.objId, objId);
    w.putString(Attr.method, method);
    w.open(Attr.data);
    w.close();
  });
}

test('layout: version 0, type, seq and peer big-endian, then the body attribute with the message\'s attributes', () => {
  const m = invoke(7, 0xdeadbeef, 'status');
  assert.is(hex(m), [
    '00050007', '00001234', // version, invoke, seq 7; peer
    '0000001c', // body: id 0, 28 bytes
    '03000008', 'deadbeef', // objid
    '0400000b', '73746174', '75730000', // method "status\0" + padding
    '07000004', // empty data
  ].join(' '));
  const p = parseMessage(m);
  assert.equal({ type: p.type, seq: p.seq, peer: p.peer, objId: p.objId, method: p.method, data: p.data },
    { type: MsgType.invoke, seq: 7, peer: 0x1234, objId: 0xdeadbeef, method: 'status', data: { start: 36, end: 36 } });
});

test('frames: every way of splitting three frames across chunks gives the same three frames', () => {
  const frames = [invoke(1, 10, 'a'), invoke(2, 20, 'outages'), invoke(3, 30, 'reload')];
  const stream = Buffer.concat(frames);
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const step of [1, 5, stream.length]) {
      const r = new FrameReader();
      const got: Uint8Array[] = [];
      const pushAndRead = (b: Uint8Array) => { r.push(b); for (let f; (f = r.next()) !== null;) got.push(f); };
      pushAndRead(stream.subarray(0, cut));
      for (let at = cut; at < stream.length; at += step) pushAndRead(stream.subarray(at, Math.min(at + step, stream.length)));
      assert.equal(got.map(hex), frames.map(hex), `cut ${cut} step ${step}`);
    }
  }
});

test('frames: a wrong version, a body length below 4 or above ubus\'s limit make the stream unreadable', () => {
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.from([1, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4]), /version 1, expected 0/],
    [Uint8Array.from([0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]), /length 2 is less than its own header/],
    // The limit is checked on the header alone: nothing of the claimed megabytes is buffered.
    [Uint8Array.from([0, 5, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 4]), new RegExp(`1048580 bytes exceeds ubus's ${MAX_MESSAGE}`)],
  ];
  for (const [bytes, message] of cases) {
    const r = new FrameReader();
    r.push(bytes);
    assert.throws(() => r.next(), (err: unknown) => err instanceof FramingError && message.test((err as Error).message));
  }
});

test('attributes: each is checked for its type\'s size; unknown ones are skipped', () => {
  const with_ = (fill: Parameters<typeof encodeMessage>[3]) => parseMessage(encodeMessage(MsgType.status, 1, 0, fill));
  assert.is(with_((w) => { w.putU32(Attr.status, 0xfffffffe); w.put(30, new Uint8Array([1, 2])); }).status, -2);
  assert.throws(() => with_((w) => w.put(Attr.objId, new Uint8Array([0, 1]))), (e: unknown) => e instanceof BlobError && /attribute 3 has 2 bytes, not 4/.test(String(e)));
  assert.throws(() => with_((w) => w.put(Attr.method, new Uint8Array([0x61, 0x62]))), (e: unknown) => e instanceof BlobError && /string attribute 4 does not end in NUL/.test(String(e)));
  assert.throws(() => with_((w) => w.put(Attr.noReply, new Uint8Array([0, 1]))), (e: unknown) => e instanceof BlobError && /attribute 10 has 2 bytes, not 1/.test(String(e)));
  const bad = encodeMessage(MsgType.status, 1, 0, (w) => w.putU32(Attr.status, 0));
  bad[11] = 0x40; // body longer than the frame
  assert.throws(() => parseMessage(bad), (e: unknown) => e instanceof BlobError);
});

test('status names for log lines', () => {
  assert.is(statusName(0), 'ok');
  assert.is(statusName(9), 'unknown error');
  assert.is(statusName(99), 'status 99');
});

test.run();
