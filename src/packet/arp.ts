// ARP (RFC 826). Only the Ethernet/IPv4 form carries what we need; its body is 28 bytes:
// htype (2), ptype (2), hlen (1), plen (1), oper (2), sha (6), spa (4), tha (6), tpa (4).
import { u16, u32 } from './bytes';

/** Bytes needed to read htype .. oper, enough to tell which kind of ARP it is. */
export const ARP_FIXED_LEN = 8;
export const ARP_ETHER_IPV4_LEN = 28;

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

export function hardwareType(bytes: Uint8Array, off: number): number { return u16(bytes, off); }
export function protocolType(bytes: Uint8Array, off: number): number { return u16(bytes, off + 2); }
export function hardwareLength(bytes: Uint8Array, off: number): number { return bytes[off + 4]; }
export function protocolLength(bytes: Uint8Array, off: number): number { return bytes[off + 5]; }
export function operation(bytes: Uint8Array, off: number): number { return u16(bytes, off + 6); }

// The address accessors below assume the Ethernet/IPv4 layout (hlen 6, plen 4).
export function senderMacOffset(off: number): number { return off + 8; }
export function senderIp(bytes: Uint8Array, off: number): number { return u32(bytes, off + 14); }
export function targetMacOffset(off: number): number { return off + 18; }
export function targetIp(bytes: Uint8Array, off: number): number { return u32(bytes, off + 24); }

/** True when htype/ptype name Ethernet/IPv4 (lengths are checked separately). */
export function isEthernetIpv4(bytes: Uint8Array, off: number): boolean {
  return hardwareType(bytes, off) === ARP_HTYPE_ETHERNET && protocolType(bytes, off) === ARP_PTYPE_IPV4;
}

/** True when the address lengths match Ethernet/IPv4. */
export function hasEthernetIpv4Lengths(bytes: Uint8Array, off: number): boolean {
  return hardwareLength(bytes, off) === 6 && protocolLength(bytes, off) === 4;
}
