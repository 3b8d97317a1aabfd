// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), what libpcap gives for the "any" device.
// Layout: packet type (2), ARPHRD type (2), address length (2), address (8, zero padded),
// protocol (2, an EtherType for Ethernet-like devices).
import { u16 } from './bytes';

export const SLL_HEADER_LEN = 16;
export const SLL_ADDR_MAX = 8;

/** Packet types: who the frame was addressed to, as seen by the capturing host. */
export const SLL_HOST = 0;
export const SLL_BROADCAST = 1;
export const SLL_MULTICAST = 2;
export const SLL_OTHERHOST = 3;
export const SLL_OUTGOING = 4;

export function packetType(bytes: Uint8Array, off: number): number { return u16(bytes, off); }
export function hardwareType(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
export function addressLength(bytes: Uint8Array, off: number): number { return u16(bytes, off + 4); }
/** The sender's link-layer address (for outgoing frames: the capturing interface's). */
export function addressOffset(off: number): number { return off + 6; }
export function protocol(bytes: Uint8Array, off: number): number { return u16(bytes, off + 14); }
