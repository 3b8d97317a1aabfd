// blobmsg encode/decode: byte layouts worked out from the format (libubox's blob.h/blobmsg.h),
// round trips of every type, what malformed input is refused with, and random input that must
// never raise anything but BlobError. The same values through the real ubusd and ubus CLI are
// in ubus-real-ubusd.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobError, BlobWriter } from '../../src/ubus/blob';
import { decodeTable, double, encodedSize, encodeTable, int16, int32, int64, int8, MAX_DEPTH, type BlobmsgValue } from '../../src/ubus/blobmsg';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(.{8})/g, '$1 ').trim();
const decode = (b: Uint8Array) => decodeTable(b, 0, b.length);

test('layout: an int32 is a 4-byte header (extended, type 5, length 12), the padded name, the value', () => {
  assert.is(hex(encodeTable({ a: 1 })), '8500000c 00016100 00000001');
});

test('layout: a string ends in NUL and is padded to 4; the length field leaves the padding out', () => {
  assert.is(hex(encodeTable({ s: 'ab' })), '8300000b 00017300 61620000');
});

test('layout: a table holds its padded children; an array\'s items have empty names', () => {
  assert.is(hex(encodeTable({ t: {} })), '82000008 00017400');
  // array 'l' [true]: the int8 item is 9 bytes long, 12 with padding, all counted in the array.
  assert.is(hex(encodeTable({ l: [true] })), '81000014 00016c00 87000009 00000000 01000000');
});

test('layout: int64 and double are 8 bytes big-endian; null has no payload', () => {
  assert.is(hex(encodeTable({ i: 2 ** 40 })), '84000010 00016900 00000100 00000000');
  assert.is(hex(encodeTable({ d: 1.5 })), '88000010 00016400 3ff80000 00000000');
  assert.is(hex(encodeTable({ n: null })), '80000008 00016e00');
});

test('round trip: every type, nested, empty, unicode, names of many lengths', () => {
  const value = {
    s: 'text', empty: '', unicode: 'grüße, 日本, 🙂', t: true, f: false, n: null,
    small: -7, int32max: 2147483647, int32min: -2147483648, beyond32: 2147483648, negative64: -(2 ** 50),
    safeMax: Number.MAX_SAFE_INTEGER, big: 2n ** 62n, float: -0.125, tiny: 5e-324, huge: 1.7976931348623157e308,
    table: { nested: { deeper: { list: [1, 'two', [3], { four: 4 }] } } }, emptyTable: {}, emptyList: [],
    abc: 1, abcd: 2, abcde: 3, ['x'.repeat(300)]: 'long name',
  };
  assert.equal(decode(encodeTable(value)), value as unknown as BlobmsgValue);
  assert.is(encodedSize(value), encodeTable(value).length);
});

test('round trip: large values (a 200 KB string, an array of 20,000 tables)', () => {
  const value = { text: 'x'.repeat(200_000), rows: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `row ${i}` })) };
  const bytes = encodeTable(value);
  assert.ok(bytes.length > 600_000, `${bytes.length}`);
  assert.equal(decode(bytes), value as unknown as BlobmsgValue);
});

test('round trip: seeded random values', () => {
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };
  const make = (depth: number): BlobmsgValue => {
    const k = Math.floor(rnd() * (depth > 4 ? 6 : 8));
    switch (k) {
      case 0: return Math.floor(rnd() * 2 ** 31) * (rnd() < 0.5 ? -1 : 1);
      case 1: return Math.floor(rnd() * 2 ** 52);
      case 2: return rnd() * 1e6;
      case 3: return String.fromCharCode(...Array.from({ length: Math.floor(rnd() * 20) }, () => 32 + Math.floor(rnd() * 2000)));
      case 4: return rnd() < 0.5;
      case 5: return null;
      case 6: return Array.from({ length: Math.floor(rnd() * 5) }, () => make(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => [`k${i}`, make(depth + 1)]));
    }
  };
  for (let i = 0; i < 300; i++) {
    const value = { v: make(0) };
    const bytes = encodeTable(value);
    assert.equal(decode(bytes), value);
    assert.is(encodedSize(value), bytes.length, 'the size is known without encoding');
  }
});

test('widths: values sent as int8, int16, int32, int64 or double on request', () => {
  const sized = { b: int8(1), h: int16(-300), hu: int16(65535), w: int32(0xffffffff), q: int64(2n ** 63n - 1n), d: double(3), n: 2n };
  const bytes = encodeTable(sized);
  assert.is(encodedSize(sized), bytes.length);
  // The int8 reads back as a boolean, as libubox's JSON shows it; unsigned values read signed.
  assert.equal(decode(bytes), { b: true, h: -300, hu: -1, w: -1, q: 2n ** 63n - 1n, d: 3, n: 2 });
  assert.is(hex(encodeTable({ h: int16(-300) })), '8600000a 00016800 fed40000');
  assert.is(hex(encodeTable({ d: double(3) })).slice(0, 8), '88000010');
});

test('encoding refuses what blobmsg cannot carry, naming where it is', () => {
  assert.throws(() => encodeTable({ a: int8(300) }), /\.a 300 does not fit int8/);
  assert.throws(() => encodeTable({ a: { b: [() => 1] } }), /\.a\.b\[0\] is a function/);
  assert.throws(() => encodeTable({ ['n'.repeat(70_000)]: 1 }), /name of 70000 bytes exceeds 65535/);
});

test('undefined entries are left out of tables and read as null in arrays, as JSON has it', () => {
  assert.equal(decode(encodeTable({ a: undefined, b: [undefined, 1] })), { b: [null, 1] });
});

test('decoding: names such as __proto__ are plain entries; of two equal names the first wins', () => {
  const w = new BlobWriter();
  for (const [name, v] of [['__proto__', 1], ['x', 2], ['x', 3]] as const) {
    w.open(5, true); w.u16(name.length); w.bytes(new TextEncoder().encode(name)); w.u8(0); w.pad(); w.u32(v); w.close();
  }
  const t = decode(w.finish());
  assert.is(Object.getPrototypeOf(t), Object.prototype);
  assert.equal(Object.keys(t), ['__proto__', 'x']);
  assert.is(t.x, 2);
});

/** One attribute written by hand: header word, then raw bytes. */
function raw(word: number, ...bytes: number[]): Uint8Array {
  const b = new Uint8Array(4 + bytes.length);
  new DataView(b.buffer).setUint32(0, word >>> 0);
  b.set(bytes, 4);
  return b;
}

const MALFORMED: [string, Uint8Array, RegExp][] = [
  ['a header cut short', new Uint8Array([0x85, 0, 0]), /header at offset 0 cut short/],
  ['a length below the header\'s', raw(0x85000002), /length 2, less than its own header/],
  ['a length past the end', raw(0x85000010, 0, 1, 0x61, 0), /claims 16 bytes, only 8 are there/],
  ['an entry without a name', raw(0x05000008, 0, 0, 0, 1), /has no name/],
  ['an empty name', raw(0x85000008, 0, 0, 0, 0), /has an empty name/],
  ['a name without its NUL', raw(0x8500000c, 0, 1, 0x61, 0x62, 0, 0, 0, 1), /does not end in NUL/],
  ['a name longer than its attribute', raw(0x85000008, 0, 9, 0x61, 0), /name of 9 bytes .* runs past/],
  ['a string without NUL', raw(0x8300000b, 0, 1, 0x73, 0, 0x61, 0x62, 0x63, 0), /string at offset 8 does not end in NUL/],
  ['an int32 of 3 bytes', raw(0x8500000b, 0, 1, 0x61, 0, 0, 0, 1, 0), /int32 at offset 8 has 3 bytes, not 4/],
  ['a double of 4 bytes', raw(0x8800000c, 0, 1, 0x64, 0, 0, 0, 0, 0), /double at offset 8 has 4 bytes, not 8/],
  ['an unknown type', raw(0x89000008, 0, 1, 0x61, 0), /unknown blobmsg type 9/],
];

for (const [what, bytes, message] of MALFORMED) {
  test(`decoding refuses ${what} with a BlobError`, () => {
    try {
      decode(bytes);
      assert.unreachable('decoded');
    } catch (err) {
      assert.instance(err, BlobError);
      assert.match((err as Error).message, message);
    }
  });
}

test(`decoding refuses nesting deeper than ${MAX_DEPTH} levels`, () => {
  let v: object = {};
  for (let i = 0; i < MAX_DEPTH + 2; i++) v = { t: v };
  assert.throws(() => decode(encodeTable(v)), (err: unknown) => err instanceof BlobError && /deeper than 64/.test((err as Error).message));
  let ok: object = {};
  for (let i = 0; i < MAX_DEPTH; i++) ok = { t: ok };
  decode(encodeTable(ok));
});

test('fuzz: random bytes and mutated messages decode or raise BlobError, nothing else', () => {
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const valid = encodeTable({ a: 1, s: 'str', t: { l: [1, 2, { x: null }], d: 2.5 }, b: true, q: 2 ** 40 });
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = Uint8Array.from({ length: rnd(64) }, () => rnd(256));
    } else {
      bytes = valid.slice(0, valid.length - (i % 5 === 1 ? rnd(8) : 0));
      for (let k = 0; k <= rnd(4); k++) bytes[rnd(bytes.length)] = rnd(256);
    }
    try {
      decode(bytes);
      decoded++;
    } catch (err) {
      if (!(err instanceof BlobError)) throw new Error(`input ${hex(bytes)} raised ${(err as Error).stack}`);
    }
  }
  assert.ok(decoded > 0, 'some mutations still decode');
});

test.run();
