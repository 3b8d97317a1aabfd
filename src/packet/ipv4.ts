// IPv4 header (RFC 791): version/IHL (1), TOS (1), total length (2), id (2),
// flags/fragment offset (2), TTL (1), protocol (1), checksum (2), src (4), dst (4), options.
import { u16, u32 } from './bytes';

export const IPV4_MIN_HEADER_LEN = 20;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;

export function version(bytes: Uint8Array, off: number): number { return bytes[off] >>> 4; }
export function ihl(bytes: Uint8Array, off: number): number { return bytes[off] & 0x0f; }
/** Header length in bytes (IHL * 4), options included. */
export function headerLength(bytes: Uint8Array, off: number): number { return (bytes[off] & 0x0f) << 2; }
export function tos(bytes: Uint8Array, off: number): number { return bytes[off + 1]; }
/**
 * Total length from the header. Linux writes 0 for IPv4 BIG TCP super-packets (> 64 KiB)
 * seen by a capture before segmentation; see `payloadEnd`.
 */
export function totalLength(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
export function identification(bytes: Uint8Array, off: number): number { return u16(bytes, off + 4); }
export function flags(bytes: Uint8Array, off: number): number { return u16(bytes, off + 6) & 0xe000; }
/** Fragment offset in 8-byte units. */
export function fragmentOffset(bytes: Uint8Array, off: number): number { return u16(bytes, off + 6) & 0x1fff; }
export function moreFragments(bytes: Uint8Array, off: number): boolean { return (bytes[off + 6] & 0x20) !== 0; }
/** A non-first fragment carries no transport header. */
export function isLaterFragment(bytes: Uint8Array, off: number): boolean { return fragmentOffset(bytes, off) !== 0; }
export function ttl(bytes: Uint8Array, off: number): number { return bytes[off + 8]; }
export function protocol(bytes: Uint8Array, off: number): number { return bytes[off + 9]; }
export function headerChecksum(bytes: Uint8Array, off: number): number { return u16(bytes, off + 10); }
export function src(bytes: Uint8Array, off: number): number { return u32(bytes, off + 12); }
export function dst(bytes: Uint8Array, off: number): number { return u32(bytes, off + 16); }

/**
 * Where this packet's bytes end in the buffer: the end of the datagram per total length, or
 * `capturedEnd` when the capture stopped earlier (snaplen) or the length is 0 (BIG TCP).
 * Link-layer padding after the datagram is excluded.
 */
export function payloadEnd(bytes: Uint8Array, off: number, capturedEnd: number): number {
  const total = totalLength(bytes, off);
  if (total === 0) return capturedEnd;
  const end = off + total;
  return end < capturedEnd ? end : capturedEnd;
}
