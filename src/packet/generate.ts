// Builders of well-formed test traffic: link wrappers, IPv4 and IPv6 (with extension headers),
// TCP, UDP, ICMP and ICMPv6 errors, ARP and neighbour discovery, with correct checksums, so
// that tcpdump and the kernel would accept them. For tests, the benchmark and fixtures; they
// allocate freely.
import { formatIPv4, parseIPv4 } from '../net/ipv4';
import { parseIPv6 } from '../net/ipv6';
import { parseMac } from '../net/mac';
import { putMac, putU16, putU32 } from './bytes';
import { internetChecksum, pseudoHeaderSum, pseudoHeaderSum6 } from './checksum';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN } from './ethernet';
import { IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING } from './ipv6ext';
import { ICMP6_DEST_UNREACHABLE, ICMP6_ECHO_REQUEST, ICMP6_NEIGHBOUR_ADVERT, ICMP6_NEIGHBOUR_SOLICIT, IPPROTO_ICMPV6, UNREACH6_ADDRESS } from './icmp6';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, ND_HOP_LIMIT, ND_OPT_SOURCE_LINK_ADDR, ND_OPT_TARGET_LINK_ADDR } from './nd';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_FLAG_DF, IPV4_FLAG_MF } from './ipv4';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './linktype';
import { SLL_HOST } from './sll';
import { TCP_ACK, TCP_RST, TCP_SYN } from './tcp';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from './arp';
import { ICMP_DEST_UNREACHABLE } from './icmp';

/** An IPv4 address as a number (engine form) or dotted text. */
export type Ipv4Like = number | string;
/** An IPv6 address as 16 bytes or RFC 4291 text. */
export type Ipv6Like = Uint8Array | string;
/** Either family: text with a colon, or 16 bytes, is IPv6. */
export type AddressLike = Ipv4Like | Ipv6Like;
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

export function ip6(addr: Ipv6Like): Uint8Array {
  if (addr instanceof Uint8Array) {
    if (addr.length !== 16) throw new RangeError(`IPv6 address of ${addr.length} bytes: must be 16`);
    return addr.slice();
  }
  const value = parseIPv6(addr);
  if (value === null) throw new RangeError(`IPv6 address '${addr}': expected text like 2001:db8::1`);
  return value;
}

export function isIpv6Like(addr: AddressLike): addr is Ipv6Like {
  return addr instanceof Uint8Array || (typeof addr === 'string' && addr.includes(':'));
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
      if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) throw new RangeError(`a raw IP link cannot carry EtherType 0x${etherType.toString(16)}`);
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

// ---- IPv6 ----

/** One extension header (RFC 8200 section 4); lengths in bytes, a multiple of 8. */
export type ExtensionHeader =
  | { type: 'hop-by-hop' | 'destination'; length?: number }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; length?: number }
  /** `offset` in 8-byte units; 0 with `more` is a first fragment. */
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  | { type: 'ah'; length?: number };

export interface Ipv6Spec {
  src: Ipv6Like;
  dst: Ipv6Like;
  /** The upper-layer protocol, after any extension headers. */
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** In the order they appear after the fixed header. */
  extensions?: readonly ExtensionHeader[];
  /** Override the payload length field (to build malformed packets); default the real length. */
  payloadLength?: number;
}

const EXTENSION_TYPES: Record<ExtensionHeader['type'], number> = {
  'hop-by-hop': IPPROTO_HOPOPTS, destination: IPPROTO_DSTOPTS, routing: IPPROTO_ROUTING, fragment: IPPROTO_FRAGMENT, ah: IPPROTO_AH,
};

function extensionBytes(ext: ExtensionHeader, next: number): Uint8Array {
  const length = ext.type === 'fragment' ? 8 : ext.length ?? (ext.type === 'ah' ? 16 : 8);
  if (length < 8 || length % 8 !== 0 || length > 2048) throw new RangeError(`${ext.type} header of ${length} bytes: must be a multiple of 8 in 8..2048`);
  const out = new Uint8Array(length);
  out[0] = next;
  switch (ext.type) {
    case 'hop-by-hop':
    case 'destination':
      out[1] = length / 8 - 1;
      // One PadN option fills the header (RFC 8200 section 4.2).
      out[2] = 1;
      out[3] = length - 4;
      break;
    case 'routing':
      out[1] = length / 8 - 1;
      out[2] = ext.routingType ?? 4;
      out[3] = ext.segmentsLeft ?? 0;
      break;
    case 'fragment':
      putU16(out, 2, ((ext.offset ?? 0) << 3) | (ext.more ? 1 : 0));
      putU32(out, 4, ext.id ?? 0x12345678);
      break;
    case 'ah':
      out[1] = length / 4 - 2;
      putU32(out, 4, 0x100); // SPI
      putU32(out, 8, 1); // sequence number
      break;
  }
  return out;
}

export function ipv6Packet(spec: Ipv6Spec, payload: Uint8Array): Uint8Array {
  const extensions = spec.extensions ?? [];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < extensions.length; i++) {
    const next = i + 1 < extensions.length ? EXTENSION_TYPES[extensions[i + 1].type] : spec.nextHeader;
    parts.push(extensionBytes(extensions[i], next));
  }
  const extLen = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(40 + extLen + payload.length);
  const tc = spec.trafficClass ?? 0;
  const flow = spec.flowLabel ?? 0;
  putU32(out, 0, ((6 << 28) | (tc << 20) | (flow & 0xfffff)) >>> 0);
  putU16(out, 4, spec.payloadLength ?? extLen + payload.length);
  out[6] = extensions.length > 0 ? EXTENSION_TYPES[extensions[0].type] : spec.nextHeader;
  out[7] = spec.hopLimit ?? 64;
  out.set(ip6(spec.src), 8);
  out.set(ip6(spec.dst), 24);
  let pos = 40;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  out.set(payload, pos);
  return out;
}

/** Fields of the IPv6 header other than addresses and protocol. */
export type Ipv6Fields = Omit<Ipv6Spec, 'src' | 'dst' | 'nextHeader'>;

/**
 * An upper-layer `payload` of `protocol` in IPv4 or IPv6, its checksum (over the pseudo-header:
 * TCP, UDP, ICMPv6, not ICMPv4) written at `checksumAt`.
 */
function inIp(
  src: AddressLike, dst: AddressLike, protocol: number, payload: Uint8Array, checksumAt: number,
  v4: Omit<Ipv4Spec, 'src' | 'dst' | 'protocol'> | undefined, v6: Ipv6Fields | undefined,
): Uint8Array {
  if (isIpv6Like(src) !== isIpv6Like(dst)) throw new RangeError(`source ${String(src)} and destination ${String(dst)} are of different families`);
  let sum: number;
  if (isIpv6Like(src)) {
    const s6 = ip6(src);
    const d6 = ip6(dst as Ipv6Like);
    sum = internetChecksum(payload, 0, payload.length, pseudoHeaderSum6(s6, d6, protocol, payload.length));
    putU16(payload, checksumAt, protocol === IPPROTO_UDP && sum === 0 ? 0xffff : sum);
    return ipv6Packet({ ...v6, src: s6, dst: d6, nextHeader: protocol }, payload);
  }
  const s4 = ip(src);
  const d4 = ip(dst as Ipv4Like);
  sum = internetChecksum(payload, 0, payload.length, pseudoHeaderSum(s4, d4, protocol, payload.length));
  // 0 would mean "no checksum" in UDP.
  putU16(payload, checksumAt, protocol === IPPROTO_UDP && sum === 0 ? 0xffff : sum);
  return ipv4Packet({ ...(protocol === IPPROTO_UDP ? { df: false } : {}), ...v4, src: s4, dst: d4, protocol }, payload);
}

// ---- TCP / UDP ----

export interface TcpSpec {
  /** IPv4 or IPv6 (both the same family). */
  src: AddressLike;
  dst: AddressLike;
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
  /** Fields of the IPv6 header (extension headers...) when the addresses are IPv6. */
  ip6?: Ipv6Fields;
}

/** An IPv4 or IPv6 packet carrying one TCP segment, checksums correct. */
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
  return inIp(spec.src, spec.dst, IPPROTO_TCP, seg, 16, spec.ip, spec.ip6);
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
  client: AddressLike;
  server: AddressLike;
  /** The client's port. */
  cport: number;
  /** The server's port. */
  sport: number;
  seq?: number;
  /** Leave TCP options out (20-byte header). */
  noOptions?: boolean;
  ip?: TcpSpec['ip'];
  ip6?: TcpSpec['ip6'];
}

/** Client -> server SYN. */
export function tcpSyn(h: HandshakeSpec): Uint8Array {
  return tcpPacket({
    src: h.client, dst: h.server, sport: h.cport, dport: h.sport, seq: h.seq ?? 1000, flags: TCP_SYN,
    options: h.noOptions ? undefined : linuxSynOptions(), ip: h.ip, ip6: h.ip6,
  });
}

/** Server -> client SYN+ACK answering a SYN whose seq was `h.seq`. */
export function tcpSynAck(h: HandshakeSpec & { serverSeq?: number }): Uint8Array {
  return tcpPacket({
    src: h.server, dst: h.client, sport: h.sport, dport: h.cport, seq: h.serverSeq ?? 5000,
    ack: ((h.seq ?? 1000) + 1) >>> 0, flags: TCP_SYN | TCP_ACK,
    options: h.noOptions ? undefined : linuxSynOptions(), ip: h.ip, ip6: h.ip6,
  });
}

/** Server -> client RST+ACK refusing a SYN (closed port), as Linux sends it. */
export function tcpRst(h: HandshakeSpec): Uint8Array {
  return tcpPacket({
    src: h.server, dst: h.client, sport: h.sport, dport: h.cport, seq: 0,
    ack: ((h.seq ?? 1000) + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, ip: h.ip, ip6: h.ip6,
  });
}

/** A segment of an established connection from `src` to `dst` (ACK, with data if given). */
export function tcpData(spec: Omit<TcpSpec, 'flags'> & { flags?: number }): Uint8Array {
  return tcpPacket({ ...spec, flags: spec.flags ?? TCP_ACK });
}

export interface UdpSpec {
  src: AddressLike;
  dst: AddressLike;
  sport: number;
  dport: number;
  data?: Uint8Array;
  ip?: Omit<Ipv4Spec, 'src' | 'dst' | 'protocol'>;
  ip6?: Ipv6Fields;
}

export function udpPacket(spec: UdpSpec): Uint8Array {
  const data = spec.data ?? new Uint8Array(0);
  const dgram = new Uint8Array(8 + data.length);
  putU16(dgram, 0, spec.sport);
  putU16(dgram, 2, spec.dport);
  putU16(dgram, 4, dgram.length);
  dgram.set(data, 8);
  return inIp(spec.src, spec.dst, IPPROTO_UDP, dgram, 6, spec.ip, spec.ip6);
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

// ---- ICMPv6 and neighbour discovery ----

/** An ICMPv6 message of `type`/`code` with `body` after its 4-byte header, in IPv6. */
function icmp6Packet(src: Ipv6Like, dst: Ipv6Like, type: number, code: number, body: Uint8Array, ip6Fields?: Ipv6Fields): Uint8Array {
  const msg = new Uint8Array(4 + body.length);
  msg[0] = type;
  msg[1] = code;
  msg.set(body, 4);
  return inIp(src, dst, IPPROTO_ICMPV6, msg, 2, undefined, ip6Fields);
}

export interface Unreachable6Spec {
  /** Who sends the error (normally the router). */
  reporter: Ipv6Like;
  /** icmp6.ts UNREACH6_*; default address unreachable (what Linux sends when ND fails). */
  code?: number;
  /** The IPv6 packet that could not be delivered; the error goes back to its source. */
  original: Uint8Array;
  /** Bytes of the original to quote; default all that fits in 1280 bytes (RFC 4443 2.4). */
  quoteLength?: number;
  ip6?: Ipv6Fields;
}

export function icmp6Unreachable(spec: Unreachable6Spec): Uint8Array {
  const original = spec.original;
  const quoteLength = Math.min(spec.quoteLength ?? 1280 - 48, original.length);
  const body = new Uint8Array(4 + quoteLength);
  body.set(original.subarray(0, quoteLength), 4);
  return icmp6Packet(spec.reporter, original.subarray(8, 24), ICMP6_DEST_UNREACHABLE, spec.code ?? UNREACH6_ADDRESS, body, spec.ip6);
}

/** An ICMPv6 echo request (other ICMPv6 traffic, which the decoder ignores). */
export function icmp6Echo(src: Ipv6Like, dst: Ipv6Like, id = 1, seq = 1): Uint8Array {
  const body = new Uint8Array(12);
  putU16(body, 0, id);
  putU16(body, 2, seq);
  return icmp6Packet(src, dst, ICMP6_ECHO_REQUEST, 0, body);
}

/** ff02::1:ffXX:XXXX, the group a solicitation for `target` goes to (RFC 4291 2.7.1). */
export function solicitedNodeMulticast(target: Ipv6Like): Uint8Array {
  const out = ip6('ff02::1:ff00:0');
  out.set(ip6(target).subarray(13, 16), 13);
  return out;
}

/** 33:33 and the group's last 32 bits: the Ethernet destination of IPv6 multicast (RFC 2464). */
export function ipv6MulticastMac(group: Ipv6Like): number {
  const g6 = ip6(group);
  return 0x333300000000 + ((g6[12] << 24) >>> 0) + (g6[13] << 16) + (g6[14] << 8) + g6[15];
}

/** A link-layer address option (type 1 source, 2 target) for Ethernet. */
function linkAddressOption(type: number, addr: MacLike): Uint8Array {
  const o = new Uint8Array(8);
  o[0] = type;
  o[1] = 1;
  putMac(o, 2, mac(addr));
  return o;
}

function ndBody(head: number, target: Ipv6Like, option: Uint8Array | null): Uint8Array {
  const body = new Uint8Array(20 + (option?.length ?? 0));
  body[0] = head;
  body.set(ip6(target), 4);
  if (option) body.set(option, 20);
  return body;
}

export interface NeighbourSolicitSpec {
  /** The asker; :: for duplicate address detection. */
  src: Ipv6Like;
  target: Ipv6Like;
  /** The asker's MAC, sent as the source link-layer address option (never from ::). */
  srcMac?: MacLike;
  /** Default the target's solicited-node group; a reachability probe goes to the target itself. */
  dst?: Ipv6Like;
  ip6?: Ipv6Fields;
}

export function neighbourSolicitation(spec: NeighbourSolicitSpec): Uint8Array {
  const option = spec.srcMac === undefined ? null : linkAddressOption(ND_OPT_SOURCE_LINK_ADDR, spec.srcMac);
  return icmp6Packet(spec.src, spec.dst ?? solicitedNodeMulticast(spec.target), ICMP6_NEIGHBOUR_SOLICIT, 0,
    ndBody(0, spec.target, option), { hopLimit: ND_HOP_LIMIT, ...spec.ip6 });
}

export interface NeighbourAdvertSpec {
  /** The advertiser, normally the target itself. */
  src: Ipv6Like;
  /** Default `src`. */
  target?: Ipv6Like;
  /** Default ff02::1 (unsolicited); the asker for a solicited answer. */
  dst?: Ipv6Like;
  /** Sent as the target link-layer address option. */
  targetMac?: MacLike;
  router?: boolean;
  solicited?: boolean;
  /** Default true. */
  override?: boolean;
  ip6?: Ipv6Fields;
}

export function neighbourAdvertisement(spec: NeighbourAdvertSpec): Uint8Array {
  const flags = (spec.router ? NA_FLAG_ROUTER : 0) | (spec.solicited ? NA_FLAG_SOLICITED : 0) | ((spec.override ?? true) ? NA_FLAG_OVERRIDE : 0);
  const option = spec.targetMac === undefined ? null : linkAddressOption(ND_OPT_TARGET_LINK_ADDR, spec.targetMac);
  return icmp6Packet(spec.src, spec.dst ?? 'ff02::1', ICMP6_NEIGHBOUR_ADVERT, 0,
    ndBody(flags, spec.target ?? spec.src, option), { hopLimit: ND_HOP_LIMIT, ...spec.ip6 });
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
