// UDP header (RFC 768): src port, dst port, length, checksum, 2 bytes each.
import { u16 } from './bytes';

export const UDP_HEADER_LEN = 8;

export function srcPort(bytes: Uint8Array, off: number): number { return u16(bytes, off); }
export function dstPort(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
export function length(bytes: Uint8Array, off: number): number { return u16(bytes, off + 4); }
export function checksum(bytes: Uint8Array, off: number): number { return u16(bytes, off + 6); }
