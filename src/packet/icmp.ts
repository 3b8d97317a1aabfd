// ICMP (RFC 792). Destination unreachable: type (1), code (1), checksum (2), unused (2),
// next-hop MTU (2, code 4 only), then the original IPv4 header and at least 8 bytes after it.
import { u16 } from './bytes';

export const ICMP_HEADER_LEN = 8;
export const ICMP_DEST_UNREACHABLE = 3;

// Codes of type 3 (RFC 792, RFC 1122, RFC 1812). All are passed on; the configuration
// chooses which mean "server down".
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_FRAG_NEEDED = 4;
export const UNREACH_SOURCE_ROUTE = 5;
export const UNREACH_NET_UNKNOWN = 6;
export const UNREACH_HOST_UNKNOWN = 7;
export const UNREACH_SOURCE_ISOLATED = 8;
export const UNREACH_NET_PROHIBITED = 9;
export const UNREACH_HOST_PROHIBITED = 10;
export const UNREACH_TOS_NET = 11;
export const UNREACH_TOS_HOST = 12;
export const UNREACH_ADMIN_PROHIBITED = 13;
export const UNREACH_PRECEDENCE_VIOLATION = 14;
export const UNREACH_PRECEDENCE_CUTOFF = 15;

export const UNREACH_CODE_NAMES: readonly string[] = [
  'net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable',
  'fragmentation needed', 'source route failed', 'destination network unknown',
  'destination host unknown', 'source host isolated', 'network administratively prohibited',
  'host administratively prohibited', 'network unreachable for TOS', 'host unreachable for TOS',
  'communication administratively prohibited', 'host precedence violation', 'precedence cutoff in effect',
];

export function type(bytes: Uint8Array, off: number): number { return bytes[off]; }
export function code(bytes: Uint8Array, off: number): number { return bytes[off + 1]; }
export function checksum(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
/** Next-hop MTU of "fragmentation needed" (RFC 1191); 0 from old routers. */
export function nextHopMtu(bytes: Uint8Array, off: number): number { return u16(bytes, off + 6); }
/** Where the quoted original IPv4 header starts in an error message. */
export function quotedOffset(off: number): number { return off + ICMP_HEADER_LEN; }
