// Ethernet II header, with any number of 802.1Q / 802.1ad (QinQ) tags after the addresses.
// Layout: dst MAC (6), src MAC (6), type (2); a tag is TPID (2, in the type slot) + TCI (2).
import { u16 } from './bytes';

export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ TPID still sent by some switches. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Type values below this are 802.3 lengths, not EtherTypes. */
export const ETHERTYPE_MIN = 0x0600;

export function dstMacOffset(off: number): number { return off; }
export function srcMacOffset(off: number): number { return off + 6; }
export function etherType(bytes: Uint8Array, off: number): number { return u16(bytes, off + 12); }

export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD;
}

/** VLAN id of a tag whose TCI starts at `tciOff`. */
export function vlanId(bytes: Uint8Array, tciOff: number): number {
  return u16(bytes, tciOff) & 0x0fff;
}

/**
 * Skips the VLAN tags that start at `payload` when `type` is a tag's TPID and returns the
 * offset just past the last tag; the EtherType that applies to it is the 2 bytes before.
 * Returns -1 when a tag does not fit before `end`.
 * Works for every link header that carries an EtherType (Ethernet, SLL, SLL2): after a tag,
 * the inner type always sits in the tag's last two bytes.
 */
export function skipVlanTags(bytes: Uint8Array, type: number, payload: number, end: number): number {
  while (isVlanTpid(type)) {
    if (payload + VLAN_TAG_LEN > end) return -1;
    type = u16(bytes, payload + 2);
    payload += VLAN_TAG_LEN;
  }
  return payload;
}
