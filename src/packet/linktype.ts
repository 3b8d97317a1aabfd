// Link-layer header types as they appear in pcap/pcapng files and from libpcap
// (tcpdump.org/linktypes.html). DLT_RAW is 12 on most systems and 14 on OpenBSD;
// files should say LINKTYPE_RAW (101), but captures written raw from the DLT carry 12 or 14.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Raw IP of one version only: every frame starts with an IPv4 (228) or IPv6 (229) header. */
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

/** True for the link types whose frames start with an IP header of either version. */
export function isRawIp(linktype: number): boolean {
  return linktype === LINKTYPE_RAW || linktype === DLT_RAW_12 || linktype === DLT_RAW_14;
}

/** True when FrameDecoder understands frames of this link type. */
export function isSupportedLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_ETHERNET || linktype === LINKTYPE_LINUX_SLL ||
    linktype === LINKTYPE_LINUX_SLL2 || isRawIp(linktype) || linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6;
}

/** A readable name for logs and errors, e.g. "LINUX_SLL2 (276)". */
export function linktypeName(linktype: number): string {
  switch (linktype) {
    case LINKTYPE_ETHERNET: return 'EN10MB (1)';
    case LINKTYPE_RAW: return 'RAW (101)';
    case DLT_RAW_12: return 'RAW (12)';
    case DLT_RAW_14: return 'RAW (14)';
    case LINKTYPE_LINUX_SLL: return 'LINUX_SLL (113)';
    case LINKTYPE_LINUX_SLL2: return 'LINUX_SLL2 (276)';
    case LINKTYPE_IPV4: return 'IPV4 (228)';
    case LINKTYPE_IPV6: return 'IPV6 (229)';
    default: return `linktype ${linktype}`;
  }
}
