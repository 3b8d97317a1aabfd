// Neighbour discovery (RFC 4861), the ARP of IPv6, carried in ICMPv6. Solicitation and
// advertisement share a layout: type (1), code (1), checksum (2), reserved or flags (4),
// target address (16), then options: type (1), length in 8-byte units (1, never 0), data.
// A valid message has hop limit 255, so it cannot have come through a router (section 7.1).
export const ND_MIN_LEN = 24;
export const ND_HOP_LIMIT = 255;

export const ND_OPT_SOURCE_LINK_ADDR = 1;
export const ND_OPT_TARGET_LINK_ADDR = 2;
/** An Ethernet link-layer address option: type, length 1, six bytes of MAC. */
export const ND_OPT_ETHERNET_LEN = 8;

export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

/** Router, solicited and override flags of an advertisement (high bits of its byte 4). */
export function advertFlags(bytes: Uint8Array, off: number): number { return bytes[off + 4] & 0xe0; }
export function targetOffset(off: number): number { return off + 8; }
export function optionsOffset(off: number): number { return off + ND_MIN_LEN; }

export function optionType(bytes: Uint8Array, opt: number): number { return bytes[opt]; }
/** Option length in bytes; 0 makes the whole message invalid. */
export function optionLength(bytes: Uint8Array, opt: number): number { return bytes[opt + 1] << 3; }
/** The MAC inside a link-layer address option on Ethernet. */
export function optionMacOffset(opt: number): number { return opt + 2; }

/** ff00::/8. A target address is never multicast. */
export function isMulticast(bytes: Uint8Array, addrOff: number): boolean { return bytes[addrOff] === 0xff; }
