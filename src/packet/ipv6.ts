// IPv6 fixed header (RFC 8200): version/traffic class/flow label (4), payload length (2),
// next header (1), hop limit (1), source (16), destination (16). Extension headers: ipv6ext.ts.
import { u16 } from './bytes';

export const IPV6_HEADER_LEN = 40;

export function version(bytes: Uint8Array, off: number): number { return bytes[off] >>> 4; }
export function trafficClass(bytes: Uint8Array, off: number): number { return ((bytes[off] & 0x0f) << 4) | (bytes[off + 1] >>> 4); }
export function flowLabel(bytes: Uint8Array, off: number): number { return ((bytes[off + 1] & 0x0f) << 16) | u16(bytes, off + 2); }
/**
 * Bytes after the fixed header, extension headers included. 0 for a jumbogram (RFC 2675) and
 * for the BIG TCP super-packets Linux shows a capture before segmentation; see `payloadEnd`.
 */
export function payloadLength(bytes: Uint8Array, off: number): number { return u16(bytes, off + 4); }
/** The first extension header's type, or the upper-layer protocol when there is none. */
export function nextHeader(bytes: Uint8Array, off: number): number { return bytes[off + 6]; }
export function hopLimit(bytes: Uint8Array, off: number): number { return bytes[off + 7]; }
export function srcOffset(off: number): number { return off + 8; }
export function dstOffset(off: number): number { return off + 24; }

/**
 * Where this packet's bytes end in the buffer: the end per payload length, or `capturedEnd`
 * when the capture stopped earlier (snaplen) or the length is 0 (jumbogram, BIG TCP).
 * Link-layer padding after the packet is excluded.
 */
export function payloadEnd(bytes: Uint8Array, off: number, capturedEnd: number): number {
  const length = payloadLength(bytes, off);
  if (length === 0) return capturedEnd;
  const end = off + IPV6_HEADER_LEN + length;
  return end < capturedEnd ? end : capturedEnd;
}
