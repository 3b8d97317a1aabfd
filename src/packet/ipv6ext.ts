// IPv6 extension headers (RFC 8200 section 4) between the fixed header and the upper layer.
// Hop-by-hop options, routing and destination options share one layout: next header (1),
// length in 8-byte units not counting the first 8 (1), data. The fragment header is 8 bytes:
// next header (1), reserved (1), offset (13 bits, in 8-byte units) / reserved (2) / M (1),
// identification (4). The authentication header (RFC 4302) counts its length in 4-byte units
// not counting the first 8. ESP hides what follows, and No Next Header ends the chain.
import { u16, u32 } from './bytes';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

/** The shortest extension header; every one starts with next header and length. */
export const EXTENSION_MIN_LEN = 8;
export const FRAGMENT_HEADER_LEN = 8;

/** True for the extension headers walked to reach the upper layer. */
export function isWalked(type: number): boolean {
  return type === IPPROTO_HOPOPTS || type === IPPROTO_ROUTING || type === IPPROTO_FRAGMENT ||
    type === IPPROTO_DSTOPTS || type === IPPROTO_AH;
}

export function nextHeader(bytes: Uint8Array, off: number): number { return bytes[off]; }

/** Length in bytes of the extension header of `type` at `off` (its first 2 bytes must be there). */
export function headerLength(type: number, bytes: Uint8Array, off: number): number {
  if (type === IPPROTO_FRAGMENT) return FRAGMENT_HEADER_LEN;
  if (type === IPPROTO_AH) return (bytes[off + 1] + 2) << 2;
  return (bytes[off + 1] + 1) << 3;
}

/** Fragment offset in 8-byte units; non-zero for every fragment but the first. */
export function fragmentOffset(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2) >>> 3; }
export function moreFragments(bytes: Uint8Array, off: number): boolean { return (bytes[off + 3] & 1) !== 0; }
export function fragmentId(bytes: Uint8Array, off: number): number { return u32(bytes, off + 4); }
