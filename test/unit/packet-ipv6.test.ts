// FrameDecoder over IPv6: TCP handshakes, the extension-header walk (fragments), ICMPv6
// destination unreachable and neighbour discovery, on every link type; malformed input
// counted under its reason, never thrown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMac } from '../../src/net/mac';
import * as g from '../../src/packet/generate';
import { FrameDecoder } from '../../src/packet/dispatch';
import { decodeOutcomes, malformedTotal } from '../../src/packet/stats';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/packet/ipv4';
import { IPPROTO_ICMPV6, UNREACH6_CODE_NAMES } from '../../src/packet/icmp6';
import { IPPROTO_ESP, IPPROTO_NONE } from '../../src/packet/ipv6ext';
import { SLL_OUTGOING } from '../../src/packet/sll';
import { TCP_RST, TCP_SYN } from '../../src/packet/tcp';
import { countedAs, decodeOne, RecordingObservations } from './packet-helpers';

const CLIENT = '2001:db8:1::10';
const SERVER = '2001:db8:2::10';
const ROUTER = '2001:db8:1::1';
const CLIENT_MAC = '02:00:00:00:00:0a';
const ROUTER_MAC = '02:00:00:00:00:01';
const SERVER_MAC = '02:00:00:00:00:14';
const mac = (s: string) => parseMac(s) as number;
const hs = { client: CLIENT, server: SERVER, cport: 40000, sport: 443, seq: 3_000_000_000 };
const T = 1_700_000_123.456789;
const ETHERTYPE_IPV6 = 0x86dd;

const eth = (payload: Uint8Array, spec: g.EthernetSpec = {}) => g.ethernet({ src: CLIENT_MAC, ...spec }, ETHERTYPE_IPV6, payload);
const SYN6 = { kind: 'syn6', t: T, client: CLIENT, server: SERVER, sport: 40000, dport: 443, seq: 3_000_000_000 };

test('SYN over IPv6 on every link type: addresses, ports, seq, client MAC from the link header', () => {
  const syn = g.tcpSyn(hs);
  const cases: [string, number, Uint8Array, number][] = [
    ['ethernet', 1, eth(syn), mac(CLIENT_MAC)],
    ['802.1Q', 1, eth(syn, { vlans: [{ vid: 10 }] }), mac(CLIENT_MAC)],
    ['QinQ', 1, eth(syn, { vlans: [{ vid: 10, tpid: 0x88a8 }, { vid: 20 }] }), mac(CLIENT_MAC)],
    ['SLL', 113, g.sll({ addr: CLIENT_MAC }, ETHERTYPE_IPV6, syn), mac(CLIENT_MAC)],
    ['SLL outgoing', 113, g.sll({ addr: ROUTER_MAC, packetType: SLL_OUTGOING }, ETHERTYPE_IPV6, syn), 0],
    ['SLL2', 276, g.sll2({ addr: CLIENT_MAC }, ETHERTYPE_IPV6, syn), mac(CLIENT_MAC)],
    ['SLL2 without address', 276, g.sll2({}, ETHERTYPE_IPV6, syn), 0],
    ['RAW 101', 101, syn, 0],
    ['RAW 12', 12, syn, 0],
    ['RAW 14', 14, syn, 0],
    ['LINKTYPE_IPV6 229', 229, syn, 0],
  ];
  for (const [name, linktype, frame, clientMac] of cases) {
    const { seen, stats } = decodeOne(linktype, frame, T);
    assert.equal(seen, [{ ...SYN6, clientMac }], name);
    assert.equal(countedAs(stats), ['syn'], name);
  }
  // A version-4 header where the link type says IPv6 only.
  assert.equal(countedAs(decodeOne(229, g.tcpSyn({ ...hs, client: '192.0.2.1', server: '192.0.2.2' })).stats), ['malformed.badIpVersion']);
});

test('SYN/ACK and RST over IPv6: the server is the sender; RST wins over SYN', () => {
  const ack = decodeOne(1, eth(g.tcpSynAck({ ...hs, seq: 0xffffffff })), T);
  assert.equal(ack.seen, [{ kind: 'synAck6', t: T, server: SERVER, client: CLIENT, sport: 443, dport: 40000, ack: 0 }]);
  assert.equal(countedAs(ack.stats), ['synAck']);
  const rst = decodeOne(1, eth(g.tcpRst(hs)), T);
  assert.equal(rst.seen, [{ kind: 'reset6', t: T, server: SERVER, client: CLIENT, sport: 443, dport: 40000 }]);
  const synRst = decodeOne(1, eth(g.tcpPacket({ src: SERVER, dst: CLIENT, sport: 443, dport: 5000, flags: TCP_SYN | TCP_RST })));
  assert.equal(countedAs(synRst.stats), ['reset']);
});

test('extension headers are walked to TCP: hop-by-hop, routing, destination options, AH, a first fragment', () => {
  const chains: g.ExtensionHeader[][] = [
    [{ type: 'hop-by-hop' }],
    [{ type: 'hop-by-hop', length: 24 }, { type: 'destination' }, { type: 'routing', length: 40, segmentsLeft: 2 }, { type: 'destination', length: 16 }],
    [{ type: 'routing' }],
    [{ type: 'ah' }],
    [{ type: 'fragment', offset: 0, more: true }],
    [{ type: 'fragment', offset: 0, more: false }], // atomic fragment (RFC 6946)
    [{ type: 'hop-by-hop' }, { type: 'fragment', more: true }, { type: 'destination' }],
  ];
  for (const extensions of chains) {
    const { seen, stats } = decodeOne(1, eth(g.tcpSyn({ ...hs, ip6: { extensions } })), T);
    const name = extensions.map((e) => e.type).join(', ');
    assert.equal(seen, [{ ...SYN6, clientMac: mac(CLIENT_MAC) }], name);
    assert.equal(countedAs(stats), ['syn'], name);
  }
});

test('a non-first fragment is counted apart and not read further', () => {
  const later = g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: IPPROTO_TCP, extensions: [{ type: 'fragment', offset: 185 }] },
    g.tcpSyn({ ...hs, noOptions: true }).subarray(40));
  const r = decodeOne(1, eth(later));
  assert.equal([r.seen, countedAs(r.stats)], [[], ['fragments']]);
  const laterAfterHbh = g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: IPPROTO_TCP, extensions: [{ type: 'hop-by-hop' }, { type: 'fragment', offset: 1, more: true }] }, new Uint8Array(8));
  assert.equal(countedAs(decodeOne(1, eth(laterAfterHbh)).stats), ['fragments']);
});

test('other IPv6 traffic is ignored: data, UDP, echo, ESP, no next header, an unknown protocol', () => {
  const frames: [string, Uint8Array][] = [
    ['ACK', g.tcpData({ src: CLIENT, dst: SERVER, sport: 1, dport: 2 })],
    ['UDP', g.udpPacket({ src: CLIENT, dst: SERVER, sport: 5000, dport: 53, data: new Uint8Array(12) })],
    ['echo', g.icmp6Echo(CLIENT, SERVER)],
    ['ESP', g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: IPPROTO_ESP }, new Uint8Array(32))],
    ['no next header', g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: IPPROTO_NONE, extensions: [{ type: 'destination' }] }, new Uint8Array(0))],
    ['SCTP', g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: 132 }, new Uint8Array(12))],
    ['router advertisement', g.ipv6Packet({ src: 'fe80::1', dst: 'ff02::1', nextHeader: IPPROTO_ICMPV6, hopLimit: 255 }, Uint8Array.of(134, 0, 0, 0, 64, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0))],
  ];
  for (const [name, packet] of frames) {
    const { seen, stats } = decodeOne(1, eth(packet, { pad: true }));
    assert.equal([seen, countedAs(stats)], [[], ['ignored']], name);
  }
});

test('payload length bounds the packet (Ethernet padding is not TCP); 0 (jumbogram, BIG TCP) trusts the capture', () => {
  const rst = g.tcpRst(hs);
  assert.equal(countedAs(decodeOne(1, eth(rst, { pad: true })).stats), ['reset']);
  const short = rst.slice(); short[4] = 0; short[5] = 10;
  assert.equal(countedAs(decodeOne(1, eth(short, { pad: true })).stats), ['malformed.truncatedTcp']);
  const jumbo = g.tcpSyn({ ...hs, ip6: { payloadLength: 0, extensions: [{ type: 'hop-by-hop' }] } });
  assert.equal(countedAs(decodeOne(1, eth(jumbo)).stats), ['syn']);
  // The TCP header may not claim more than the payload holds.
  const offsetPast = g.tcpSyn({ ...hs, noOptions: true }); offsetPast[40 + 12] = 0x60;
  assert.equal(countedAs(decodeOne(1, eth(offsetPast)).stats), ['malformed.badTcpOffset']);
});

test('an IPv6 SYN cut at every byte before its TCP header ends is malformed, by layer', () => {
  const extensions: g.ExtensionHeader[] = [{ type: 'hop-by-hop' }, { type: 'fragment', more: true }];
  const frame = eth(g.tcpSyn({ ...hs, noOptions: true, ip6: { extensions } }));
  assert.is(frame.length, 14 + 40 + 16 + 20);
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  for (let len = 0; len < frame.length; len++) {
    const before = { ...decoder.stats.malformed };
    decoder.frame(1, frame, 0, len, T);
    const want = len < 14 ? 'truncatedLinkHeader' : len < 54 ? 'truncatedIpv6' : len < 70 ? 'truncatedExtensionHeader' : 'truncatedTcp';
    const changed = Object.keys(before).filter((k) => before[k as keyof typeof before] !== decoder.stats.malformed[k as keyof typeof before]);
    assert.equal(changed, [want], `cut to ${len} bytes`);
  }
  assert.is(sink.seen.length, 0);
  decoder.frame(1, frame, 0, frame.length, T);
  assert.equal(sink.seen.map((o) => o.kind), ['syn6']);
  assert.is(decodeOutcomes(decoder.stats), decoder.stats.frames);
});

test('an extension header longer than the payload length says is malformed; a bad version is too', () => {
  const syn = g.tcpSyn({ ...hs, ip6: { extensions: [{ type: 'destination' }] } });
  const long = syn.slice(); long[41] = 200; // 1608 bytes of options
  assert.equal(countedAs(decodeOne(1, eth(long)).stats), ['malformed.truncatedExtensionHeader']);
  const v4 = syn.slice(); v4[0] = 0x45;
  assert.equal(countedAs(decodeOne(1, eth(v4)).stats), ['malformed.badIpVersion']);
  const raw5 = syn.slice(); raw5[0] = 0x55;
  assert.equal(countedAs(decodeOne(101, raw5).stats), ['malformed.badIpVersion']);
});

// ---- ICMPv6 destination unreachable ----

test('ICMPv6 unreachable, every code: reporter and its MAC, client and server from the quoted header, proto, ports', () => {
  const syn = g.tcpSyn(hs);
  for (let code = 0; code < UNREACH6_CODE_NAMES.length + 2; code++) {
    const frame = eth(g.icmp6Unreachable({ reporter: ROUTER, original: syn, code }), { src: ROUTER_MAC, dst: CLIENT_MAC });
    const { seen, stats } = decodeOne(1, frame, T);
    assert.equal(seen, [{
      kind: 'icmp6Unreachable', t: T, reporter: ROUTER, reporterMac: mac(ROUTER_MAC), client: CLIENT, server: SERVER,
      code, proto: IPPROTO_TCP, sport: 40000, dport: 443,
    }], `code ${code}`);
    assert.equal(countedAs(stats), ['icmpUnreachable']);
  }
});

test('ICMPv6 unreachable over SLL: the router\'s own error (outgoing) carries its own MAC; raw IP has none', () => {
  const error = g.icmp6Unreachable({ reporter: ROUTER, original: g.tcpSyn(hs) });
  const reporterMac = (linktype: number, frame: Uint8Array) => {
    const o = decodeOne(linktype, frame).seen[0];
    return o.kind === 'icmp6Unreachable' ? o.reporterMac : -1;
  };
  assert.is(reporterMac(113, g.sll({ packetType: SLL_OUTGOING, addr: ROUTER_MAC }, ETHERTYPE_IPV6, error)), mac(ROUTER_MAC));
  assert.is(reporterMac(276, g.sll2({ packetType: SLL_OUTGOING, addr: ROUTER_MAC }, ETHERTYPE_IPV6, error)), mac(ROUTER_MAC));
  assert.is(reporterMac(276, g.sll2({ addr: ROUTER_MAC }, ETHERTYPE_IPV6, error)), mac(ROUTER_MAC));
  assert.is(reporterMac(101, error), 0);
  assert.is(reporterMac(229, error), 0);
});

test('ICMPv6 unreachable quoting UDP, extension headers, a later fragment, ICMPv6, or too few bytes for ports', () => {
  const one = (original: Uint8Array, quoteLength?: number) => {
    const { seen, stats } = decodeOne(1, eth(g.icmp6Unreachable({ reporter: ROUTER, original, quoteLength })));
    assert.equal(countedAs(stats), ['icmpUnreachable']);
    const o = seen[0];
    if (o.kind !== 'icmp6Unreachable') throw new Error(`expected icmp6Unreachable, got ${o.kind}`);
    return [o.client, o.server, o.proto, o.sport, o.dport];
  };
  assert.equal(one(g.udpPacket({ src: CLIENT, dst: SERVER, sport: 5353, dport: 123 })), [CLIENT, SERVER, IPPROTO_UDP, 5353, 123]);
  const withExtensions = g.tcpSyn({ ...hs, ip6: { extensions: [{ type: 'hop-by-hop' }, { type: 'routing', length: 24 }, { type: 'fragment', more: true }, { type: 'destination' }] } });
  assert.equal(one(withExtensions), [CLIENT, SERVER, IPPROTO_TCP, 40000, 443]);
  const later = g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: IPPROTO_UDP, extensions: [{ type: 'fragment', offset: 100 }] }, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.equal(one(later), [CLIENT, SERVER, IPPROTO_UDP, 0, 0]);
  assert.equal(one(g.icmp6Echo(CLIENT, SERVER)), [CLIENT, SERVER, IPPROTO_ICMPV6, 0, 0]);
  assert.equal(one(g.tcpSyn(hs), 40), [CLIENT, SERVER, IPPROTO_TCP, 0, 0], 'header only: ports unknown');
  assert.equal(one(g.tcpSyn(hs), 43), [CLIENT, SERVER, IPPROTO_TCP, 0, 0], '3 bytes are not two ports');
  assert.equal(one(g.tcpSyn(hs), 44), [CLIENT, SERVER, IPPROTO_TCP, 40000, 443], 'ports need 4 bytes');
});

test('an ICMPv6 unreachable frame cut at every byte before the quoted headers end is malformed', () => {
  const original = g.tcpSyn({ ...hs, ip6: { extensions: [{ type: 'destination' }] } });
  const frame = eth(g.icmp6Unreachable({ reporter: ROUTER, original, quoteLength: 48 + 8 }), { src: ROUTER_MAC });
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  const quoted = 14 + 40 + 8;
  for (let len = 0; len < quoted + 48; len++) {
    const m = decoder.stats.malformed;
    const before = [m.truncatedLinkHeader, m.truncatedIpv6, m.truncatedIcmp6, m.truncatedQuotedHeader6];
    decoder.frame(1, frame, 0, len, T);
    const after = [m.truncatedLinkHeader, m.truncatedIpv6, m.truncatedIcmp6, m.truncatedQuotedHeader6];
    const which = len < 14 ? 0 : len < 54 ? 1 : len < quoted ? 2 : 3;
    assert.is(after[which] - before[which], 1, `cut to ${len} bytes`);
  }
  assert.is(sink.seen.length, 0);
  for (let len = quoted + 48; len <= frame.length; len++) decoder.frame(1, frame, 0, len, T);
  assert.equal(sink.seen.map((o) => (o.kind === 'icmp6Unreachable' ? o.dport : -1)), [0, 0, 0, 0, 443, 443, 443, 443, 443]);
  assert.is(decodeOutcomes(decoder.stats), decoder.stats.frames);
});

test('an ICMPv6 error quoting something that is not IPv6 is malformed', () => {
  const error = g.icmp6Unreachable({ reporter: ROUTER, original: g.tcpSyn(hs) });
  const bad = error.slice(); bad[48] = 0x45;
  assert.equal(countedAs(decodeOne(1, eth(bad)).stats), ['malformed.badQuotedHeader6']);
});

// ---- neighbour discovery ----

test('neighbour solicitation: sender and target reported; DAD from :: is not', () => {
  const ns = g.neighbourSolicitation({ src: ROUTER, target: SERVER, srcMac: ROUTER_MAC });
  const multicast = g.ipv6MulticastMac(g.solicitedNodeMulticast(SERVER));
  const { seen, stats } = decodeOne(1, eth(ns, { src: ROUTER_MAC, dst: multicast }), T);
  assert.equal(seen, [{ kind: 'neighbourSolicit', t: T, sender: ROUTER, target: SERVER }]);
  assert.equal(countedAs(stats), ['neighbour']);
  // A reachability probe goes unicast to the target, without the option.
  const probe = decodeOne(1, eth(g.neighbourSolicitation({ src: ROUTER, target: SERVER, dst: SERVER }), { src: ROUTER_MAC }));
  assert.equal(probe.seen.map((o) => o.kind), ['neighbourSolicit']);
  const dad = decodeOne(1, eth(g.neighbourSolicitation({ src: '::', target: SERVER }), { dst: multicast }));
  assert.equal([dad.seen, countedAs(dad.stats)], [[], ['ignored']]);
  const overSll2 = decodeOne(276, g.sll2({ addr: ROUTER_MAC, packetType: SLL_OUTGOING }, ETHERTYPE_IPV6, ns));
  assert.equal(overSll2.seen.map((o) => o.kind), ['neighbourSolicit']);
});

test('neighbour advertisement: target and the MAC of its target link-layer option, 0 without one', () => {
  const na = g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, targetMac: SERVER_MAC, solicited: true });
  const { seen, stats } = decodeOne(1, eth(na, { src: SERVER_MAC, dst: ROUTER_MAC }), T);
  assert.equal(seen, [{ kind: 'neighbourAdvert', t: T, target: SERVER, targetMac: mac(SERVER_MAC) }]);
  assert.equal(countedAs(stats), ['neighbour']);
  const unsolicited = decodeOne(1, eth(g.neighbourAdvertisement({ src: SERVER, targetMac: SERVER_MAC, router: true }), { src: SERVER_MAC, dst: g.ipv6MulticastMac('ff02::1') }));
  assert.equal(unsolicited.seen.map((o) => o.kind === 'neighbourAdvert' && o.targetMac), [mac(SERVER_MAC)]);
  const bare = decodeOne(1, eth(g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, solicited: true }), { src: SERVER_MAC }));
  assert.equal(bare.seen.map((o) => o.kind === 'neighbourAdvert' && o.targetMac), [0], 'no option: MAC unknown');
  // Options of other kinds before the target address are stepped over.
  const withNonce = withOptions(g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, solicited: true }), [14, 1, 1, 2, 3, 4, 5, 6], [2, 1, 2, 0, 0, 0, 0, 0x14]);
  assert.equal(decodeOne(1, eth(withNonce)).seen.map((o) => o.kind === 'neighbourAdvert' && o.targetMac), [mac(SERVER_MAC)]);
});

/** `packet` (IPv6 + ND message without options) with raw option bytes appended; checksum left stale. */
function withOptions(packet: Uint8Array, ...options: number[][]): Uint8Array {
  const bytes = options.flat();
  const out = new Uint8Array(packet.length + bytes.length);
  out.set(packet);
  out.set(bytes, packet.length);
  const payload = packet.length - 40 + bytes.length;
  out[4] = payload >> 8; out[5] = payload & 255;
  return out;
}

test('neighbour discovery RFC 4861 says to discard is malformed: hop limit, code, length, multicast target, options', () => {
  const ns = g.neighbourSolicitation({ src: ROUTER, target: SERVER, srcMac: ROUTER_MAC });
  const na = g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, targetMac: SERVER_MAC, solicited: true });
  const edit = (base: Uint8Array, f: (b: Uint8Array) => void) => { const b = base.slice(); f(b); return b; };
  const cases: [string, Uint8Array][] = [
    ['hop limit 64 (came through a router)', g.neighbourSolicitation({ src: ROUTER, target: SERVER, ip6: { hopLimit: 64 } })],
    ['code 1', edit(ns, (b) => { b[41] = 1; })],
    ['multicast target', g.neighbourSolicitation({ src: ROUTER, target: 'ff02::1' })],
    ['option of length 0', edit(ns, (b) => { b[40 + 25] = 0; })],
    ['option running past the message', edit(ns, (b) => { b[40 + 25] = 2; })],
    ['a message of 20 bytes', edit(ns.subarray(0, 60), (b) => { b[5] = 20; })],
    ['solicited advertisement to a multicast group', g.neighbourAdvertisement({ src: SERVER, dst: 'ff02::1', solicited: true })],
    ['advertisement: half an option', withOptions(g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, solicited: true }), [2])],
  ];
  for (const [name, packet] of cases) {
    const { seen, stats } = decodeOne(1, eth(packet));
    assert.equal([seen, countedAs(stats)], [[], ['malformed.badNeighbourDiscovery']], name);
  }
  assert.equal(countedAs(decodeOne(1, eth(na)).stats), ['neighbour'], 'the unedited advertisement is fine');
});

test('neighbour discovery cut short by the snap length is still reported with what was captured', () => {
  const na = eth(g.neighbourAdvertisement({ src: SERVER, dst: ROUTER, targetMac: SERVER_MAC, solicited: true }));
  const whole = 14 + 40 + 24;
  const cut = decodeOne(1, na.subarray(0, whole + 4));
  assert.equal(cut.seen.map((o) => o.kind === 'neighbourAdvert' && o.targetMac), [0]);
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  for (let len = 0; len < whole; len++) decoder.frame(1, na, 0, len, T);
  assert.is(sink.seen.length, 0, 'without the whole target nothing is reported');
  assert.is(malformedTotal(decoder.stats), whole);
});

test('a mixed IPv4/IPv6 batch: every frame counted exactly once, one observation per interesting frame', () => {
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  const v4 = { client: '192.0.2.10', server: '198.51.100.20', cport: 1, sport: 80 };
  const frames = [
    eth(g.tcpSyn(hs)), g.ethernet({}, 0x0800, g.tcpSyn(v4)), eth(g.tcpSynAck(hs)), eth(g.tcpRst(hs)),
    eth(g.icmp6Unreachable({ reporter: ROUTER, original: g.tcpSyn(hs) })),
    eth(g.neighbourSolicitation({ src: ROUTER, target: SERVER })), eth(g.neighbourAdvertisement({ src: SERVER })),
    eth(g.udpPacket({ src: CLIENT, dst: SERVER, sport: 1, dport: 2 })),
    eth(g.ipv6Packet({ src: CLIENT, dst: SERVER, nextHeader: 6, extensions: [{ type: 'fragment', offset: 9 }] }, new Uint8Array(8))),
    eth(g.tcpSyn(hs)).subarray(0, 30),
  ];
  frames.forEach((f, i) => decoder.frame(1, f, 0, f.length, i));
  const s = decoder.stats;
  assert.equal([s.frames, s.syn, s.synAck, s.reset, s.icmpUnreachable, s.neighbour, s.ignored, s.fragments, malformedTotal(s)], [10, 2, 1, 1, 1, 2, 1, 1, 1]);
  assert.is(decodeOutcomes(s), s.frames);
  assert.equal(sink.seen.map((o) => o.kind), ['syn6', 'syn', 'synAck6', 'reset6', 'icmp6Unreachable', 'neighbourSolicit', 'neighbourAdvert']);
});

test.run();
