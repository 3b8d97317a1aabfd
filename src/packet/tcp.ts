// TCP header (RFC 9293): ports (2+2), seq (4), ack (4), data offset (4 bits), flags, window,
// checksum, urgent pointer, options.
import { u16, u32 } from './bytes';

export const TCP_MIN_HEADER_LEN = 20;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export function srcPort(bytes: Uint8Array, off: number): number { return u16(bytes, off); }
export function dstPort(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
export function seq(bytes: Uint8Array, off: number): number { return u32(bytes, off + 4); }
export function ack(bytes: Uint8Array, off: number): number { return u32(bytes, off + 8); }
/** Data offset in 32-bit words. */
export function dataOffset(bytes: Uint8Array, off: number): number { return bytes[off + 12] >>> 4; }
/** Header length in bytes, options included. */
export function headerLength(bytes: Uint8Array, off: number): number { return (bytes[off + 12] >>> 4) << 2; }
/** The eight classic flag bits (the NS/AE bit in byte 12 is left out). */
export function flags(bytes: Uint8Array, off: number): number { return bytes[off + 13]; }
export function window(bytes: Uint8Array, off: number): number { return u16(bytes, off + 14); }
export function checksum(bytes: Uint8Array, off: number): number { return u16(bytes, off + 16); }
export function urgentPointer(bytes: Uint8Array, off: number): number { return u16(bytes, off + 18); }
