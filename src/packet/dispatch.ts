// Classifies one captured frame and tells the engine what it saw: exactly one call on the
// Observations sink per interesting frame, one counter per frame, nothing allocated.
// A short or malformed frame is counted under its reason and dropped; it never throws.
import type { Observations } from '../net/observations';
import { readMac } from '../net/mac';
import { u16 } from './bytes';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, isRawIp } from './linktype';
import { ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, isVlanTpid, skipVlanTags } from './ethernet';
import * as sll from './sll';
import * as sll2 from './sll2';
import * as arp from './arp';
import * as ipv4 from './ipv4';
import * as icmp from './icmp';
import * as tcp from './tcp';
import { createDecodeStats, type DecodeStats } from './stats';

export type { DecodeStats, MalformedCounts } from './stats';

const NO_MAC = -1;

export class FrameDecoder {
  readonly stats: DecodeStats = createDecodeStats();

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
      // An outgoing frame carries our own address, not the client's.
      const macOff = sll.addressLength(bytes, off) === 6 && sll.packetType(bytes, off) !== sll.SLL_OUTGOING ? sll.addressOffset(off) : NO_MAC;
      this.network(sll.protocol(bytes, off), bytes, off + sll.SLL_HEADER_LEN, end, t, macOff);
    } else if (linktype === LINKTYPE_LINUX_SLL2) {
      if (end - off < sll2.SLL2_HEADER_LEN) { stats.malformed.truncatedLinkHeader++; return; }
      const macOff = sll2.addressLength(bytes, off) === 6 && sll2.packetType(bytes, off) !== sll.SLL_OUTGOING ? sll2.addressOffset(off) : NO_MAC;
      this.network(sll2.protocol(bytes, off), bytes, off + sll2.SLL2_HEADER_LEN, end, t, macOff);
    } else if (isRawIp(linktype)) {
      if (end - off < 1) { stats.malformed.truncatedIp++; return; }
      if (ipv4.version(bytes, off) === 6) { stats.ignored++; return; }
      this.ipv4(bytes, off, end, t, NO_MAC);
    } else {
      stats.malformed.unknownLinktype++;
    }
  }

  /** After a link header: `type` is its EtherType, `net` where its payload starts. */
  private network(type: number, bytes: Uint8Array, net: number, end: number, t: number, macOff: number): void {
    if (isVlanTpid(type)) {
      net = skipVlanTags(bytes, type, net, end);
      if (net < 0) { this.stats.malformed.truncatedLinkHeader++; return; }
      type = u16(bytes, net - 2);
    }
    if (type === ETHERTYPE_IPV4) this.ipv4(bytes, net, end, t, macOff);
    else if (type === ETHERTYPE_ARP) this.arp(bytes, net, end, t);
    else this.stats.ignored++;
  }

  private ipv4(bytes: Uint8Array, off: number, end: number, t: number, macOff: number): void {
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
      this.tcp(bytes, off, off + headerLen, ipEnd, total === 0 ? -1 : total - headerLen, t, macOff);
    } else if (proto === ipv4.IPPROTO_ICMP) {
      this.icmp(bytes, off, off + headerLen, ipEnd, t, macOff);
    } else {
      stats.ignored++;
    }
  }

  private tcp(bytes: Uint8Array, ipOff: number, off: number, end: number, segmentLen: number, t: number, macOff: number): void {
    const stats = this.stats;
    if (end - off < tcp.TCP_MIN_HEADER_LEN) { stats.malformed.truncatedTcp++; return; }
    const headerLen = tcp.headerLength(bytes, off);
    if (headerLen < tcp.TCP_MIN_HEADER_LEN || (segmentLen >= 0 && headerLen > segmentLen)) {
      stats.malformed.badTcpOffset++;
      return;
    }
    const flags = tcp.flags(bytes, off);
    // Most traffic is neither SYN nor RST; the rest is reported by a method of its own,
    // which keeps this hot path small enough for the JIT to inline whole.
    if ((flags & (tcp.TCP_SYN | tcp.TCP_RST)) === 0) stats.ignored++;
    else this.handshake(flags, bytes, ipOff, off, t, macOff);
  }

  /** A SYN, SYN+ACK or RST whose headers have been checked. */
  private handshake(flags: number, bytes: Uint8Array, ipOff: number, off: number, t: number, macOff: number): void {
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
      this.sink.syn(t, src, dst, sport, dport, tcp.seq(bytes, off), macOff === NO_MAC ? 0 : readMac(bytes, macOff));
    }
  }

  private icmp(bytes: Uint8Array, ipOff: number, off: number, end: number, t: number, macOff: number): void {
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
      t, ipv4.src(bytes, ipOff), macOff === NO_MAC ? 0 : readMac(bytes, macOff), ipv4.src(bytes, quoted), ipv4.dst(bytes, quoted),
      icmp.code(bytes, off), proto, sport, dport,
    );
  }

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
