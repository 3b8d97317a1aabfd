// What FrameDecoder counts. Every frame lands in exactly one outcome counter, so
// frames === decodeOutcomes(stats) always holds; metrics export these as they are.

/** Frames rejected by the decoder, one counter per reason. */
export interface MalformedCounts {
  /** Shorter than its link header (Ethernet, SLL, SLL2) or a VLAN tag cut short. */
  truncatedLinkHeader: number;
  /** A link type FrameDecoder does not know. */
  unknownLinktype: number;
  /** Less than a whole IPv4 header (options included) captured. */
  truncatedIp: number;
  /** EtherType IPv4 (or a raw IP frame) whose version is not 4 (raw: not 4 or 6). */
  badIpVersion: number;
  /** IHL below 5. */
  badIhl: number;
  /** Total length smaller than the header itself. */
  badIpLength: number;
  /** Less than the 20-byte fixed TCP header inside the datagram. */
  truncatedTcp: number;
  /** Data offset below 5, or larger than the segment the IP header declares. */
  badTcpOffset: number;
  /** A destination-unreachable with less than its 8-byte ICMP header. */
  truncatedIcmp: number;
  /** A destination-unreachable whose quoted IPv4 header is not all there. */
  truncatedQuotedHeader: number;
  /** A quoted header that is not IPv4 or has IHL below 5. */
  badQuotedHeader: number;
  /** ARP shorter than its body, or Ethernet/IPv4 ARP with other address lengths. */
  badArp: number;
}

export interface DecodeStats {
  frames: number;
  /** Frames that became arpRequest or arpReply. */
  arp: number;
  syn: number;
  synAck: number;
  reset: number;
  icmpUnreachable: number;
  /** Well-formed traffic that tells nothing: data, UDP, IPv6, ARP probes, other ICMP... */
  ignored: number;
  /** Non-first IPv4 fragments: no transport header to read. */
  fragments: number;
  malformed: MalformedCounts;
}

/** One line of text per malformed reason, for logs and metric help strings. */
export const MALFORMED_REASONS: Readonly<Record<keyof MalformedCounts, string>> = {
  truncatedLinkHeader: 'link header (or VLAN tag) truncated',
  unknownLinktype: 'unknown link type',
  truncatedIp: 'IPv4 header truncated',
  badIpVersion: 'IP version is not 4',
  badIhl: 'IPv4 IHL below 5',
  badIpLength: 'IPv4 total length below header length',
  truncatedTcp: 'TCP header truncated',
  badTcpOffset: 'TCP data offset out of range',
  truncatedIcmp: 'ICMP header truncated',
  truncatedQuotedHeader: 'IPv4 header quoted in ICMP truncated',
  badQuotedHeader: 'IPv4 header quoted in ICMP invalid',
  badArp: 'ARP truncated or with bad address lengths',
};

export function createDecodeStats(): DecodeStats {
  return {
    frames: 0, arp: 0, syn: 0, synAck: 0, reset: 0, icmpUnreachable: 0, ignored: 0, fragments: 0,
    malformed: {
      truncatedLinkHeader: 0, unknownLinktype: 0, truncatedIp: 0, badIpVersion: 0, badIhl: 0,
      badIpLength: 0, truncatedTcp: 0, badTcpOffset: 0, truncatedIcmp: 0,
      truncatedQuotedHeader: 0, badQuotedHeader: 0, badArp: 0,
    },
  };
}

export function malformedTotal(stats: DecodeStats): number {
  let sum = 0;
  for (const key of Object.keys(stats.malformed) as (keyof MalformedCounts)[]) sum += stats.malformed[key];
  return sum;
}

/** Sum of all outcome counters; equals `stats.frames`. */
export function decodeOutcomes(stats: DecodeStats): number {
  return stats.arp + stats.syn + stats.synAck + stats.reset + stats.icmpUnreachable +
    stats.ignored + stats.fragments + malformedTotal(stats);
}
