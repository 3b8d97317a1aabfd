import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peekMessageHeader, readTlv } from '../../src/capture/trap-in-wire';
import { classifyRefusal, classifySilentDrop } from '../../src/capture/trap-in-rejections';

// Datagrams sent by Net-SNMP 5.9.3 (snmptrap / snmpinform, captured on a UDP socket).
const captured = {
  // snmptrap -v1 -c public H 1.3.6.1.4.1.8072.3.2.10 198.51.100.7 0 0 '' 1.3.6.1.2.1.1.5.0 s host
  v1: '303e02010004067075626c6963a431060a2b06010401bf0803020a4004c6336407020100020100430300ece33012301006082b060102010105000404686f7374',
  // snmptrap -v2c -c public H '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.2 i 2
  v2c: '305602010104067075626c6963a749020404e507a1020100020100303b300f06082b06010201010300430300ece53017060a2b06010603010104010006092b0601060301010504300f060a2b060102010202010102020102',
  // snmptrap -v3 -u alice -l authPriv -a SHA -A alicepass1 -x AES -X aliceprivkey H '' 1.3.6.1.6.3.1.1.5.1
  v3authPriv: '3081a7020103301102040275a437020300ffe3040103020103043c303a041180001f8880125e41763d64076b00000000020101020300ecea0405616c696365040c1f6c673700b0b488feb183120408309b4ba8587fd4840451772a553e4f7aee5deeef5dbe47ca080c253b3bcab5063846e6b578eb01636a1961d7d49c3aa12f6f45797e00ff2835a3ef9996be8afcca9810a61f44197e0dbf74978ae6115ce0755e90a873cd02dd95a3',
  // snmptrap -v3 -u carol -l authNoPriv -a MD5 -A carolpass1 H '' 1.3.6.1.6.3.1.1.5.2
  v3authNoPriv: '30819d020103301102043f58ed91020300ffe304010102010304343032041180001f8880125e41763d64076b00000000020101020300eced04056361726f6c040c748f11b14408aaab637713350400304f041180001f8880125e41763d64076b000000000400a73802042ff26d04020100020100302a300f06082b06010201010300430300eced3017060a2b06010603010104010006092b0601060301010502',
  // the engine-ID discovery snmpinform -v3 sends first
  v3discovery: '304f02010330110204248d15c6020300ffe30401040201030410300e04000201000201000400040004003025041180001f8880125e41763d64076b000000000400a00e02044255cb7a0201000201003000',
};
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

// A small BER generator, to build what Net-SNMP never sends (long lengths, odd fields).
function tlv(tag: number, value: Uint8Array, longLength = false): Uint8Array {
  const n = value.length;
  const len = !longLength && n < 0x80 ? [n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...len, ...value]);
}
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concat(parts));
const int = (v: number): Uint8Array => tlv(0x02, Uint8Array.from([v]));
const str = (s: string | number[]): Uint8Array =>
  tlv(0x04, typeof s === 'string' ? new TextEncoder().encode(s) : Uint8Array.from(s));
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
function v3Message(flags: number, user: string, scoped: Uint8Array, longLength = false): Uint8Array {
  const usm = seq(str([0x80, 0, 0x1f, 0x88]), int(1), int(2), str(user), str(''), str(''));
  return tlv(0x30, concat([int(3), seq(int(7), tlv(0x02, Uint8Array.from([0x05, 0xdc])), str([flags]), int(3)),
    tlv(0x04, usm), scoped]), longLength);
}

test('Net-SNMP v1 and v2c messages show their version', () => {
  assert.equal(peekMessageHeader(bytes(captured.v1)), { version: 0, v3: null });
  assert.equal(peekMessageHeader(bytes(captured.v2c)), { version: 1, v3: null });
});

test('Net-SNMP v3 messages show flags, user and (unless encrypted) the PDU type', () => {
  assert.equal(peekMessageHeader(bytes(captured.v3authPriv)), { version: 3, v3: { flags: 3, userName: 'alice', pduTag: null } });
  assert.equal(peekMessageHeader(bytes(captured.v3authNoPriv)), { version: 3, v3: { flags: 1, userName: 'carol', pduTag: 0xa7 } });
  assert.equal(peekMessageHeader(bytes(captured.v3discovery)), { version: 3, v3: { flags: 4, userName: '', pduTag: 0xa0 } });
});

test('long-form BER lengths are read', () => {
  const scoped = seq(str(''), str(''), tlv(0xa6, new Uint8Array(0)));
  assert.equal(peekMessageHeader(v3Message(5, 'dave', scoped, true)), { version: 3, v3: { flags: 5, userName: 'dave', pduTag: 0xa6 } });
  assert.equal(readTlv(Uint8Array.from([0x04, 0x81, 0x01, 0x41]), 0, 4), { tag: 4, start: 3, end: 4 });
});

test('lengths that run past the datagram are refused', () => {
  assert.is(readTlv(Uint8Array.from([0x04, 0x05, 0x41]), 0, 3), null);
  assert.is(readTlv(Uint8Array.from([0x04, 0x80]), 0, 2), null);            // indefinite length
  assert.is(readTlv(Uint8Array.from([0x04, 0x85, 1, 1, 1, 1, 1]), 0, 7), null); // 5 length bytes
  assert.is(readTlv(Uint8Array.from([0x04]), 0, 1), null);
});

test('every truncation of a real message is refused or read without throwing', () => {
  for (const hex of Object.values(captured)) {
    const full = bytes(hex);
    for (let len = 0; len < full.length; len++) {
      const header = peekMessageHeader(full.subarray(0, len));
      // The outer SEQUENCE length no longer fits, so nothing is read.
      assert.is(header, null, `${hex.slice(0, 16)}... cut to ${len}`);
    }
  }
});

test('random and mutated datagrams never make the peek throw', () => {
  let seed = 0x5eed;
  const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const seeds = Object.values(captured).map(bytes);
  for (let i = 0; i < 20000; i++) {
    let b: Uint8Array;
    if (i % 2 === 0) {
      b = Uint8Array.from(seeds[i % seeds.length]);
      for (let k = 0; k < 3; k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
    } else {
      b = new Uint8Array(Math.floor(random() * 120));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(random() * 256);
      if (b.length > 0 && random() < 0.5) b[0] = 0x30;
    }
    const header = peekMessageHeader(b);
    assert.ok(header === null || typeof header.version === 'number');
  }
});

const users = new Set(['alice', 'carol']);
const v3header = (flags: number, userName: string, pduTag: number | null) => ({ version: 3, v3: { flags, userName, pduTag } });

test('net-snmp refusals map to reasons', () => {
  const failed = { name: 'RequestFailedError' };
  assert.is(classifyRefusal(failed, { version: 1, v3: null }, users), 'badCommunity');
  assert.is(classifyRefusal(failed, { version: 0, v3: null }, users), 'badCommunity');
  assert.is(classifyRefusal(failed, v3header(0, 'mallory', 0xa7), users), 'unknownUser');
  assert.is(classifyRefusal(failed, v3header(0, 'alice', 0xa7), users), 'authFailure'); // below alice's level
  assert.is(classifyRefusal(failed, null, users), 'malformed');
  assert.is(classifyRefusal({ name: 'ResponseInvalidError', code: 5 }, v3header(3, 'alice', null), users), 'authFailure');
  assert.is(classifyRefusal({ name: 'ResponseInvalidError', code: 4 }, v3header(3, 'alice', null), users), 'authFailure');
  assert.is(classifyRefusal({ name: 'ResponseInvalidError', code: 3 }, null, users), 'malformed');
  assert.is(classifyRefusal({ name: 'ProcessingError' }, null, users), 'malformed');
  assert.is(classifyRefusal({ name: 'RequestInvalidError' }, { version: 1, v3: null }, users), 'malformed');
});

test('datagrams net-snmp answered with a report map to reasons, discovery apart', () => {
  assert.is(classifySilentDrop(peekMessageHeader(bytes(captured.v3discovery)), users), 'discovery');
  assert.is(classifySilentDrop(v3header(7, 'mallory', null), users), 'unknownUser');
  assert.is(classifySilentDrop(v3header(5, 'alice', 0xa6), users), 'authFailure');
  assert.is(classifySilentDrop(v3header(4, 'alice', 0xa6), users), 'authFailure');
  assert.is(classifySilentDrop({ version: 1, v3: null }, users), 'malformed');
  assert.is(classifySilentDrop(null, users), 'malformed');
});

test.run();
