// What FrameDecoder counts. Every frame lands in exactly one outcome counter, so
// frames === decodeOutcomes(stats) always holds; metrics export these as they are.

/** Frames rejected by the decoder, one counter per reason. */
export interface MalformedCounts {
  /** Shorter than its link header (Ethernet, SLL, SLL2) or a VLAN tag cut short. */
  truncatedLinkHeader: number;
  /** Less than a whole IPv4 header (options included) captured. */
  truncatedIp: number;
  /** Not the IP version the link says (EtherType IPv4/IPv6, LINKTYPE_IPV4/IPV6), or neither 4 nor 6 on raw IP. */
  badIpVersion: number;
  /** IHL below 5. */
  badIhl: number;
  /** Total length smaller than the header itself. */
  badIpLength: number;
  /** Less than the 40-byte IPv6 header captured. */
  truncatedIpv6: number;
  /** An IPv6 extension header that runs past the packet or the capture. */
  truncatedExtensionHeader: number;
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
  /** An ICMPv6 message shorter than its 8-byte header (4 bytes for the type alone). */
  truncatedIcmp6: number;
  /** A destination-unreachable whose quoted IPv6 header, with its extension headers, is not all there. */
  truncatedQuotedHeader6: number;
  /** A quoted header in an ICMPv6 error that is not IPv6. */
  badQuotedHeader6: number;
  /** A neighbour solicitation or advertisement RFC 4861 says to discard. */
  badNeighbourDiscovery: number;
  /** ARP shorter than its body, or Ethernet/IPv4 ARP with other address lengths. */
  badArp: number;
}

export interface DecodeStats {
  frames: number;
  /** Frames that became arpRequest or arpReply. */
  arp: number;
  /** Frames that became neighbourSolicit or neighbourAdvert. */
  neighbour: number;
  /** SYN, SYN/ACK, RST and destination unreachable: IPv4 and IPv6 alike. */
  syn: number;
  synAck: number;
  reset: number;
  icmpUnreachable: number;
  /** Well-formed traffic that tells nothing: data, UDP, other ICMP, ARP and DAD probes... */
  ignored: number;
  /** Non-first IPv4 and IPv6 fragments: no transport header to read. */
  fragments: number;
  /** Frames of a link type the decoder does not read (by type in `unsupportedLinktypes`). */
  unsupportedLink: number;
  /** Not an outcome: `unsupportedLink` broken down by link type number. */
  unsupportedLinktypes: Record<number, number>;
  malformed: MalformedCounts;
}

/** One line of text per malformed reason, for logs and metric help strings. */
export const MALFORMED_REASONS: Readonly<Record<keyof MalformedCounts, string>> = {
  truncatedLinkHeader: 'link header (or VLAN tag) truncated',
  truncatedIp: 'IPv4 header truncated',
  badIpVersion: 'IP version is not the one the link header says',
  badIhl: 'IPv4 IHL below 5',
  badIpLength: 'IPv4 total length below header length',
  truncatedIpv6: 'IPv6 header truncated',
  truncatedExtensionHeader: 'IPv6 extension header truncated',
  truncatedTcp: 'TCP header truncated',
  badTcpOffset: 'TCP data offset out of range',
  truncatedIcmp: 'ICMP header truncated',
  truncatedQuotedHeader: 'IPv4 header quoted in ICMP truncated',
  badQuotedHeader: 'IPv4 header quoted in ICMP invalid',
  truncatedIcmp6: 'ICMPv6 header truncated',
  truncatedQuotedHeader6: 'IPv6 headers quoted in ICMPv6 truncated',
  badQuotedHeader6: 'IPv6 header quoted in ICMPv6 invalid',
  badNeighbourDiscovery: 'neighbour solicitation/advertisement invalid (length, hop limit, code, target or option)',
  badArp: 'ARP truncated or with bad address lengths',
};

export function createDecodeStats(): DecodeStats {
  return {
    frames: 0, arp: 0, neighbour: 0, syn: 0, synAck: 0, reset: 0, icmpUnreachable: 0, ignored: 0,
    fragments: 0, unsupportedLink: 0, unsupportedLinktypes: {},
    malformed: {
      truncatedLinkHeader: 0, truncatedIp: 0, badIpVersion: 0, badIhl: 0, badIpLength: 0,
      truncatedIpv6: 0, truncatedExtensionHeader: 0, truncatedTcp: 0, badTcpOffset: 0,
      truncatedIcmp: 0, truncatedQuotedHeader: 0, badQuotedHeader: 0, truncatedIcmp6: 0,
      truncatedQuotedHeader6: 0, badQuotedHeader6: 0, badNeighbourDiscovery: 0, badArp: 0,
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
  return stats.arp + stats.neighbour + stats.syn + stats.synAck + stats.reset + stats.icmpUnreachable +
    stats.ignored + stats.fragments + stats.unsupportedLink + malformedTotal(stats);
}

/** Adds `from` into `into` (the daemon sums its capture interfaces). */
export function addDecodeStats(into: DecodeStats, from: DecodeStats): void {
  for (const key of Object.keys(from) as (keyof DecodeStats)[]) {
    if (key === 'malformed') {
      for (const m of Object.keys(from.malformed) as (keyof MalformedCounts)[]) into.malformed[m] += from.malformed[m];
    } else if (key === 'unsupportedLinktypes') {
      for (const [type, n] of Object.entries(from.unsupportedLinktypes)) into.unsupportedLinktypes[Number(type)] = (into.unsupportedLinktypes[Number(type)] ?? 0) + n;
    } else {
      into[key] += from[key];
    }
  }
}
