// ICMPv6 (RFC 4443): type (1), code (1), checksum (2), then a body per type. Destination
// unreachable: unused (4), then as much of the packet that could not be delivered as fits in
// the minimum MTU, from its IPv6 header on. Neighbour discovery messages: nd.ts.
import { u16 } from './bytes';

export const IPPROTO_ICMPV6 = 58;

export const ICMP6_HEADER_LEN = 8;
export const ICMP6_DEST_UNREACHABLE = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAM_PROBLEM = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const ICMP6_ROUTER_SOLICIT = 133;
export const ICMP6_ROUTER_ADVERT = 134;
export const ICMP6_NEIGHBOUR_SOLICIT = 135;
export const ICMP6_NEIGHBOUR_ADVERT = 136;

// Codes of type 1 (RFC 4443, RFC 8883). All are passed on; the engine chooses which mean
// "server down" (address unreachable is what a router sends when neighbour discovery fails).
export const UNREACH6_NO_ROUTE = 0;
export const UNREACH6_ADMIN_PROHIBITED = 1;
export const UNREACH6_BEYOND_SCOPE = 2;
export const UNREACH6_ADDRESS = 3;
export const UNREACH6_PORT = 4;
export const UNREACH6_POLICY_FAILED = 5;
export const UNREACH6_REJECT_ROUTE = 6;
export const UNREACH6_SOURCE_ROUTING = 7;
export const UNREACH6_HEADERS_TOO_LONG = 8;

export const UNREACH6_CODE_NAMES: readonly string[] = [
  'no route to destination', 'communication administratively prohibited',
  'beyond scope of source address', 'address unreachable', 'port unreachable',
  'source address failed ingress/egress policy', 'reject route to destination',
  'error in source routing header', 'headers too long',
];

export function type(bytes: Uint8Array, off: number): number { return bytes[off]; }
export function code(bytes: Uint8Array, off: number): number { return bytes[off + 1]; }
export function checksum(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
/** Where the quoted original IPv6 header starts in an error message. */
export function quotedOffset(off: number): number { return off + ICMP6_HEADER_LEN; }
