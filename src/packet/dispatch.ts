// Classifies one captured frame and tells the engine what it saw: exactly one call on the
// Observations sink per interesting frame, one counter per frame, nothing allocated.
// A short or malformed frame is counted under its reason and dropped; it never throws.
import type { Observations } from '../net/observations';
import { readMac } from '../net/mac';
import { isUnspecifiedIPv6 } from '../net/ipv6';
import { u16 } from './bytes';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, isRawIp } from './linktype';
import { ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, isVlanTpid, skipVlanTags } from './ethernet';
import * as sll from './sll';
import * as sll2 from './sll2';
import * as arp from './arp';
import * as ipv4 from './ipv4';
import * as ipv6 from './ipv6';
import * as ipv6ext from './ipv6ext';
import * as icmp from './icmp';
import * as icmp6 from './icmp6';
import * as nd from './nd';
import * as tcp from './tcp';
import { createDecodeStats, type DecodeStats } from './stats';

export type { DecodeStats, MalformedCounts } from './stats';

// Where a frame's link-layer source address is, passed down as one number (`link`): its
// offset when the capturing host received the frame, ~offset (negative) when the host sent it
// itself (Linux cooked "outgoing": the address is the host's own), NO_LINK_SOURCE when the
// link has none. Offsets of a source address are never 0, so ~offset never equals it.
const NO_LINK_SOURCE = -1;

/** The MAC of the host that sent a frame we received; 0 for our own frames and for none. */
function senderMac(bytes: Uint8Array, link: number): number {
  return link >= 0 ? readMac(bytes, link) : 0;
}

/** The frame's link-layer source, ours included: an error the router sent carries its own MAC. */
function sourceMac(bytes: Uint8Array, link: number): number {
  return link === NO_LINK_SOURCE ? 0 : readMac(bytes, link >= 0 ? link : ~link);
}

// What walkExtensions returns instead of an offset.
const WALK_TRUNCATED = -1;
const WALK_LATER_FRAGMENT = -2;

export class FrameDecoder {
  readonly stats: DecodeStats = createDecodeStats();
  /** Set by walkExtensions: the protocol after the last IPv6 extension header walked. */
  private upperProtocol = 0;

  constructor(private readonly sink: Observations) {}

  /**
   * Decodes the frame at bytes[off, off+len) captured at `t` (Unix seconds) on a link of
   * type `linktype`. `len` is the captured length: a frame cut by the snap length is fine
   * as long as the headers we read are all there.
   */
  frame(linktype: number, bytes: Uint8Array, off: number, len: number, t: number): void {
    this.stats.frames++;
    let end = off + len;
    if (end > bytes.length) end = bytes.length;
    if (linktype !== LINKTYPE_ETHERNET) { this.otherLink(linktype, bytes, off, end, t); return; }
    // Ethernet is what a per-interface capture gives: its path to IPv4 is kept short (no
    // call through network()) so that the JIT inlines IPv4 and TCP decoding into it.
    if (end - off < ETHERNET_HEADER_LEN) { this.stats.malformed.truncatedLinkHeader++; return; }
    const type = u16(bytes, off + 12);
    if (type === ETHERTYPE_IPV4) this.ipv4(bytes, off + ETHERNET_HEADER_LEN, end, t, off + 6);
    else this.network(type, bytes, off + ETHERNET_HEADER_LEN, end, t, off + 6);
  }

  private otherLink(linktype: number, bytes: Uint8Array, off: number, end: number, t: number): void {
    const stats = this.stats;
    if (linktype === LINKTYPE_LINUX_SLL) {
      if (end - off < sll.SLL_HEADER_LEN) { stats.malformed.truncatedLinkHeader++; return; }
      const addr = sll.addressOffset(off);
      const link = sll.addressLength(bytes, off) !== 6 ? NO_LINK_SOURCE : sll.packetType(bytes, off) === sll.SLL_OUTGOING ? ~addr : addr;
      this.network(sll.protocol(bytes, off), bytes, off + sll.SLL_HEADER_LEN, end, t, link);
    } else if (linktype === LINKTYPE_LINUX_SLL2) {
      if (end - off < sll2.SLL2_HEADER_LEN) { stats.malformed.truncatedLinkHeader++; return; }
      const addr = sll2.addressOffset(off);
      const link = sll2.addressLength(bytes, off) !== 6 ? NO_LINK_SOURCE : sll2.packetType(bytes, off) === sll.SLL_OUTGOING ? ~addr : addr;
      this.network(sll2.protocol(bytes, off), bytes, off + sll2.SLL2_HEADER_LEN, end, t, link);
    } else if (isRawIp(linktype)) {
      if (end - off < 1) { stats.malformed.truncatedIp++; return; }
      if (ipv4.version(bytes, off) === 6) this.ipv6(bytes, off, end, t, NO_LINK_SOURCE);
      else this.ipv4(bytes, off, end, t, NO_LINK_SOURCE);
    } else if (linktype === LINKTYPE_IPV4) {
      this.ipv4(bytes, off, end, t, NO_LINK_SOURCE);
    } else if (linktype === LINKTYPE_IPV6) {
      this.ipv6(bytes, off, end, t, NO_LINK_SOURCE);
    } else {
      stats.unsupportedLink++;
      const byType = stats.unsupportedLinktypes;
      byType[linktype] = (byType[linktype] ?? 0) + 1;
    }
  }

  /** After a link header: `type` is its EtherType, `net` where its payload starts. */
  private network(type: number, bytes: Uint8Array, net: number, end: number, t: number, link: number): void {
    if (isVlanTpid(type)) {
      net = skipVlanTags(bytes, type, net, end);
      if (net < 0) { this.stats.malformed.truncatedLinkHeader++; return; }
      type = u16(bytes, net - 2);
    }
    if (type === ETHERTYPE_IPV4) this.ipv4(bytes, net, end, t, link);
    else if (type === ETHERTYPE_IPV6) this.ipv6(bytes, net, end, t, link);
    else if (type === ETHERTYPE_ARP) this.arp(bytes, net, end, t);
    else this.stats.ignored++;
  }

  private ipv4(bytes: Uint8Array, off: number, end: number, t: number, link: number): void {
    const stats = this.stats;
    if (end - off < ipv4.IPV4_MIN_HEADER_LEN) { stats.malformed.truncatedIp++; return; }
    if (ipv4.version(bytes, off) !== 4) { stats.malformed.badIpVersion++; return; }
    const headerLen = ipv4.headerLength(bytes, off);
    if (headerLen < ipv4.IPV4_MIN_HEADER_LEN) { stats.malformed.badIhl++; return; }
    if (end - off < headerLen) { stats.malformed.truncatedIp++; return; }
    const total = ipv4.totalLength(bytes, off);
    if (total !== 0 && total < headerLen) { stats.malformed.badIpLength++; return; }
    if (ipv4.isLaterFragment(bytes, off)) { stats.fragments++; return; }
    const ipEnd = ipv4.payloadEnd(bytes, off, end);
    const proto = ipv4.protocol(bytes, off);
    if (proto === ipv4.IPPROTO_TCP) {
      // -1: the datagram's length is unknown (BIG TCP), so the data offset cannot be checked.
      this.tcp(bytes, off, off + headerLen, ipEnd, total === 0 ? -1 : total - headerLen, t, link);
    } else if (proto === ipv4.IPPROTO_ICMP) {
      this.icmp(bytes, off, off + headerLen, ipEnd, t, link);
    } else {
      stats.ignored++;
    }
  }

  private tcp(bytes: Uint8Array, ipOff: number, off: number, end: number, segmentLen: number, t: number, link: number): void {
    const flags = this.tcpFlags(bytes, off, end, segmentLen);
    if (flags < 0) return;
    // Most traffic is neither SYN nor RST; the rest is reported by a method of its own,
    // which keeps this hot path small enough for the JIT to inline whole.
    if ((flags & (tcp.TCP_SYN | tcp.TCP_RST)) === 0) this.stats.ignored++;
    else this.handshake(flags, bytes, ipOff, off, t, link);
  }

  /** The flags of a TCP header that is whole and sane; -1, counted as malformed, otherwise. */
  private tcpFlags(bytes: Uint8Array, off: number, end: number, segmentLen: number): number {
    const stats = this.stats;
    if (end - off < tcp.TCP_MIN_HEADER_LEN) { stats.malformed.truncatedTcp++; return -1; }
    const headerLen = tcp.headerLength(bytes, off);
    if (headerLen < tcp.TCP_MIN_HEADER_LEN || (segmentLen >= 0 && headerLen > segmentLen)) {
      stats.malformed.badTcpOffset++;
      return -1;
    }
    return tcp.flags(bytes, off);
  }

  /** A SYN, SYN+ACK or RST whose headers have been checked. */
  private handshake(flags: number, bytes: Uint8Array, ipOff: number, off: number, t: number, link: number): void {
    const stats = this.stats;
    const src = ipv4.src(bytes, ipOff);
    const dst = ipv4.dst(bytes, ipOff);
    const sport = tcp.srcPort(bytes, off);
    const dport = tcp.dstPort(bytes, off);
    // RST wins over SYN: a SYN+RST is no handshake, and the sender is alive either way.
    if ((flags & tcp.TCP_RST) !== 0) {
      stats.reset++;
      this.sink.reset(t, src, dst, sport, dport);
    } else if ((flags & tcp.TCP_ACK) !== 0) {
      stats.synAck++;
      this.sink.synAck(t, src, dst, sport, dport, tcp.ack(bytes, off));
    } else {
      stats.syn++;
      this.sink.syn(t, src, dst, sport, dport, tcp.seq(bytes, off), senderMac(bytes, link));
    }
  }

  private icmp(bytes: Uint8Array, ipOff: number, off: number, end: number, t: number, link: number): void {
    const stats = this.stats;
    // One byte tells the type; only destination-unreachable needs more.
    if (end - off < 1 || icmp.type(bytes, off) !== icmp.ICMP_DEST_UNREACHABLE) {
      if (end - off < 1) stats.malformed.truncatedIcmp++;
      else stats.ignored++;
      return;
    }
    if (end - off < icmp.ICMP_HEADER_LEN) { stats.malformed.truncatedIcmp++; return; }
    const quoted = icmp.quotedOffset(off);
    if (end - quoted < ipv4.IPV4_MIN_HEADER_LEN) { stats.malformed.truncatedQuotedHeader++; return; }
    const quotedLen = ipv4.headerLength(bytes, quoted);
    if (ipv4.version(bytes, quoted) !== 4 || quotedLen < ipv4.IPV4_MIN_HEADER_LEN) {
      stats.malformed.badQuotedHeader++;
      return;
    }
    if (end - quoted < quotedLen) { stats.malformed.truncatedQuotedHeader++; return; }
    const proto = ipv4.protocol(bytes, quoted);
    const transport = quoted + quotedLen;
    let sport = 0;
    let dport = 0;
    // TCP and UDP both start with the two ports; a later fragment has no transport header.
    if ((proto === ipv4.IPPROTO_TCP || proto === ipv4.IPPROTO_UDP) &&
        !ipv4.isLaterFragment(bytes, quoted) && end - transport >= 4) {
      sport = tcp.srcPort(bytes, transport);
      dport = tcp.dstPort(bytes, transport);
    }
    stats.icmpUnreachable++;
    this.sink.icmpUnreachable(
      t, ipv4.src(bytes, ipOff), sourceMac(bytes, link), ipv4.src(bytes, quoted), ipv4.dst(bytes, quoted),
      icmp.code(bytes, off), proto, sport, dport,
    );
  }

  // ---- IPv6 ----

  private ipv6(bytes: Uint8Array, off: number, end: number, t: number, link: number): void {
    const stats = this.stats;
    if (end - off < ipv6.IPV6_HEADER_LEN) { stats.malformed.truncatedIpv6++; return; }
    if (ipv6.version(bytes, off) !== 6) { stats.malformed.badIpVersion++; return; }
    const ipEnd = ipv6.payloadEnd(bytes, off, end);
    const upper = this.walkExtensions(bytes, off, ipEnd);
    if (upper === WALK_LATER_FRAGMENT) { stats.fragments++; return; }
    if (upper === WALK_TRUNCATED) { stats.malformed.truncatedExtensionHeader++; return; }
    const proto = this.upperProtocol;
    if (proto === ipv4.IPPROTO_TCP) {
      const payload = ipv6.payloadLength(bytes, off);
      // -1: a jumbogram's length is elsewhere, so the data offset cannot be checked.
      this.tcp6(bytes, off, upper, ipEnd, payload === 0 ? -1 : off + ipv6.IPV6_HEADER_LEN + payload - upper, t, link);
    } else if (proto === icmp6.IPPROTO_ICMPV6) {
      this.icmp6(bytes, off, upper, ipEnd, t, link);
    } else {
      stats.ignored++;
    }
  }

  /**
   * Walks the extension headers after the IPv6 header at `off` up to `end`; returns where the
   * upper layer starts (its protocol in `upperProtocol`), WALK_TRUNCATED when a header does not
   * fit, or WALK_LATER_FRAGMENT for a non-first fragment (its protocol in `upperProtocol` too).
   * Each header is at least 8 bytes, so the walk ends within (end - off) / 8 steps.
   */
  private walkExtensions(bytes: Uint8Array, off: number, end: number): number {
    let type = ipv6.nextHeader(bytes, off);
    let pos = off + ipv6.IPV6_HEADER_LEN;
    while (ipv6ext.isWalked(type)) {
      if (end - pos < ipv6ext.EXTENSION_MIN_LEN) return WALK_TRUNCATED;
      const len = ipv6ext.headerLength(type, bytes, pos);
      if (end - pos < len) return WALK_TRUNCATED;
      const next = ipv6ext.nextHeader(bytes, pos);
      if (type === ipv6ext.IPPROTO_FRAGMENT && ipv6ext.fragmentOffset(bytes, pos) !== 0) {
        this.upperProtocol = next;
        return WALK_LATER_FRAGMENT;
      }
      type = next;
      pos += len;
    }
    this.upperProtocol = type;
    return pos;
  }

  private tcp6(bytes: Uint8Array, ipOff: number, off: number, end: number, segmentLen: number, t: number, link: number): void {
    const flags = this.tcpFlags(bytes, off, end, segmentLen);
    if (flags < 0) return;
    if ((flags & (tcp.TCP_SYN | tcp.TCP_RST)) === 0) { this.stats.ignored++; return; }
    const stats = this.stats;
    const src = ipv6.srcOffset(ipOff);
    const dst = ipv6.dstOffset(ipOff);
    const sport = tcp.srcPort(bytes, off);
    const dport = tcp.dstPort(bytes, off);
    // As for IPv4: RST wins over SYN.
    if ((flags & tcp.TCP_RST) !== 0) {
      stats.reset++;
      this.sink.reset6(t, bytes, src, dst, sport, dport);
    } else if ((flags & tcp.TCP_ACK) !== 0) {
      stats.synAck++;
      this.sink.synAck6(t, bytes, src, dst, sport, dport, tcp.ack(bytes, off));
    } else {
      stats.syn++;
      this.sink.syn6(t, bytes, src, dst, sport, dport, tcp.seq(bytes, off), senderMac(bytes, link));
    }
  }

  private icmp6(bytes: Uint8Array, ipOff: number, off: number, end: number, t: number, link: number): void {
    const stats = this.stats;
    if (end - off < 1) { stats.malformed.truncatedIcmp6++; return; }
    const type = icmp6.type(bytes, off);
    if (type === icmp6.ICMP6_DEST_UNREACHABLE) this.unreachable6(bytes, ipOff, off, end, t, link);
    else if (type === icmp6.ICMP6_NEIGHBOUR_SOLICIT || type === icmp6.ICMP6_NEIGHBOUR_ADVERT) this.neighbourDiscovery(type, bytes, ipOff, off, end, t);
    else stats.ignored++;
  }

  private unreachable6(bytes: Uint8Array, ipOff: number, off: number, end: number, t: number, link: number): void {
    const stats = this.stats;
    if (end - off < icmp6.ICMP6_HEADER_LEN) { stats.malformed.truncatedIcmp6++; return; }
    const quoted = icmp6.quotedOffset(off);
    if (end - quoted < ipv6.IPV6_HEADER_LEN) { stats.malformed.truncatedQuotedHeader6++; return; }
    if (ipv6.version(bytes, quoted) !== 6) { stats.malformed.badQuotedHeader6++; return; }
    // The quote is cut to fit the minimum MTU: its own payload length says more than is there.
    const transport = this.walkExtensions(bytes, quoted, end);
    if (transport === WALK_TRUNCATED) { stats.malformed.truncatedQuotedHeader6++; return; }
    const proto = this.upperProtocol;
    let sport = 0;
    let dport = 0;
    // TCP and UDP both start with the two ports; a later fragment has no transport header.
    if ((proto === ipv4.IPPROTO_TCP || proto === ipv4.IPPROTO_UDP) && transport >= 0 && end - transport >= 4) {
      sport = tcp.srcPort(bytes, transport);
      dport = tcp.dstPort(bytes, transport);
    }
    stats.icmpUnreachable++;
    this.sink.icmp6Unreachable(
      t, bytes, ipv6.srcOffset(ipOff), sourceMac(bytes, link), ipv6.srcOffset(quoted), ipv6.dstOffset(quoted),
      icmp6.code(bytes, off), proto, sport, dport,
    );
  }

  /** A neighbour solicitation or advertisement (RFC 4861 7.1.1, 7.1.2 say what is valid). */
  private neighbourDiscovery(type: number, bytes: Uint8Array, ipOff: number, off: number, end: number, t: number): void {
    const stats = this.stats;
    const target = nd.targetOffset(off);
    const dst = ipv6.dstOffset(ipOff);
    if (end - off < nd.ND_MIN_LEN || ipv6.hopLimit(bytes, ipOff) !== nd.ND_HOP_LIMIT || icmp6.code(bytes, off) !== 0 ||
        nd.isMulticast(bytes, target) ||
        (type === icmp6.ICMP6_NEIGHBOUR_ADVERT && nd.isMulticast(bytes, dst) && (nd.advertFlags(bytes, off) & nd.NA_FLAG_SOLICITED) !== 0)) {
      stats.malformed.badNeighbourDiscovery++;
      return;
    }
    // Options run to the message's end; a capture cut shorter (snaplen) just ends the walk.
    const payload = ipv6.payloadLength(bytes, ipOff);
    const cut = payload !== 0 && end < ipOff + ipv6.IPV6_HEADER_LEN + payload;
    let targetMac = 0;
    for (let opt = nd.optionsOffset(off); opt < end;) {
      const len = end - opt >= 2 ? nd.optionLength(bytes, opt) : -1;
      if (len === 0 || (!cut && (len < 0 || len > end - opt))) { stats.malformed.badNeighbourDiscovery++; return; }
      if (len < 0 || len > end - opt) break;
      if (nd.optionType(bytes, opt) === nd.ND_OPT_TARGET_LINK_ADDR && len >= nd.ND_OPT_ETHERNET_LEN) {
        targetMac = readMac(bytes, nd.optionMacOffset(opt));
      }
      opt += len;
    }
    if (type === icmp6.ICMP6_NEIGHBOUR_ADVERT) {
      stats.neighbour++;
      this.sink.neighbourAdvert(t, bytes, target, targetMac);
      return;
    }
    const sender = ipv6.srcOffset(ipOff);
    // From :: it is duplicate address detection (RFC 4862): a host checking, not yet using.
    if (isUnspecifiedIPv6(bytes, sender)) { stats.ignored++; return; }
    stats.neighbour++;
    this.sink.neighbourSolicit(t, bytes, sender, target);
  }

  // ---- ARP ----

  private arp(bytes: Uint8Array, off: number, end: number, t: number): void {
    const stats = this.stats;
    if (end - off < arp.ARP_FIXED_LEN) { stats.malformed.badArp++; return; }
    // ARP for other hardware (InfiniBand, ...) is legitimate, just not ours.
    if (!arp.isEthernetIpv4(bytes, off)) { stats.ignored++; return; }
    if (!arp.hasEthernetIpv4Lengths(bytes, off) || end - off < arp.ARP_ETHER_IPV4_LEN) {
      stats.malformed.badArp++;
      return;
    }
    const op = arp.operation(bytes, off);
    const sender = arp.senderIp(bytes, off);
    // Sender 0.0.0.0 is a probe (RFC 5227): it tells nothing about who is on the wire.
    if (sender === 0) { stats.ignored++; return; }
    if (op === arp.ARP_OP_REQUEST) {
      const target = arp.targetIp(bytes, off);
      stats.arp++;
      // A gratuitous request asks for nobody: it announces the sender, as a host coming back
      // up does, so it says what a reply says.
      if (target === sender) this.sink.arpReply(t, sender, readMac(bytes, arp.senderMacOffset(off)));
      else this.sink.arpRequest(t, sender, target);
    } else if (op === arp.ARP_OP_REPLY) {
      stats.arp++;
      this.sink.arpReply(t, sender, readMac(bytes, arp.senderMacOffset(off)));
    } else {
      stats.ignored++;
    }
  }
}
