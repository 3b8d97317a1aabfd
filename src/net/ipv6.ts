// IPv6 addresses as 16 bytes (network order) at an offset of a byte array: the decoders read
// them where they lie in the packet. Text is RFC 5952's canonical form.

import { parseIPv4 } from './ipv4';

export const IPV6_LEN = 16;

/** Parses RFC 4291 text ("2001:db8::1", "::ffff:192.0.2.1") into 16 bytes; null if invalid. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const out = new Uint8Array(IPV6_LEN);
  let hex = text;
  // A trailing dotted quad fills the last 32 bits: two zero groups stand in for it here and
  // its bytes are written last.
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return null;
  let quad: number | null = null;
  if (text.indexOf('.', lastColon) >= 0) {
    quad = parseIPv4(text.slice(lastColon + 1));
    if (quad === null) return null;
    hex = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const gap = hex.indexOf('::');
  if (gap >= 0 && hex.indexOf('::', gap + 1) >= 0) return null;
  const head = gap < 0 ? hex.split(':') : gap === 0 ? [] : hex.slice(0, gap).split(':');
  const tail = gap < 0 ? [] : gap + 2 === hex.length ? [] : hex.slice(gap + 2).split(':');
  if (gap < 0 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const put = (group: string, index: number): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
    const v = parseInt(group, 16);
    out[2 * index] = v >>> 8;
    out[2 * index + 1] = v & 255;
    return true;
  };
  for (let i = 0; i < head.length; i++) if (!put(head[i], i)) return null;
  for (let i = 0; i < tail.length; i++) if (!put(tail[i], 8 - tail.length + i)) return null;
  if (quad !== null) {
    out[12] = quad >>> 24; out[13] = (quad >>> 16) & 255; out[14] = (quad >>> 8) & 255; out[15] = quad & 255;
  }
  return out;
}

/** RFC 5952 text of the 16 bytes at `off`: lowercase, longest run of >= 2 zero groups as "::". */
export function formatIPv6(bytes: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(bytes[off + 2 * i] * 256 + bytes[off + 2 * i + 1]);
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => w.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** True when the 16 bytes at `off` are equal to those at `otherOff` of `other`. */
export function sameIPv6(bytes: Uint8Array, off: number, other: Uint8Array, otherOff: number): boolean {
  for (let i = 0; i < IPV6_LEN; i++) if (bytes[off + i] !== other[otherOff + i]) return false;
  return true;
}

/** fe80::/10: on-link only, never a server or a client worth telling. */
export function isLinkLocalIPv6(bytes: Uint8Array, off = 0): boolean {
  return bytes[off] === 0xfe && (bytes[off + 1] & 0xc0) === 0x80;
}

/** The unspecified address ::, the source of duplicate-address-detection probes. */
export function isUnspecifiedIPv6(bytes: Uint8Array, off = 0): boolean {
  for (let i = 0; i < IPV6_LEN; i++) if (bytes[off + i] !== 0) return false;
  return true;
}
