// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), used by tcpdump >= 4.99 on "any".
// Layout: protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1),
// address length (1), address (8, zero padded).
import { u16, u32 } from './bytes';

export const SLL2_HEADER_LEN = 20;

export function protocol(bytes: Uint8Array, off: number): number { return u16(bytes, off); }
export function interfaceIndex(bytes: Uint8Array, off: number): number { return u32(bytes, off + 4); }
export function hardwareType(bytes: Uint8Array, off: number): number { return u16(bytes, off + 8); }
/** Same values as SLL v1 (sll.ts SLL_HOST ... SLL_OUTGOING). */
export function packetType(bytes: Uint8Array, off: number): number { return bytes[off + 10]; }
export function addressLength(bytes: Uint8Array, off: number): number { return bytes[off + 11]; }
export function addressOffset(off: number): number { return off + 12; }
