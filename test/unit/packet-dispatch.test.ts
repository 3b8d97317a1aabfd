// FrameDecoder: one observation per interesting frame with the fields the engine needs,
// one counter per frame, and malformed input counted under its reason, never thrown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseMac } from '../../src/net/mac';
import * as g from '../../src/packet/generate';
import { FrameDecoder } from '../../src/packet/dispatch';
import { decodeOutcomes, malformedTotal } from '../../src/packet/stats';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/packet/ipv4';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/packet/tcp';
import { SLL_OUTGOING } from '../../src/packet/sll';
import { countedAs, decodeOne, RecordingObservations } from './packet-helpers';

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.20';
const ROUTER = '203.0.113.1';
const CLIENT_MAC = '02:00:00:00:00:0a';
const ip = (s: string) => parseIPv4(s) as number;
const mac = (s: string) => parseMac(s) as number;
const hs = { client: CLIENT, server: SERVER, cport: 40000, sport: 80, seq: 3_000_000_000 };
const T = 1_700_000_123.456789;

const eth = (payload: Uint8Array, spec: g.EthernetSpec = {}) => g.ethernet({ src: CLIENT_MAC, ...spec }, 0x0800, payload);

const SYN_FIELDS = { kind: 'syn', t: T, client: ip(CLIENT), server: ip(SERVER), sport: 40000, dport: 80, seq: 3_000_000_000 };

test('SYN on every link type: addresses, ports, seq, client MAC from the link header', () => {
  const syn = g.tcpSyn(hs);
  const cases: [string, number, Uint8Array, number][] = [
    ['ethernet', 1, eth(syn), mac(CLIENT_MAC)],
    ['802.1Q', 1, eth(syn, { vlans: [{ vid: 10 }] }), mac(CLIENT_MAC)],
    ['QinQ 0x88a8', 1, eth(syn, { vlans: [{ vid: 10, tpid: 0x88a8 }, { vid: 20 }] }), mac(CLIENT_MAC)],
    ['SLL', 113, g.sll({ addr: CLIENT_MAC }, 0x0800, syn), mac(CLIENT_MAC)],
    ['SLL without address', 113, g.sll({}, 0x0800, syn), 0],
    ['SLL with VLAN tag', 113, g.sll({ addr: CLIENT_MAC }, 0x8100, Uint8Array.of(0, 10, 8, 0, ...syn)), mac(CLIENT_MAC)],
    ['SLL2', 276, g.sll2({ addr: CLIENT_MAC }, 0x0800, syn), mac(CLIENT_MAC)],
    ['SLL2 without address', 276, g.sll2({}, 0x0800, syn), 0],
    ['RAW 101', 101, syn, 0],
    ['RAW 12', 12, syn, 0],
    ['RAW 14', 14, syn, 0],
  ];
  for (const [name, linktype, frame, clientMac] of cases) {
    const { seen, stats } = decodeOne(linktype, frame, T);
    assert.equal(seen, [{ ...SYN_FIELDS, clientMac }], name);
    assert.equal(countedAs(stats), ['syn'], name);
    assert.is(stats.frames, 1);
  }
});

test('SYN+ACK: server is the sender, ack answers the SYN', () => {
  const { seen } = decodeOne(1, eth(g.tcpSynAck({ ...hs, seq: 0xffffffff })), T);
  assert.equal(seen, [{ kind: 'synAck', t: T, server: ip(SERVER), client: ip(CLIENT), sport: 80, dport: 40000, ack: 0 }]);
});

test('RST from the server: reset with server = sender; SYN+RST counts as reset', () => {
  const { seen } = decodeOne(1, eth(g.tcpRst(hs)), T);
  assert.equal(seen, [{ kind: 'reset', t: T, server: ip(SERVER), client: ip(CLIENT), sport: 80, dport: 40000 }]);
  for (const flags of [TCP_RST, TCP_RST | TCP_SYN]) {
    const r = decodeOne(1, eth(g.tcpPacket({ src: SERVER, dst: CLIENT, sport: 443, dport: 5000, flags })));
    assert.equal(countedAs(r.stats), ['reset'], `flags ${flags}`);
    assert.is(r.seen[0].kind, 'reset');
  }
});

test('other traffic is ignored and counted: data, FIN, UDP, echo, IPv6 UDP, 802.3, LLDP', () => {
  const ipv6 = g.udpPacket({ src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2 });
  const frames: [string, number, Uint8Array][] = [
    ['ACK', 1, eth(g.tcpData({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, seq: 1, ack: 2 }))],
    ['FIN', 1, eth(g.tcpData({ src: CLIENT, dst: SERVER, sport: 40000, dport: 80, flags: TCP_FIN | TCP_ACK }))],
    ['UDP', 1, eth(g.udpPacket({ src: CLIENT, dst: SERVER, sport: 5000, dport: 53 }))],
    ['echo', 1, eth(g.icmpEcho(CLIENT, SERVER))],
    ['GRE', 1, eth(g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: 47 }, new Uint8Array(8)))],
    ['IPv6 ethernet', 1, g.ethernet({}, 0x86dd, ipv6)],
    ['IPv6 raw', 101, ipv6],
    ['IPv6 SLL2', 276, g.sll2({}, 0x86dd, ipv6)],
    ['802.3 length', 1, g.ethernet({}, 46, new Uint8Array(46))],
    ['LLDP', 1, g.ethernet({}, 0x88cc, new Uint8Array(30))],
  ];
  for (const [name, linktype, frame] of frames) {
    const { seen, stats } = decodeOne(linktype, frame);
    assert.equal(seen, [], name);
    assert.equal(countedAs(stats), ['ignored'], name);
  }
});

test('ICMP unreachable: reporter and its MAC, client and server from the quoted header, code, proto, ports', () => {
  const syn = g.tcpSyn(hs);
  const ROUTER_MAC = '02:01:c0:00:02:01';
  for (let code = 0; code <= 15; code++) {
    const { seen, stats } = decodeOne(1, eth(g.icmpUnreachable({ reporter: ROUTER, original: syn, code }), { src: ROUTER_MAC }), T);
    assert.equal(seen, [{
      kind: 'icmpUnreachable', t: T, reporter: ip(ROUTER), reporterMac: mac(ROUTER_MAC), client: ip(CLIENT), server: ip(SERVER),
      code, proto: IPPROTO_TCP, sport: 40000, dport: 80,
    }], `code ${code}`);
    assert.equal(countedAs(stats), ['icmpUnreachable']);
  }
});

test('ICMP unreachable quoting UDP, ICMP, options, a fragment, or no transport bytes', () => {
  const udp = g.udpPacket({ src: CLIENT, dst: SERVER, sport: 5353, dport: 123 });
  const one = (original: Uint8Array, quoteLength?: number) => {
    const { seen } = decodeOne(1, eth(g.icmpUnreachable({ reporter: ROUTER, original, code: 3, quoteLength })));
    assert.is(seen.length, 1);
    const o = seen[0];
    if (o.kind !== 'icmpUnreachable') throw new Error(`expected icmpUnreachable, got ${o.kind}`);
    return [o.client, o.server, o.proto, o.sport, o.dport];
  };
  assert.equal(one(udp), [ip(CLIENT), ip(SERVER), IPPROTO_UDP, 5353, 123]);
  assert.equal(one(g.icmpEcho(CLIENT, SERVER)), [ip(CLIENT), ip(SERVER), IPPROTO_ICMP, 0, 0]);
  const withOptions = g.tcpSyn({ ...hs, ip: { options: Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 0) } });
  assert.equal(one(withOptions), [ip(CLIENT), ip(SERVER), IPPROTO_TCP, 40000, 80]);
  const laterFragment = g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: IPPROTO_UDP, fragmentOffset: 100 }, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.equal(one(laterFragment), [ip(CLIENT), ip(SERVER), IPPROTO_UDP, 0, 0]);
  assert.equal(one(g.tcpSyn(hs), 20), [ip(CLIENT), ip(SERVER), IPPROTO_TCP, 0, 0], 'header only: ports unknown');
  assert.equal(one(g.tcpSyn(hs), 24), [ip(CLIENT), ip(SERVER), IPPROTO_TCP, 40000, 80], 'ports need 4 bytes');
});

test('ARP: request and reply reported; probes ignored; a gratuitous request announces its sender like a reply', () => {
  const req = decodeOne(1, g.arpRequestFrame('02:00:00:00:00:01', ROUTER, SERVER), T);
  assert.equal(req.seen, [{ kind: 'arpRequest', t: T, sender: ip(ROUTER), target: ip(SERVER) }]);
  assert.equal(countedAs(req.stats), ['arp']);
  const rep = decodeOne(1, g.arpReplyFrame('02:00:00:00:00:14', SERVER, '02:00:00:00:00:01', ROUTER, { pad: true }), T);
  assert.equal(rep.seen, [{ kind: 'arpReply', t: T, sender: ip(SERVER), senderMac: mac('02:00:00:00:00:14') }]);
  const probe = decodeOne(1, g.arpRequestFrame('02:00:00:00:00:14', '0.0.0.0', SERVER));
  assert.equal([probe.seen, countedAs(probe.stats)], [[], ['ignored']], 'probe');
  const gratuitous = decodeOne(1, g.arpRequestFrame('02:00:00:00:00:14', SERVER, SERVER));
  assert.equal(gratuitous.seen.map((o) => o.kind), ['arpReply'], 'gratuitous request');
  assert.equal(countedAs(gratuitous.stats), ['arp']);
  // A gratuitous reply still says the sender is on the wire.
  const announce = decodeOne(1, g.arpReplyFrame('02:00:00:00:00:14', SERVER, g.BROADCAST_MAC, SERVER));
  assert.equal(announce.seen.map((o) => o.kind), ['arpReply']);
  const overSll2 = decodeOne(276, g.sll2({ addr: '02:00:00:00:00:01' }, 0x0806, g.arpPacket({ op: 1, senderMac: 1, senderIp: ROUTER, targetIp: SERVER })));
  assert.equal(overSll2.seen.map((o) => o.kind), ['arpRequest']);
  const overVlan = decodeOne(1, g.arpRequestFrame('02:00:00:00:00:01', ROUTER, SERVER, { vlans: [{ vid: 5 }] }));
  assert.equal(overVlan.seen.map((o) => o.kind), ['arpRequest']);
});

test('ARP of other hardware is ignored; Ethernet/IPv4 ARP with wrong lengths is bad', () => {
  const body = g.arpPacket({ op: 1, senderMac: 1, senderIp: ROUTER, targetIp: SERVER });
  const ieee802 = body.slice(); ieee802[1] = 6;
  assert.equal(countedAs(decodeOne(1, g.ethernet({}, 0x0806, ieee802)).stats), ['ignored']);
  const badLen = body.slice(); badLen[4] = 8;
  assert.equal(countedAs(decodeOne(1, g.ethernet({}, 0x0806, badLen)).stats), ['malformed.badArp']);
  const rarpOp = body.slice(); rarpOp[7] = 3;
  assert.equal(countedAs(decodeOne(1, g.ethernet({}, 0x0806, rarpOp)).stats), ['ignored']);
});

test('IPv4 options before TCP are skipped', () => {
  const syn = g.tcpSyn({ ...hs, ip: { options: new Uint8Array(40).fill(1) } });
  assert.is(syn[0] & 15, 15);
  const { seen } = decodeOne(1, eth(syn), T);
  assert.equal(seen, [{ ...SYN_FIELDS, clientMac: mac(CLIENT_MAC) }]);
});

test('snaplen truncation after the needed headers is normal', () => {
  const synFrame = eth(g.tcpSyn(hs)); // 14 + 20 + 40 (options)
  const cut = decodeOne(1, synFrame.subarray(0, 14 + 20 + 20), T);
  assert.equal(cut.seen, [{ ...SYN_FIELDS, clientMac: mac(CLIENT_MAC) }]);
  const icmpFrame = eth(g.icmpUnreachable({ reporter: ROUTER, original: g.tcpSyn(hs), quoteLength: 60 }));
  const icmpCut = decodeOne(1, icmpFrame.subarray(0, 14 + 20 + 8 + 20 + 4));
  assert.equal(icmpCut.seen.map((o) => o.kind === 'icmpUnreachable' && [o.sport, o.dport]), [[40000, 80]]);
});

test('a SYN frame cut at every byte before its TCP header ends is malformed, by layer', () => {
  const frames: [string, number, Uint8Array, number][] = [
    ['ethernet', 1, eth(g.tcpSyn({ ...hs, noOptions: true })), 14],
    ['VLAN', 1, eth(g.tcpSyn({ ...hs, noOptions: true }), { vlans: [{ vid: 3 }] }), 18],
    ['SLL', 113, g.sll({ addr: CLIENT_MAC }, 0x0800, g.tcpSyn({ ...hs, noOptions: true })), 16],
    ['SLL2', 276, g.sll2({ addr: CLIENT_MAC }, 0x0800, g.tcpSyn({ ...hs, noOptions: true })), 20],
    ['RAW', 101, g.tcpSyn({ ...hs, noOptions: true }), 0],
  ];
  for (const [name, linktype, frame, link] of frames) {
    assert.is(frame.length, link + 40, name);
    const sink = new RecordingObservations();
    const decoder = new FrameDecoder(sink);
    for (let len = 0; len < frame.length; len++) {
      const before = { ...decoder.stats.malformed };
      decoder.frame(linktype, frame, 0, len, T);
      const want = len < link ? 'truncatedLinkHeader' : len < link + 20 ? 'truncatedIp' : 'truncatedTcp';
      const changed = Object.keys(before).filter((k) => before[k as keyof typeof before] !== decoder.stats.malformed[k as keyof typeof before]);
      assert.equal(changed, [want], `${name} cut to ${len} bytes`);
    }
    assert.is(sink.seen.length, 0, name);
    assert.is(malformedTotal(decoder.stats), frame.length, name);
    decoder.frame(linktype, frame, 0, frame.length, T);
    assert.equal(sink.seen.map((o) => o.kind), ['syn'], `${name} whole`);
  }
});

test('an ICMP unreachable frame cut at every byte before the quoted header ends is malformed', () => {
  const frame = eth(g.icmpUnreachable({ reporter: ROUTER, original: g.tcpSyn(hs) }));
  assert.is(frame.length, 14 + 20 + 8 + 20 + 8);
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  for (let len = 0; len < 14 + 20 + 8 + 20; len++) {
    const m = decoder.stats.malformed;
    const before = [m.truncatedLinkHeader, m.truncatedIp, m.truncatedIcmp, m.truncatedQuotedHeader];
    decoder.frame(1, frame, 0, len, T);
    const after = [m.truncatedLinkHeader, m.truncatedIp, m.truncatedIcmp, m.truncatedQuotedHeader];
    const which = len < 14 ? 0 : len < 34 ? 1 : len < 42 ? 2 : 3;
    assert.is(after[which] - before[which], 1, `cut to ${len} bytes`);
  }
  assert.is(sink.seen.length, 0);
  // From the whole quoted header on it is reported; the ports need 4 more bytes.
  for (let len = 62; len <= frame.length; len++) decoder.frame(1, frame, 0, len, T);
  assert.equal(sink.seen.map((o) => (o.kind === 'icmpUnreachable' ? o.sport : -1)), [0, 0, 0, 0, 40000, 40000, 40000, 40000, 40000]);
  assert.is(decodeOutcomes(decoder.stats), decoder.stats.frames);
});

test('an ARP frame cut at every byte before its body ends is malformed', () => {
  const frame = g.arpRequestFrame('02:00:00:00:00:01', ROUTER, SERVER);
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  for (let len = 0; len < frame.length; len++) decoder.frame(1, frame, 0, len, T);
  assert.is(decoder.stats.malformed.truncatedLinkHeader, 14);
  assert.is(decoder.stats.malformed.badArp, 28);
  assert.is(sink.seen.length, 0);
  assert.is(decodeOutcomes(decoder.stats), decoder.stats.frames);
});

test('the decoder reads only [off, off+len) of a larger buffer, and clamps len to the buffer', () => {
  const frame = eth(g.tcpSyn({ ...hs, noOptions: true }));
  const buffer = new Uint8Array(100 + frame.length + 100).fill(0x45);
  buffer.set(frame, 100);
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  decoder.frame(1, buffer, 100, frame.length, T);
  decoder.frame(1, buffer, 100, frame.length - 1, T); // the bytes after are there but not ours
  decoder.frame(1, frame, 0, frame.length + 1000, T);
  assert.equal(sink.seen.map((o) => o.kind), ['syn', 'syn']);
  assert.is(decoder.stats.malformed.truncatedTcp, 1);
});

test('later fragments are counted apart; a first fragment is decoded', () => {
  const later = decodeOne(1, eth(g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: 6, df: false, fragmentOffset: 3 }, new Uint8Array(24))));
  assert.equal(countedAs(later.stats), ['fragments']);
  const first = decodeOne(1, eth(g.tcpSyn({ ...hs, ip: { df: false, mf: true } })));
  assert.equal(countedAs(first.stats), ['syn']);
});

test('IPv4 total length: 0 (BIG TCP) trusts the capture; Ethernet padding is not TCP', () => {
  const big = decodeOne(1, eth(g.tcpSyn({ ...hs, ip: { totalLength: 0 } })));
  assert.equal(countedAs(big.stats), ['syn']);
  const rst = g.tcpRst(hs);
  const padded = decodeOne(1, eth(rst, { pad: true }));
  assert.equal(countedAs(padded.stats), ['reset']);
  // The header claims 30 bytes: 10 of TCP; the 30 bytes after (TCP + padding) must not count.
  const short = rst.slice(); short[2] = 0; short[3] = 30;
  assert.equal(countedAs(decodeOne(1, eth(short, { pad: true })).stats), ['malformed.truncatedTcp']);
});

test('malformed headers are counted under their reason', () => {
  const syn = g.tcpSyn({ ...hs, noOptions: true });
  const edit = (f: (b: Uint8Array) => void, base = syn) => { const b = base.slice(); f(b); return b; };
  const quoted = g.icmpUnreachable({ reporter: ROUTER, original: syn });
  const cases: [string, number, Uint8Array, string][] = [
    ['version 6 under EtherType IPv4', 1, eth(edit((b) => { b[0] = 0x65; })), 'badIpVersion'],
    ['raw version 5', 101, edit((b) => { b[0] = 0x55; }), 'badIpVersion'],
    ['IHL 4', 1, eth(edit((b) => { b[0] = 0x44; })), 'badIhl'],
    ['IHL 15 beyond the capture', 1, eth(edit((b) => { b[0] = 0x4f; })).subarray(0, 14 + 50), 'truncatedIp'],
    ['total length below header', 1, eth(edit((b) => { b[2] = 0; b[3] = 19; })), 'badIpLength'],
    ['TCP data offset 4', 1, eth(edit((b) => { b[32] = 0x40; })), 'badTcpOffset'],
    ['TCP data offset past the segment', 1, eth(edit((b) => { b[32] = 0xf0; })), 'badTcpOffset'],
    ['quoted version 6', 1, eth(edit((b) => { b[28] = 0x65; }, quoted)), 'badQuotedHeader'],
    ['quoted IHL 3', 1, eth(edit((b) => { b[28] = 0x43; }, quoted)), 'badQuotedHeader'],
    ['quoted IHL 15 beyond the message', 1, eth(edit((b) => { b[28] = 0x4f; }, quoted)), 'truncatedQuotedHeader'],
    ['VLAN tag cut', 1, g.ethernet({}, 0x8100, Uint8Array.of(0, 1)), 'truncatedLinkHeader'],
  ];
  for (const [name, linktype, frame, reason] of cases) {
    const { seen, stats } = decodeOne(linktype, frame);
    assert.equal(countedAs(stats), [`malformed.${reason}`], name);
    assert.is(seen.length, 0, name);
  }
});

test('a link type the decoder does not read is counted by type, not as malformed', () => {
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  const syn = eth(g.tcpSyn(hs));
  for (const linktype of [105, 105, 127, 1]) decoder.frame(linktype, syn, 0, syn.length, T);
  assert.equal(countedAs(decoder.stats), ['syn', 'unsupportedLink']);
  assert.is(decoder.stats.unsupportedLink, 3);
  assert.equal(decoder.stats.unsupportedLinktypes, { 105: 2, 127: 1 });
  assert.is(malformedTotal(decoder.stats), 0);
  assert.is(decodeOutcomes(decoder.stats), 4);
});

test('LINKTYPE_IPV4 (228) is raw IPv4 only: a version 6 header there is malformed', () => {
  const syn = g.tcpSyn(hs);
  assert.equal(decodeOne(228, syn, T).seen, [{ ...SYN_FIELDS, clientMac: 0 }]);
  const v6 = g.tcpSyn({ ...hs, client: '2001:db8::a', server: '2001:db8::b' });
  assert.equal(countedAs(decodeOne(228, v6).stats), ['malformed.badIpVersion']);
});

test('a mixed batch: every frame counted exactly once, one observation per interesting frame', () => {
  const sink = new RecordingObservations();
  const decoder = new FrameDecoder(sink);
  const frames = [
    eth(g.tcpSyn(hs)), eth(g.tcpSynAck(hs)), eth(g.tcpRst(hs)),
    eth(g.icmpUnreachable({ reporter: ROUTER, original: g.tcpSyn(hs) })),
    g.arpRequestFrame(1, ROUTER, SERVER), g.arpReplyFrame(2, SERVER, 1, ROUTER),
    eth(g.tcpData({ src: CLIENT, dst: SERVER, sport: 1, dport: 2, flags: TCP_ACK })),
    eth(g.tcpSyn(hs)).subarray(0, 20),
  ];
  frames.forEach((f, i) => decoder.frame(1, f, 0, f.length, i));
  const s = decoder.stats;
  assert.equal([s.frames, s.syn, s.synAck, s.reset, s.icmpUnreachable, s.arp, s.ignored, malformedTotal(s)], [8, 1, 1, 1, 1, 2, 1, 1]);
  assert.is(decodeOutcomes(s), s.frames);
  assert.equal(sink.seen.map((o) => [o.kind, o.t]), [['syn', 0], ['synAck', 1], ['reset', 2], ['icmpUnreachable', 3], ['arpRequest', 4], ['arpReply', 5]]);
});

test('an outgoing SLL/SLL2 frame names our own interface, so it gives no client MAC; an incoming one does', () => {
  const out1 = decodeOne(113, g.sll({ packetType: SLL_OUTGOING, addr: '02:00:00:00:00:ff' }, 0x0800, g.tcpSyn(hs)));
  assert.is(out1.seen[0].kind === 'syn' && out1.seen[0].clientMac, 0);
  const out2 = decodeOne(276, g.sll2({ packetType: SLL_OUTGOING, addr: '02:00:00:00:00:ff' }, 0x0800, g.tcpSyn(hs)));
  assert.is(out2.seen[0].kind === 'syn' && out2.seen[0].clientMac, 0);
  const in1 = decodeOne(113, g.sll({ addr: '02:00:00:00:00:ee' }, 0x0800, g.tcpSyn(hs)));
  assert.is(in1.seen[0].kind === 'syn' && in1.seen[0].clientMac, mac('02:00:00:00:00:ee'));
});

test('an ICMP error the router sent itself (outgoing SLL/SLL2) carries the router\'s own MAC as reporter MAC', () => {
  const error = g.icmpUnreachable({ reporter: ROUTER, original: g.tcpSyn(hs) });
  const ROUTER_MAC = '02:00:c0:00:02:01';
  for (const [name, linktype, frame] of [
    ['SLL outgoing', 113, g.sll({ packetType: SLL_OUTGOING, addr: ROUTER_MAC }, 0x0800, error)],
    ['SLL2 outgoing', 276, g.sll2({ packetType: SLL_OUTGOING, addr: ROUTER_MAC }, 0x0800, error)],
    ['SLL2 incoming', 276, g.sll2({ addr: ROUTER_MAC }, 0x0800, error)],
  ] as const) {
    const { seen } = decodeOne(linktype, frame);
    assert.is(seen[0].kind === 'icmpUnreachable' && seen[0].reporterMac, mac(ROUTER_MAC), name);
  }
  const none = decodeOne(113, g.sll({ packetType: SLL_OUTGOING }, 0x0800, error));
  assert.is(none.seen[0].kind === 'icmpUnreachable' && none.seen[0].reporterMac, 0, 'no address in the header');
});

test.run();
