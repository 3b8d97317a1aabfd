// Each header module reads back the fields the generators wrote, and the generators'
// checksums verify (a correct checksum sums to 0xffff over the covered bytes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseMac, readMac } from '../../src/net/mac';
import * as g from '../../src/packet/generate';
import * as ethernet from '../../src/packet/ethernet';
import * as sll from '../../src/packet/sll';
import * as sll2 from '../../src/packet/sll2';
import * as arp from '../../src/packet/arp';
import * as ipv4 from '../../src/packet/ipv4';
import * as icmp from '../../src/packet/icmp';
import * as tcp from '../../src/packet/tcp';
import * as udp from '../../src/packet/udp';
import { onesSum, pseudoHeaderSum } from '../../src/packet/checksum';
import { isRawIp, isSupportedLinktype, linktypeName } from '../../src/packet/linktype';
import * as ipv6 from '../../src/packet/ipv6';
import * as ipv6ext from '../../src/packet/ipv6ext';
import * as icmp6 from '../../src/packet/icmp6';
import * as nd from '../../src/packet/nd';
import { formatIPv6 } from '../../src/net/ipv6';

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.20';
const ROUTER = '203.0.113.1';
const ip = (s: string) => parseIPv4(s) as number;
const mac = (s: string) => parseMac(s) as number;
const hs = { client: CLIENT, server: SERVER, cport: 40000, sport: 80, seq: 0xfffffff0 };

function tcpChecksumOk(packet: Uint8Array): boolean {
  const hl = ipv4.headerLength(packet, 0);
  const segLen = ipv4.totalLength(packet, 0) - hl;
  return onesSum(packet, hl, segLen, pseudoHeaderSum(ipv4.src(packet, 0), ipv4.dst(packet, 0), ipv4.protocol(packet, 0), segLen)) === 0xffff;
}

test('ethernet: addresses and type, no tag', () => {
  const f = g.ethernet({ src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' }, ethernet.ETHERTYPE_ARP, new Uint8Array(28));
  assert.is(f.length, 42);
  assert.is(readMac(f, ethernet.srcMacOffset(0)), mac('02:00:00:00:00:0a'));
  assert.is(readMac(f, ethernet.dstMacOffset(0)), g.BROADCAST_MAC);
  assert.is(ethernet.etherType(f, 0), 0x0806);
  assert.is(ethernet.skipVlanTags(f, 0x0806, 14, f.length), 14);
});

test('ethernet: 802.1Q tag and QinQ stack are skipped to the inner type', () => {
  const payload = g.tcpSyn(hs);
  const q = g.ethernet({ vlans: [{ vid: 42, pcp: 5 }] }, 0x0800, payload);
  assert.is(ethernet.etherType(q, 0), ethernet.ETHERTYPE_VLAN);
  assert.is(ethernet.vlanId(q, 14), 42);
  assert.is(q[14] >> 5, 5);
  const net = ethernet.skipVlanTags(q, ethernet.etherType(q, 0), 14, q.length);
  assert.is(net, 18);
  assert.is((q[net - 2] << 8) | q[net - 1], 0x0800);

  const qinq = g.ethernet({ vlans: [{ vid: 100, tpid: ethernet.ETHERTYPE_QINQ }, { vid: 200 }] }, 0x0800, payload);
  assert.is(ethernet.etherType(qinq, 0), 0x88a8);
  assert.is(ethernet.vlanId(qinq, 14), 100);
  assert.is(ethernet.vlanId(qinq, 18), 200);
  assert.is(ethernet.skipVlanTags(qinq, 0x88a8, 14, qinq.length), 22);
  // A tag stack cut short is reported, not read past the end.
  assert.is(ethernet.skipVlanTags(qinq, 0x88a8, 14, 20), -1);
});

test('ethernet: pad option fills to the 60-byte minimum', () => {
  const f = g.arpRequestFrame('02:00:00:00:00:01', ROUTER, SERVER, { pad: true });
  assert.is(f.length, 60);
  assert.is(arp.targetIp(f, 14), ip(SERVER));
});

test('sll: packet type, hardware type, address, protocol', () => {
  const f = g.sll({ packetType: sll.SLL_OUTGOING, addr: '02:00:00:00:00:0a' }, 0x0800, g.tcpSyn(hs));
  assert.is(sll.packetType(f, 0), 4);
  assert.is(sll.hardwareType(f, 0), 1);
  assert.is(sll.addressLength(f, 0), 6);
  assert.is(readMac(f, sll.addressOffset(0)), mac('02:00:00:00:00:0a'));
  assert.is(sll.protocol(f, 0), 0x0800);
  assert.is(ipv4.src(f, sll.SLL_HEADER_LEN), ip(CLIENT));
  assert.is(sll.addressLength(g.sll({}, 0x0800, new Uint8Array(20)), 0), 0);
});

test('sll2: protocol, interface index, packet type, address', () => {
  const f = g.sll2({ ifindex: 7, packetType: sll.SLL_BROADCAST, addr: '02:00:00:00:00:0b' }, 0x0806, new Uint8Array(28));
  assert.is(sll2.protocol(f, 0), 0x0806);
  assert.is(sll2.interfaceIndex(f, 0), 7);
  assert.is(sll2.hardwareType(f, 0), 1);
  assert.is(sll2.packetType(f, 0), 1);
  assert.is(sll2.addressLength(f, 0), 6);
  assert.is(readMac(f, sll2.addressOffset(0)), mac('02:00:00:00:00:0b'));
  assert.is(f.length, sll2.SLL2_HEADER_LEN + 28);
});

test('arp: request and reply fields', () => {
  const req = g.arpRequestFrame('02:00:00:00:00:01', ROUTER, SERVER);
  const o = ethernet.ETHERNET_HEADER_LEN;
  assert.ok(arp.isEthernetIpv4(req, o));
  assert.ok(arp.hasEthernetIpv4Lengths(req, o));
  assert.is(arp.operation(req, o), arp.ARP_OP_REQUEST);
  assert.is(readMac(req, arp.senderMacOffset(o)), mac('02:00:00:00:00:01'));
  assert.is(arp.senderIp(req, o), ip(ROUTER));
  assert.is(readMac(req, arp.targetMacOffset(o)), 0);
  assert.is(arp.targetIp(req, o), ip(SERVER));
  const rep = g.arpReplyFrame('02:00:00:00:00:14', SERVER, '02:00:00:00:00:01', ROUTER);
  assert.is(arp.operation(rep, o), arp.ARP_OP_REPLY);
  assert.is(readMac(rep, arp.senderMacOffset(o)), mac('02:00:00:00:00:14'));
  assert.is(readMac(rep, arp.targetMacOffset(o)), mac('02:00:00:00:00:01'));
  assert.is(readMac(rep, ethernet.dstMacOffset(0)), mac('02:00:00:00:00:01'));
});

test('ipv4: every field of a packet with options, checksum verifies', () => {
  const options = Uint8Array.of(7, 7, 4, 0, 0, 0, 0); // record route, 7 bytes -> padded to 8
  const p = g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: 17, ttl: 9, tos: 0x10, id: 0xbeef, df: false, mf: true, fragmentOffset: 0, options }, new Uint8Array(12));
  assert.is(ipv4.version(p, 0), 4);
  assert.is(ipv4.ihl(p, 0), 7);
  assert.is(ipv4.headerLength(p, 0), 28);
  assert.is(ipv4.tos(p, 0), 0x10);
  assert.is(ipv4.totalLength(p, 0), 40);
  assert.is(ipv4.identification(p, 0), 0xbeef);
  assert.is(ipv4.flags(p, 0), ipv4.IPV4_FLAG_MF);
  assert.ok(ipv4.moreFragments(p, 0));
  assert.not.ok(ipv4.isLaterFragment(p, 0));
  assert.is(ipv4.ttl(p, 0), 9);
  assert.is(ipv4.protocol(p, 0), 17);
  assert.is(ipv4.src(p, 0), ip(CLIENT));
  assert.is(ipv4.dst(p, 0), ip(SERVER));
  assert.equal([...p.subarray(20, 28)], [7, 7, 4, 0, 0, 0, 0, 0]);
  assert.is(onesSum(p, 0, 28), 0xffff, 'header checksum');
  assert.is.not(ipv4.headerChecksum(p, 0), 0);
});

test('ipv4: later fragment and payload end', () => {
  const frag = g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: 6, df: false, fragmentOffset: 185 }, new Uint8Array(8));
  assert.is(ipv4.fragmentOffset(frag, 0), 185);
  assert.ok(ipv4.isLaterFragment(frag, 0));
  // Ethernet padding beyond total length is not part of the datagram.
  assert.is(ipv4.payloadEnd(frag, 0, frag.length + 10), frag.length);
  // Snaplen cut: the capture ends first.
  assert.is(ipv4.payloadEnd(frag, 0, 21), 21);
  // Total length 0 (BIG TCP): the capture decides.
  const big = g.ipv4Packet({ src: CLIENT, dst: SERVER, protocol: 6, totalLength: 0 }, new Uint8Array(30));
  assert.is(ipv4.payloadEnd(big, 0, 50), 50);
});

test('tcp: SYN fields, flags, options length, checksum', () => {
  const p = g.tcpSyn(hs);
  const o = ipv4.headerLength(p, 0);
  assert.is(tcp.srcPort(p, o), 40000);
  assert.is(tcp.dstPort(p, o), 80);
  assert.is(tcp.seq(p, o), 0xfffffff0);
  assert.is(tcp.ack(p, o), 0);
  assert.is(tcp.dataOffset(p, o), 10);
  assert.is(tcp.headerLength(p, o), 40);
  assert.is(tcp.flags(p, o), tcp.TCP_SYN);
  assert.is(tcp.window(p, o), 64240);
  assert.is(tcp.urgentPointer(p, o), 0);
  assert.ok(tcpChecksumOk(p));
  assert.is.not(tcp.checksum(p, o), 0);
});

test('tcp: SYN+ACK acknowledges seq+1 across the 2^32 wrap, RST+ACK, data', () => {
  const sa = g.tcpSynAck({ ...hs, seq: 0xffffffff });
  const o = 20;
  assert.is(tcp.flags(sa, o), tcp.TCP_SYN | tcp.TCP_ACK);
  assert.is(tcp.ack(sa, o), 0);
  assert.is(ipv4.src(sa, 0), ip(SERVER));
  assert.is(tcp.srcPort(sa, o), 80);
  assert.is(tcp.dstPort(sa, o), 40000);
  assert.ok(tcpChecksumOk(sa));
  const rst = g.tcpRst(hs);
  assert.is(tcp.flags(rst, o), tcp.TCP_RST | tcp.TCP_ACK);
  assert.is(tcp.ack(rst, o), 0xfffffff1);
  assert.ok(tcpChecksumOk(rst));
  const data = g.tcpData({ src: CLIENT, dst: SERVER, sport: 1, dport: 2, seq: 5, ack: 6, data: Uint8Array.of(1, 2, 3) });
  assert.is(tcp.flags(data, o), tcp.TCP_ACK);
  assert.is(ipv4.totalLength(data, 0), 43);
  assert.ok(tcpChecksumOk(data), 'odd-length segment');
});

test('udp: ports, length, checksum', () => {
  const p = g.udpPacket({ src: CLIENT, dst: SERVER, sport: 5000, dport: 123, data: Uint8Array.of(9, 9, 9) });
  assert.is(udp.srcPort(p, 20), 5000);
  assert.is(udp.dstPort(p, 20), 123);
  assert.is(udp.length(p, 20), 11);
  assert.ok(tcpChecksumOk(p));
  assert.is.not(udp.checksum(p, 20), 0);
});

test('icmp: destination unreachable quotes the original header and 8 bytes, checksum verifies', () => {
  const syn = g.tcpSyn(hs);
  const p = g.icmpUnreachable({ reporter: ROUTER, original: syn, code: icmp.UNREACH_HOST });
  assert.is(ipv4.src(p, 0), ip(ROUTER));
  assert.is(ipv4.dst(p, 0), ip(CLIENT), 'sent back to the original source');
  assert.is(ipv4.protocol(p, 0), ipv4.IPPROTO_ICMP);
  const o = 20;
  assert.is(icmp.type(p, o), icmp.ICMP_DEST_UNREACHABLE);
  assert.is(icmp.code(p, o), 1);
  assert.is(p.length - o, 8 + 20 + 8);
  assert.is(onesSum(p, o, p.length - o), 0xffff, 'ICMP checksum');
  assert.is.not(icmp.checksum(p, o), 0);
  const q = icmp.quotedOffset(o);
  assert.is(ipv4.src(p, q), ip(CLIENT));
  assert.is(ipv4.dst(p, q), ip(SERVER));
  assert.is(tcp.srcPort(p, q + 20), 40000);
  assert.is(tcp.dstPort(p, q + 20), 80);
  assert.is(tcp.seq(p, q + 20), 0xfffffff0);
  const mtu = g.icmpUnreachable({ reporter: ROUTER, original: syn, code: icmp.UNREACH_FRAG_NEEDED, nextHopMtu: 1400, quoteLength: 1000 });
  assert.is(icmp.nextHopMtu(mtu, o), 1400);
  assert.is(mtu.length - o, 8 + syn.length, 'quote capped at the original length');
  assert.is(icmp.UNREACH_CODE_NAMES.length, 16);
  assert.is(icmp.UNREACH_CODE_NAMES[icmp.UNREACH_ADMIN_PROHIBITED], 'communication administratively prohibited');
});

test('IPv6 header, extension headers, ICMPv6 and ND accessors read what the generators wrote', () => {
  const extensions: g.ExtensionHeader[] = [{ type: 'hop-by-hop', length: 16 }, { type: 'ah' }, { type: 'fragment', offset: 7, more: true, id: 0xdeadbeef }];
  const p = g.ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6, hopLimit: 33, trafficClass: 0xb8, flowLabel: 0x12345, extensions }, new Uint8Array(4));
  assert.equal([ipv6.version(p, 0), ipv6.trafficClass(p, 0), ipv6.flowLabel(p, 0), ipv6.hopLimit(p, 0), ipv6.payloadLength(p, 0)], [6, 0xb8, 0x12345, 33, 16 + 16 + 8 + 4]);
  assert.equal([formatIPv6(p, ipv6.srcOffset(0)), formatIPv6(p, ipv6.dstOffset(0))], ['2001:db8::1', '2001:db8::2']);
  assert.is(ipv6.nextHeader(p, 0), ipv6ext.IPPROTO_HOPOPTS);
  assert.equal([ipv6ext.headerLength(ipv6ext.IPPROTO_HOPOPTS, p, 40), ipv6ext.nextHeader(p, 40)], [16, ipv6ext.IPPROTO_AH]);
  assert.equal([ipv6ext.headerLength(ipv6ext.IPPROTO_AH, p, 56), ipv6ext.nextHeader(p, 56)], [16, ipv6ext.IPPROTO_FRAGMENT]);
  assert.equal([ipv6ext.fragmentOffset(p, 72), ipv6ext.moreFragments(p, 72), ipv6ext.fragmentId(p, 72), ipv6ext.nextHeader(p, 72)], [7, true, 0xdeadbeef, 6]);
  assert.is(ipv6.payloadEnd(p, 0, p.length + 20), p.length, 'padding after the payload is not the packet');
  const na = g.neighbourAdvertisement({ src: '2001:db8::2', targetMac: '02:00:00:00:00:02', router: true, solicited: false });
  assert.equal([icmp6.type(na, 40), icmp6.code(na, 40), nd.advertFlags(na, 40)], [icmp6.ICMP6_NEIGHBOUR_ADVERT, 0, nd.NA_FLAG_ROUTER | nd.NA_FLAG_OVERRIDE]);
  const opt = nd.optionsOffset(40);
  assert.equal([nd.optionType(na, opt), nd.optionLength(na, opt), formatIPv6(na, nd.targetOffset(40))], [nd.ND_OPT_TARGET_LINK_ADDR, 8, '2001:db8::2']);
  assert.is(formatIPv6(g.solicitedNodeMulticast('2001:db8::abcd:1234')), 'ff02::1:ffcd:1234');
  assert.is(g.ipv6MulticastMac('ff02::1:ffcd:1234'), 0x3333ffcd1234);
  assert.is(icmp6.UNREACH6_CODE_NAMES[icmp6.UNREACH6_ADDRESS], 'address unreachable');
});

test('linktype: raw variants, support and names', () => {
  for (const lt of [101, 12, 14]) assert.ok(isRawIp(lt), String(lt));
  assert.not.ok(isRawIp(1));
  for (const lt of [1, 101, 12, 14, 113, 276, 228, 229]) assert.ok(isSupportedLinktype(lt), String(lt));
  assert.not.ok(isRawIp(228) || isRawIp(229), 'one version only: not the either-version raw link');
  assert.not.ok(isSupportedLinktype(105));
  assert.is(linktypeName(276), 'LINUX_SLL2 (276)');
  assert.is(linktypeName(229), 'IPV6 (229)');
  assert.is(linktypeName(999), 'linktype 999');
});

test('generators reject bad addresses with the value in the message', () => {
  assert.throws(() => g.ip('192.0.2'), /'192\.0\.2'/);
  assert.throws(() => g.mac('02:00'), /'02:00'/);
  assert.throws(() => g.ip(2 ** 32), /4294967296/);
  assert.throws(() => g.linkFrame({ kind: 'raw' }, 0x0806, new Uint8Array(28)), /0x806/);
});

test('seededRandom repeats for a seed and differs between seeds', () => {
  const a = g.seededRandom(7), b = g.seededRandom(7), c = g.seededRandom(8);
  const xs = [a(), a(), a()];
  assert.equal([b(), b(), b()], xs);
  assert.not.equal([c(), c(), c()], xs);
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test.run();
