// Bounded, seeded fuzzing: random bytes and mutated valid frames through every link-layer
// decoder, and mutated capture files through the file reader. Same seed, same inputs, so a
// failure names a reproducible iteration. Invariants: nothing escapes as an exception; every
// frame is counted exactly once; observations carry in-range numbers; a frame decodes the same
// alone and embedded in a larger buffer (nothing is read outside [off, off+len)).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NullObservations } from '../../src/net/observations';
import * as g from '../../src/packet/generate';
import { FrameDecoder } from '../../src/packet/dispatch';
import { decodeOutcomes } from '../../src/packet/stats';
import { CaptureFormatError, forEachPacket, writePcap, writePcapng } from '../../src/packet/pcapfile';

const ITERATIONS = 100_000;
const FILE_ITERATIONS = 10_000;

/**
 * Checks every argument and folds them into a hash, allocating nothing per call. An IPv6
 * address must lie inside the frame being decoded ([from, to) of the buffer); its 16 bytes,
 * not its offset, go into the hash.
 */
class CheckingObservations extends NullObservations {
  calls = 0;
  hash = 0;
  problems: string[] = [];
  from = 0;
  to = 0;
  private mix(v: number): void {
    this.hash = (Math.imul(this.hash, 31) + (v | 0) + Math.floor(v / 4294967296)) | 0;
  }
  private check(what: string, v: number, max: number): void {
    this.mix(v);
    if (!(Number.isInteger(v) && v >= 0 && v <= max) && this.problems.length < 10) this.problems.push(`${what}=${v}`);
  }
  /** Calls by kind (1-12, in the order of the methods below). */
  readonly kinds = new Array<number>(13).fill(0);
  private begin(kind: number, t: number): void {
    this.calls++;
    this.kinds[kind]++;
    this.mix(kind);
    if (!Number.isFinite(t) && this.problems.length < 10) this.problems.push(`t=${t}`);
  }
  override syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.begin(1, t);
    this.check('client', client, 0xffffffff); this.check('server', server, 0xffffffff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
    this.check('seq', seq, 0xffffffff); this.check('clientMac', clientMac, 0xffffffffffff);
  }
  override synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    this.begin(2, t);
    this.check('server', server, 0xffffffff); this.check('client', client, 0xffffffff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff); this.check('ack', ack, 0xffffffff);
  }
  override reset(t: number, server: number, client: number, sport: number, dport: number): void {
    this.begin(3, t);
    this.check('server', server, 0xffffffff); this.check('client', client, 0xffffffff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
  }
  override icmpUnreachable(t: number, reporter: number, reporterMac: number, client: number, server: number, code: number, proto: number, sport: number, dport: number): void {
    this.begin(4, t);
    this.check('reporter', reporter, 0xffffffff); this.check('reporterMac', reporterMac, 0xffffffffffff); this.check('client', client, 0xffffffff); this.check('server', server, 0xffffffff);
    this.check('code', code, 255); this.check('proto', proto, 255); this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
  }
  override arpRequest(t: number, sender: number, target: number): void {
    this.begin(5, t);
    this.check('sender', sender, 0xffffffff); this.check('target', target, 0xffffffff);
  }
  override arpReply(t: number, sender: number, senderMac: number): void {
    this.begin(6, t);
    this.check('sender', sender, 0xffffffff); this.check('senderMac', senderMac, 0xffffffffffff);
  }
  private address(what: string, bytes: Uint8Array, off: number): void {
    if (!(Number.isInteger(off) && off >= this.from && off + 16 <= this.to) && this.problems.length < 10) {
      this.problems.push(`${what} at ${off}, outside the frame [${this.from}, ${this.to})`);
      return;
    }
    for (let i = 0; i < 16; i++) this.mix(bytes[off + i]);
  }
  override syn6(t: number, bytes: Uint8Array, clientOff: number, serverOff: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.begin(7, t);
    this.address('client', bytes, clientOff); this.address('server', bytes, serverOff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
    this.check('seq', seq, 0xffffffff); this.check('clientMac', clientMac, 0xffffffffffff);
  }
  override synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void {
    this.begin(8, t);
    this.address('server', bytes, serverOff); this.address('client', bytes, clientOff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff); this.check('ack', ack, 0xffffffff);
  }
  override reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void {
    this.begin(9, t);
    this.address('server', bytes, serverOff); this.address('client', bytes, clientOff);
    this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
  }
  override icmp6Unreachable(t: number, bytes: Uint8Array, reporterOff: number, reporterMac: number, clientOff: number, serverOff: number, code: number, proto: number, sport: number, dport: number): void {
    this.begin(10, t);
    this.address('reporter', bytes, reporterOff); this.check('reporterMac', reporterMac, 0xffffffffffff);
    this.address('client', bytes, clientOff); this.address('server', bytes, serverOff);
    this.check('code', code, 255); this.check('proto', proto, 255); this.check('sport', sport, 0xffff); this.check('dport', dport, 0xffff);
  }
  override neighbourSolicit(t: number, bytes: Uint8Array, senderOff: number, targetOff: number): void {
    this.begin(11, t);
    this.address('sender', bytes, senderOff); this.address('target', bytes, targetOff);
  }
  override neighbourAdvert(t: number, bytes: Uint8Array, targetOff: number, targetMac: number): void {
    this.begin(12, t);
    this.address('target', bytes, targetOff); this.check('targetMac', targetMac, 0xffffffffffff);
  }
}

function assertConsistent(name: string, decoder: FrameDecoder, sink: CheckingObservations, frames: number): void {
  const s = decoder.stats;
  assert.equal(sink.problems, [], `${name}: out-of-range observation fields`);
  assert.is(s.frames, frames, `${name}: frames`);
  assert.is(decodeOutcomes(s), s.frames, `${name}: outcome counters add up to frames`);
  assert.is(sink.calls, s.syn + s.synAck + s.reset + s.icmpUnreachable + s.arp + s.neighbour, `${name}: one observation per reported frame`);
}

const hs = { client: '192.0.2.10', server: '198.51.100.20', cport: 40000, sport: 80, seq: 99 };
const hs6 = { client: '2001:db8:1::10', server: '2001:db8:2::20', cport: 40000, sport: 80, seq: 99 };
const NETWORK_PAYLOADS: [number, Uint8Array][] = [
  [0x0800, g.tcpSyn(hs)],
  [0x0800, g.tcpSyn({ ...hs, noOptions: true, ip: { options: Uint8Array.of(1, 1, 1, 0) } })],
  [0x0800, g.tcpSynAck(hs)],
  [0x0800, g.tcpRst(hs)],
  [0x0800, g.tcpData({ src: hs.client, dst: hs.server, sport: 1, dport: 2, data: new Uint8Array(10) })],
  [0x0800, g.icmpUnreachable({ reporter: '203.0.113.1', original: g.tcpSyn(hs) })],
  [0x0800, g.icmpUnreachable({ reporter: '203.0.113.1', original: g.udpPacket({ src: hs.client, dst: hs.server, sport: 5, dport: 6 }), code: 3 })],
  [0x0800, g.udpPacket({ src: hs.client, dst: hs.server, sport: 5, dport: 6, data: new Uint8Array(4) })],
  [0x0800, g.ipv4Packet({ src: hs.client, dst: hs.server, protocol: 6, fragmentOffset: 9, df: false }, new Uint8Array(16))],
  [0x0806, g.arpPacket({ op: 1, senderMac: 1, senderIp: '198.51.100.1', targetIp: hs.server })],
  [0x0806, g.arpPacket({ op: 2, senderMac: 2, senderIp: hs.server, targetMac: 1, targetIp: '198.51.100.1' })],
  [0x86dd, g.tcpSyn(hs6)],
  [0x86dd, g.tcpSyn({ ...hs6, noOptions: true, ip6: { extensions: [{ type: 'hop-by-hop' }, { type: 'fragment', more: true }, { type: 'destination', length: 16 }] } })],
  [0x86dd, g.tcpSynAck({ ...hs6, ip6: { extensions: [{ type: 'routing', length: 24 }] } })],
  [0x86dd, g.tcpRst(hs6)],
  [0x86dd, g.tcpData({ src: hs6.client, dst: hs6.server, sport: 1, dport: 2, data: new Uint8Array(10) })],
  [0x86dd, g.icmp6Unreachable({ reporter: '2001:db8:1::1', original: g.tcpSyn(hs6), quoteLength: 64 })],
  [0x86dd, g.icmp6Unreachable({ reporter: '2001:db8:1::1', code: 4, original: g.udpPacket({ src: hs6.client, dst: hs6.server, sport: 5, dport: 6, ip6: { extensions: [{ type: 'destination' }] } }) })],
  [0x86dd, g.neighbourSolicitation({ src: '2001:db8:2::1', target: hs6.server, srcMac: 1 })],
  [0x86dd, g.neighbourAdvertisement({ src: hs6.server, dst: '2001:db8:2::1', targetMac: 2, solicited: true })],
  [0x86dd, g.ipv6Packet({ src: hs6.client, dst: hs6.server, nextHeader: 6, extensions: [{ type: 'fragment', offset: 9 }] }, new Uint8Array(16))],
  [0x86dd, g.udpPacket({ src: hs6.client, dst: hs6.server, sport: 5, dport: 6, data: new Uint8Array(4) })],
];

/** Valid frames for each link type, to mutate. */
const CORPORA: [string, number, Uint8Array[]][] = [
  ['ethernet', 1, NETWORK_PAYLOADS.flatMap(([type, p]) => [
    g.ethernet({}, type, p),
    g.ethernet({ vlans: [{ vid: 7 }] }, type, p),
    g.ethernet({ vlans: [{ vid: 7, tpid: 0x88a8 }, { vid: 8 }], pad: true }, type, p),
  ])],
  ['SLL', 113, NETWORK_PAYLOADS.map(([type, p]) => g.sll({ addr: 3 }, type, p))],
  ['SLL2', 276, NETWORK_PAYLOADS.map(([type, p]) => g.sll2({ addr: 3 }, type, p))],
  ['RAW', 101, NETWORK_PAYLOADS.filter(([type]) => type !== 0x0806).map(([, p]) => p)],
  ['IPV6', 229, NETWORK_PAYLOADS.filter(([type]) => type === 0x86dd).map(([, p]) => p)],
];

const INTERESTING = [0, 1, 2, 3, 4, 5, 6, 0x08, 0x06, 0x10, 0x12, 0x14, 0x40, 0x45, 0x4f, 0x60, 0x81, 0x88, 0xa8, 0x80, 0x7f, 0xff];

/** Decodes `len` bytes at `off` of `buf`, and again copied alone; both must agree. */
class TwinDecoders {
  readonly alone = new CheckingObservations();
  readonly embedded = new CheckingObservations();
  readonly aloneDecoder = new FrameDecoder(this.alone);
  readonly embeddedDecoder = new FrameDecoder(this.embedded);
  private readonly big = new Uint8Array(8192);
  frames = 0;
  constructor(private readonly random: () => number) {}
  run(name: string, linktype: number, frame: Uint8Array, len: number, i: number): void {
    const off = 1 + Math.floor(this.random() * 512);
    for (let k = off - 1; k < off + len + 64; k++) this.big[k] = (this.random() * 256) | 0;
    this.big.set(frame.subarray(0, len), off);
    const t = 1_700_000_000 + i / 1000;
    this.alone.from = 0; this.alone.to = len;
    this.embedded.from = off; this.embedded.to = off + len;
    try {
      this.aloneDecoder.frame(linktype, frame, 0, len, t);
      this.embeddedDecoder.frame(linktype, this.big, off, len, t);
    } catch (err) {
      assert.unreachable(`${name} iteration ${i}: decoder threw ${String(err)} on ${[...frame.subarray(0, len)].join(',')}`);
    }
    this.frames++;
    if (this.alone.hash !== this.embedded.hash || this.alone.calls !== this.embedded.calls) {
      assert.unreachable(`${name} iteration ${i}: frame decoded differently inside a larger buffer: ${[...frame.subarray(0, len)].join(',')}`);
    }
  }
  assertConsistent(name: string): void {
    assertConsistent(`${name} (alone)`, this.aloneDecoder, this.alone, this.frames);
    assertConsistent(`${name} (embedded)`, this.embeddedDecoder, this.embedded, this.frames);
    assert.equal(this.aloneDecoder.stats, this.embeddedDecoder.stats, `${name}: same counters alone and embedded`);
  }
}

for (const [name, linktype] of [['ethernet', 1], ['SLL', 113], ['SLL2', 276], ['RAW', 101], ['IPV4', 228], ['IPV6', 229], ['unknown link type', 147]] as const) {
  test(`fuzz ${name}: ${ITERATIONS} frames of random bytes`, () => {
    const random = g.seededRandom(0x5eed0000 + linktype);
    const twins = new TwinDecoders(random);
    const frame = new Uint8Array(200);
    for (let i = 0; i < ITERATIONS; i++) {
      const len = Math.floor(random() * random() * 200);
      for (let k = 0; k < len; k++) frame[k] = (random() * 256) | 0;
      // Half the time, a plausible start so the random bytes reach the deeper layers.
      if (random() < 0.5) {
        const pick = random();
        const ethertype = pick < 0.4 ? 0x0800 : pick < 0.8 ? 0x86dd : 0x0806;
        if (linktype === 1 && len >= 14) { frame[12] = ethertype >> 8; frame[13] = ethertype & 255; }
        if (linktype === 113 && len >= 16) { frame[14] = ethertype >> 8; frame[15] = ethertype & 255; }
        if (linktype === 276 && len >= 2) { frame[0] = ethertype >> 8; frame[1] = ethertype & 255; }
        if ((linktype === 101 || linktype === 228) && len >= 1) frame[0] = ethertype === 0x86dd && linktype === 101 ? 0x60 : 0x45;
        if (linktype === 229 && len >= 1) frame[0] = 0x60;
        // The IPv6 header's next header: ICMPv6, TCP or an extension header, to go deeper.
        const ip6 = linktype === 1 ? 14 : linktype === 113 ? 16 : linktype === 276 ? 20 : 0;
        if (ethertype === 0x86dd && len > ip6 + 6) frame[ip6 + 6] = [58, 6, 0, 44, 60][Math.floor(random() * 5)];
      }
      twins.run(name, linktype, frame, len, i);
    }
    twins.assertConsistent(name);
    const s = twins.aloneDecoder.stats;
    if (linktype === 147) assert.is(s.unsupportedLink, ITERATIONS);
    else assert.ok(s.ignored + s.malformed.truncatedIp + s.malformed.truncatedIpv6 + s.malformed.badArp > 0, 'random input reached the network layer');
  });
}

for (const [name, linktype, corpus] of CORPORA) {
  test(`fuzz ${name}: ${ITERATIONS} mutated valid frames`, () => {
    const random = g.seededRandom(0x00c0ffee + linktype);
    const twins = new TwinDecoders(random);
    const scratch = new Uint8Array(512);
    for (let i = 0; i < ITERATIONS; i++) {
      const base = corpus[Math.floor(random() * corpus.length)];
      scratch.set(base);
      const mutations = 1 + Math.floor(random() * 4);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(random() * base.length);
        const how = random();
        if (how < 0.4) scratch[at] = (random() * 256) | 0;
        else if (how < 0.7) scratch[at] ^= 1 << Math.floor(random() * 8);
        else scratch[at] = INTERESTING[Math.floor(random() * INTERESTING.length)];
      }
      const len = random() < 0.3 ? Math.floor(random() * (base.length + 1)) : base.length;
      twins.run(name, linktype, scratch, len, i);
    }
    twins.assertConsistent(name);
    const s = twins.aloneDecoder.stats;
    // Mutations that miss the headers leave valid frames: every kind must still be seen.
    for (const kind of ['syn', 'synAck', 'reset', 'icmpUnreachable', 'ignored', 'fragments'] as const) assert.ok(s[kind] > 0, `${name}: some ${kind} survived`);
    if (linktype !== 101 && linktype !== 229) assert.ok(s.arp > 0, `${name}: some ARP survived`);
    assert.ok(s.neighbour > 0, `${name}: some neighbour discovery survived`);
    const v6 = twins.alone.kinds;
    for (const kind of [7, 8, 9, 10, 11, 12]) assert.ok(v6[kind] > 0, `${name}: IPv6 observation ${kind} reported`);
  });
}

test(`fuzz capture files: ${FILE_ITERATIONS} mutated pcap and pcapng files`, () => {
  const random = g.seededRandom(0xf11e);
  const frames = CORPORA[0][2].slice(0, 8);
  const files = [
    writePcap(1, frames.map((bytes, i) => ({ t: 1_700_000_000 + i, bytes }))),
    writePcap(1, frames.map((bytes, i) => ({ t: 1_700_000_000 + i, bytes })), { bigEndian: true, nanosecond: true }),
    writePcapng([{ linktype: 1, name: 'eth0' }, { linktype: 101, tsresol: 9 }], frames.map((bytes, i) => ({ iface: i % 2, t: 1_700_000_000 + i, bytes: i % 2 ? bytes.subarray(14) : bytes }))),
    writePcapng([{ linktype: 1, tsresol: 0x80 | 20 }], frames.map((bytes, i) => ({ iface: 0, t: 1_700_000_000 + i, bytes })), { bigEndian: true }),
  ];
  let parsed = 0, rejected = 0, packets = 0;
  for (let i = 0; i < FILE_ITERATIONS; i++) {
    const file = files[i % files.length].slice();
    const mutations = 1 + Math.floor(random() * 6);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(random() * file.length);
      file[at] = random() < 0.5 ? (random() * 256) | 0 : INTERESTING[Math.floor(random() * INTERESTING.length)];
    }
    const view = random() < 0.2 ? file.subarray(0, Math.floor(random() * file.length)) : file;
    try {
      const decoder = new FrameDecoder(new CheckingObservations());
      forEachPacket(view, (linktype, data, off, len, t, iface) => {
        if (!(off >= 0 && len >= 0 && off + len <= data.length && Number.isFinite(t) && iface >= 0)) {
          assert.unreachable(`iteration ${i}: packet outside the file or bad values: off ${off} len ${len} t ${t} iface ${iface}`);
        }
        decoder.frame(linktype, data, off, len, t);
        packets++;
      });
      parsed++;
    } catch (err) {
      if (!(err instanceof CaptureFormatError)) throw new Error(`iteration ${i}: ${String(err)} is not a CaptureFormatError`);
      assert.match(err.message, /^byte \d+: /);
      rejected++;
    }
  }
  // Both outcomes must occur, or the mutations were too weak or too strong to test anything.
  assert.ok(parsed > FILE_ITERATIONS / 20, `parsed ${parsed}`);
  assert.ok(rejected > FILE_ITERATIONS / 20, `rejected ${rejected}`);
  assert.ok(packets > 0);
});

test.run();
