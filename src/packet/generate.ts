// Builders of well-formed test traffic: link wrappers, IPv4, TCP, UDP, ICMP errors and ARP,
// with correct checksums, so that tcpdump and the kernel would accept them. For tests, the
// benchmark and fixtures; they allocate freely.
import { formatIPv4, parseIPv4 } from '../net/ipv4';
import { parseMac } from '../net/mac';
import { putMac, putU16, putU32 } from './bytes';
import { internetChecksum, pseudoHeaderSum } from './checksum';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_VLAN } from './ethernet';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_FLAG_DF, IPV4_FLAG_MF } from './ipv4';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './linktype';
import { SLL_HOST } from './sll';
import { TCP_ACK, TCP_RST, TCP_SYN } from './tcp';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from './arp';
import { ICMP_DEST_UNREACHABLE } from './icmp';

/** An IPv4 address as a number (engine form) or dotted text. */
export type Ipv4Like = number | string;
/** A MAC address as a 48-bit number (engine form) or "aa:bb:cc:dd:ee:ff". */
export type MacLike = number | string;

export const BROADCAST_MAC = 0xffffffffffff;

export function ip(addr: Ipv4Like): number {
  if (typeof addr === 'number') {
    if (!(Number.isInteger(addr) && addr >= 0 && addr <= 0xffffffff)) throw new RangeError(`IPv4 address ${addr}: must be an integer in 0..2^32-1`);
    return addr;
  }
  const value = parseIPv4(addr);
  if (value === null) throw new RangeError(`IPv4 address '${addr}': expected dotted quad like 192.0.2.1`);
  return value;
}

export function mac(addr: MacLike): number {
  if (typeof addr === 'number') {
    if (!(Number.isInteger(addr) && addr >= 0 && addr <= BROADCAST_MAC)) throw new RangeError(`MAC ${addr}: must be an integer in 0..2^48-1`);
    return addr;
  }
  const value = parseMac(addr);
  if (value === null) throw new RangeError(`MAC '${addr}': expected six hex pairs like 02:00:00:00:00:01`);
  return value;
}

// ---- link layers ----

export interface VlanTag {
  vid: number;
  pcp?: number;
  /** 0x8100 (802.1Q, default) or 0x88a8 (802.1ad outer tag of QinQ). */
  tpid?: number;
}

export interface EthernetSpec {
  src?: MacLike;
  dst?: MacLike;
  /** Outermost first. */
  vlans?: readonly VlanTag[];
  /** Pad to the 60-byte minimum as a NIC does on the wire (captures of received frames show it). */
  pad?: boolean;
}

const DEFAULT_SRC_MAC = 0x020000000001;
const DEFAULT_DST_MAC = 0x020000000002;

export function ethernet(spec: EthernetSpec, etherType: number, payload: Uint8Array): Uint8Array {
  const vlans = spec.vlans ?? [];
  const headerLen = 14 + 4 * vlans.length;
  const len = Math.max(headerLen + payload.length, spec.pad ? 60 : 0);
  const out = new Uint8Array(len);
  putMac(out, 0, mac(spec.dst ?? DEFAULT_DST_MAC));
  putMac(out, 6, mac(spec.src ?? DEFAULT_SRC_MAC));
  let pos = 12;
  for (const tag of vlans) {
    putU16(out, pos, tag.tpid ?? ETHERTYPE_VLAN);
    putU16(out, pos + 2, ((tag.pcp ?? 0) << 13) | (tag.vid & 0x0fff));
    pos += 4;
  }
  putU16(out, pos, etherType);
  out.set(payload, headerLen);
  return out;
}

export interface SllSpec {
  /** sll.ts SLL_HOST (default) ... SLL_OUTGOING. */
  packetType?: number;
  /** ARPHRD type, default 1 (Ethernet). */
  hatype?: number;
  /** Link-layer address of the sender; omitted means length 0 (no address). */
  addr?: MacLike;
  /** SLL2 only: interface index. */
  ifindex?: number;
}

/** Linux cooked v1 (LINKTYPE_LINUX_SLL). */
export function sll(spec: SllSpec, protocol: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  putU16(out, 0, spec.packetType ?? SLL_HOST);
  putU16(out, 2, spec.hatype ?? 1);
  if (spec.addr !== undefined) {
    putU16(out, 4, 6);
    putMac(out, 6, mac(spec.addr));
  }
  putU16(out, 14, protocol);
  out.set(payload, 16);
  return out;
}

/** Linux cooked v2 (LINKTYPE_LINUX_SLL2). */
export function sll2(spec: SllSpec, protocol: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  putU16(out, 0, protocol);
  putU32(out, 4, spec.ifindex ?? 2);
  putU16(out, 8, spec.hatype ?? 1);
  out[10] = spec.packetType ?? SLL_HOST;
  if (spec.addr !== undefined) {
    out[11] = 6;
    putMac(out, 12, mac(spec.addr));
  }
  out.set(payload, 20);
  return out;
}

/** How to wrap a network-layer packet for a given capture link type. */
export type LinkSpec =
  | ({ kind: 'ethernet' } & EthernetSpec)
  | ({ kind: 'sll' } & SllSpec)
  | ({ kind: 'sll2' } & SllSpec)
  | { kind: 'raw' };

export function linktypeOf(link: LinkSpec): number {
  switch (link.kind) {
    case 'ethernet': return LINKTYPE_ETHERNET;
    case 'sll': return LINKTYPE_LINUX_SLL;
    case 'sll2': return LINKTYPE_LINUX_SLL2;
    case 'raw': return LINKTYPE_RAW;
  }
}

/** Wraps `payload` (of EtherType `etherType`) for the link; raw links carry IP only. */
export function linkFrame(link: LinkSpec, etherType: number, payload: Uint8Array): Uint8Array {
  switch (link.kind) {
    case 'ethernet': return ethernet(link, etherType, payload);
    case 'sll': return sll(link, etherType, payload);
    case 'sll2': return sll2(link, etherType, payload);
    case 'raw':
      if (etherType !== ETHERTYPE_IPV4) throw new RangeError(`a raw IP link cannot carry EtherType 0x${etherType.toString(16)}`);
      return payload.slice();
  }
}

// ---- IPv4 ----

export interface Ipv4Spec {
  src: Ipv4Like;
  dst: Ipv4Like;
  protocol: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't Fragment; default true (what Linux sets on TCP with PMTU discovery). */
  df?: boolean;
  /** More Fragments. */
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragmentOffset?: number;
  /** IP options, padded with zeros (end of options) to a multiple of 4 bytes. */
  options?: Uint8Array;
  /** Override the total length field (to build malformed packets); default the real length. */
  totalLength?: number;
}

export function ipv4Packet(spec: Ipv4Spec, payload: Uint8Array): Uint8Array {
  const optLen = spec.options ? (spec.options.length + 3) & ~3 : 0;
  if (optLen > 40) throw new RangeError(`IPv4 options of ${spec.options?.length} bytes: at most 40 fit`);
  const headerLen = 20 + optLen;
  const out = new Uint8Array(headerLen + payload.length);
  out[0] = 0x40 | (headerLen >> 2);
  out[1] = spec.tos ?? 0;
  putU16(out, 2, spec.totalLength ?? out.length);
  putU16(out, 4, spec.id ?? 0);
  putU16(out, 6, ((spec.df ?? true) ? IPV4_FLAG_DF : 0) | (spec.mf ? IPV4_FLAG_MF : 0) | ((spec.fragmentOffset ?? 0) & 0x1fff));
  out[8] = spec.ttl ?? 64;
  out[9] = spec.protocol;
  putU32(out, 12, ip(spec.src));
  putU32(out, 16, ip(spec.dst));
  if (spec.options) out.set(spec.options, 20);
  putU16(out, 10, internetChecksum(out, 0, headerLen));
  out.set(payload, headerLen);
  return out;
}

// ---- TCP / UDP ----

export interface TcpSpec {
  src: Ipv4Like;
  dst: Ipv4Like;
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** tcp.ts TCP_SYN | TCP_ACK ... */
  flags: number;
  window?: number;
  /** TCP options, padded with zeros to a multiple of 4 bytes. */
  options?: Uint8Array;
  data?: Uint8Array;
  /** Fields of the IPv4 header other than addresses and protocol. */
  ip?: Omit<Ipv4Spec, 'src' | 'dst' | 'protocol'>;
}

/** An IPv4 packet carrying one TCP segment, both checksums correct. */
export function tcpPacket(spec: TcpSpec): Uint8Array {
  const optLen = spec.options ? (spec.options.length + 3) & ~3 : 0;
  if (optLen > 40) throw new RangeError(`TCP options of ${spec.options?.length} bytes: at most 40 fit`);
  const data = spec.data ?? new Uint8Array(0);
  const headerLen = 20 + optLen;
  const seg = new Uint8Array(headerLen + data.length);
  putU16(seg, 0, spec.sport);
  putU16(seg, 2, spec.dport);
  putU32(seg, 4, spec.seq ?? 0);
  putU32(seg, 8, spec.ack ?? 0);
  seg[12] = (headerLen >> 2) << 4;
  seg[13] = spec.flags & 0xff;
  putU16(seg, 14, spec.window ?? 64240);
  if (spec.options) seg.set(spec.options, 20);
  seg.set(data, headerLen);
  const src = ip(spec.src);
  const dst = ip(spec.dst);
  putU16(seg, 16, internetChecksum(seg, 0, seg.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, seg.length)));
  return ipv4Packet({ ...spec.ip, src, dst, protocol: IPPROTO_TCP }, seg);
}

/** MSS, SACK permitted, timestamps, NOP, window scale: what Linux puts in a SYN. */
export function linuxSynOptions(mss = 1460, tsval = 1): Uint8Array {
  const o = new Uint8Array(20);
  o[0] = 2; o[1] = 4; putU16(o, 2, mss);
  o[4] = 4; o[5] = 2;
  o[6] = 8; o[7] = 10; putU32(o, 8, tsval); putU32(o, 12, 0);
  o[16] = 1; o[17] = 3; o[18] = 3; o[19] = 7;
  return o;
}

export interface HandshakeSpec {
  client: Ipv4Like;
  server: Ipv4Like;
  /** The client's port. */
  cport: number;
  /** The server's port. */
  sport: number;
  seq?: number;
  /** Leave TCP options out (20-byte header). */
  noOptions?: boolean;
  ip?: TcpSpec['ip'];
}

/** Client -> server SYN. */
export function tcpSyn(h: HandshakeSpec): Uint8Array {
  return tcpPacket({
    src: h.client, dst: h.server, sport: h.cport, dport: h.sport, seq: h.seq ?? 1000, flags: TCP_SYN,
    options: h.noOptions ? undefined : linuxSynOptions(), ip: h.ip,
  });
}

/** Server -> client SYN+ACK answering a SYN whose seq was `h.seq`. */
export function tcpSynAck(h: HandshakeSpec & { serverSeq?: number }): Uint8Array {
  return tcpPacket({
    src: h.server, dst: h.client, sport: h.sport, dport: h.cport, seq: h.serverSeq ?? 5000,
    ack: ((h.seq ?? 1000) + 1) >>> 0, flags: TCP_SYN | TCP_ACK,
    options: h.noOptions ? undefined : linuxSynOptions(), ip: h.ip,
  });
}

/** Server -> client RST+ACK refusing a SYN (closed port), as Linux sends it. */
export function tcpRst(h: HandshakeSpec): Uint8Array {
  return tcpPacket({
    src: h.server, dst: h.client, sport: h.sport, dport: h.cport, seq: 0,
    ack: ((h.seq ?? 1000) + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, ip: h.ip,
  });
}

/** A segment of an established connection from `src` to `dst` (ACK, with data if given). */
export function tcpData(spec: Omit<TcpSpec, 'flags'> & { flags?: number }): Uint8Array {
  return tcpPacket({ ...spec, flags: spec.flags ?? TCP_ACK });
}

export interface UdpSpec {
  src: Ipv4Like;
  dst: Ipv4Like;
  sport: number;
  dport: number;
  data?: Uint8Array;
  ip?: Omit<Ipv4Spec, 'src' | 'dst' | 'protocol'>;
}

export function udpPacket(spec: UdpSpec): Uint8Array {
  const data = spec.data ?? new Uint8Array(0);
  const dgram = new Uint8Array(8 + data.length);
  putU16(dgram, 0, spec.sport);
  putU16(dgram, 2, spec.dport);
  putU16(dgram, 4, dgram.length);
  dgram.set(data, 8);
  const src = ip(spec.src);
  const dst = ip(spec.dst);
  const sum = internetChecksum(dgram, 0, dgram.length, pseudoHeaderSum(src, dst, IPPROTO_UDP, dgram.length));
  putU16(dgram, 6, sum === 0 ? 0xffff : sum); // 0 would mean "no checksum"
  return ipv4Packet({ df: false, ...spec.ip, src, dst, protocol: IPPROTO_UDP }, dgram);
}

// ---- ICMP ----

export interface UnreachableSpec {
  /** Who sends the error (normally the router). */
  reporter: Ipv4Like;
  /** icmp.ts UNREACH_*; default host unreachable. */
  code?: number;
  /** The IPv4 packet that could not be delivered; the error goes back to its source. */
  original: Uint8Array;
  /** Bytes of the original to quote; default its header + 8 (RFC 792). Linux quotes up to 548. */
  quoteLength?: number;
  /** For code 4 (fragmentation needed). */
  nextHopMtu?: number;
  ip?: Omit<Ipv4Spec, 'src' | 'dst' | 'protocol'>;
}

export function icmpUnreachable(spec: UnreachableSpec): Uint8Array {
  const original = spec.original;
  const headerLen = (original[0] & 0x0f) * 4;
  const quoteLength = Math.min(spec.quoteLength ?? headerLen + 8, original.length);
  const msg = new Uint8Array(8 + quoteLength);
  msg[0] = ICMP_DEST_UNREACHABLE;
  msg[1] = spec.code ?? 1;
  putU16(msg, 6, spec.nextHopMtu ?? 0);
  msg.set(original.subarray(0, quoteLength), 8);
  putU16(msg, 2, internetChecksum(msg, 0, msg.length));
  const client = ((original[12] << 24) | (original[13] << 16) | (original[14] << 8) | original[15]) >>> 0;
  // Linux sends ICMP errors with precedence "internetwork control" and without DF.
  return ipv4Packet({ tos: 0xc0, df: false, ...spec.ip, src: spec.reporter, dst: client, protocol: IPPROTO_ICMP }, msg);
}

/** An ICMP echo request (other ICMP traffic, which the decoder ignores). */
export function icmpEcho(src: Ipv4Like, dst: Ipv4Like, id = 1, seq = 1): Uint8Array {
  const msg = new Uint8Array(16);
  msg[0] = 8;
  putU16(msg, 4, id);
  putU16(msg, 6, seq);
  putU16(msg, 2, internetChecksum(msg, 0, msg.length));
  return ipv4Packet({ src, dst, protocol: IPPROTO_ICMP }, msg);
}

// ---- ARP ----

export interface ArpSpec {
  op: number;
  senderMac: MacLike;
  senderIp: Ipv4Like;
  targetMac?: MacLike;
  targetIp: Ipv4Like;
}

/** The 28-byte Ethernet/IPv4 ARP body. */
export function arpPacket(spec: ArpSpec): Uint8Array {
  const out = new Uint8Array(28);
  putU16(out, 0, 1);
  putU16(out, 2, ETHERTYPE_IPV4);
  out[4] = 6;
  out[5] = 4;
  putU16(out, 6, spec.op);
  putMac(out, 8, mac(spec.senderMac));
  putU32(out, 14, ip(spec.senderIp));
  putMac(out, 18, mac(spec.targetMac ?? 0));
  putU32(out, 24, ip(spec.targetIp));
  return out;
}

/** "Who has targetIp? Tell senderIp", broadcast. */
export function arpRequestFrame(senderMac: MacLike, senderIp: Ipv4Like, targetIp: Ipv4Like, link: EthernetSpec = {}): Uint8Array {
  const body = arpPacket({ op: ARP_OP_REQUEST, senderMac, senderIp, targetIp });
  return ethernet({ src: senderMac, dst: BROADCAST_MAC, ...link }, ETHERTYPE_ARP, body);
}

/** "senderIp is at senderMac", unicast to the asker. */
export function arpReplyFrame(senderMac: MacLike, senderIp: Ipv4Like, targetMac: MacLike, targetIp: Ipv4Like, link: EthernetSpec = {}): Uint8Array {
  const body = arpPacket({ op: ARP_OP_REPLY, senderMac, senderIp, targetMac, targetIp });
  return ethernet({ src: senderMac, dst: targetMac, ...link }, ETHERTYPE_ARP, body);
}

// ---- randomness for tests and benchmarks ----

/** A small seeded PRNG (mulberry32): same seed, same sequence; values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** For messages in tests: "192.0.2.1" from either form. */
export function ipText(addr: Ipv4Like): string {
  return formatIPv4(ip(addr));
}
