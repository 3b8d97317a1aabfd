// An address of either family, as the edges see it (configuration, traps, probes, the
// neighbour table, status). Inside the engine an address is a slot of its address pool; on the
// packet path IPv4 is a 32-bit number and IPv6 16 bytes where they lie.
// An IPv4 address is also written in 16 bytes as ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so both
// families share one key space; such a mapped address is always treated as IPv4.

import { formatIPv4, parseIPv4, prefixContains, type Prefix } from './ipv4';
import { IPV6_LEN, formatIPv6, parseIPv6 } from './ipv6';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 16 bytes, network order; IPv4 as ::ffff:a.b.c.d. */
  readonly bytes: Uint8Array;
  /** Family 4: the address as an unsigned 32-bit number; family 6: -1. */
  readonly v4: number;
  /** Canonical text: dotted quad, or RFC 5952. */
  readonly text: string;
}

/** True when the 16 bytes at `off` hold an IPv4-mapped address (::ffff:0:0/96). */
export function isV4Mapped(bytes: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 10; i++) if (bytes[off + i] !== 0) return false;
  return bytes[off + 10] === 0xff && bytes[off + 11] === 0xff;
}

export function ipFromV4(v4: number): IpAddress {
  const bytes = new Uint8Array(IPV6_LEN);
  bytes[10] = 0xff; bytes[11] = 0xff;
  bytes[12] = v4 >>> 24; bytes[13] = (v4 >>> 16) & 255; bytes[14] = (v4 >>> 8) & 255; bytes[15] = v4 & 255;
  return { family: 4, bytes, v4: v4 >>> 0, text: formatIPv4(v4 >>> 0) };
}

/** Copies the 16 bytes at `off` (a mapped IPv4 address becomes family 4). */
export function ipFromBytes(source: Uint8Array, off = 0): IpAddress {
  if (isV4Mapped(source, off)) {
    return ipFromV4(((source[off + 12] << 24) | (source[off + 13] << 16) | (source[off + 14] << 8) | source[off + 15]) >>> 0);
  }
  const bytes = source.slice(off, off + IPV6_LEN);
  return { family: 6, bytes, v4: -1, text: formatIPv6(bytes) };
}

/** "192.0.2.1", "2001:db8::1" or "::ffff:192.0.2.1" (the last is IPv4); null if neither. */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return ipFromV4(v4);
  const v6 = parseIPv6(text);
  return v6 === null ? null : ipFromBytes(v6);
}

/** Canonical text of the 16 bytes at `off`, whatever the family. */
export function formatIp(bytes: Uint8Array, off = 0): string {
  return isV4Mapped(bytes, off)
    ? `${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`
    : formatIPv6(bytes, off);
}

export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.text === b.text;
}

/** A network of either family; `length` counts the family's own bits (0-32 or 0-128). */
export interface IpPrefix {
  readonly family: IpFamily;
  /** 16 bytes with the host bits zero; IPv4 mapped. */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Family 4: the network as a 32-bit number (for the IPv4 fast paths); family 6: -1. */
  readonly v4: number;
  readonly text: string;
}

/** "192.0.2.0/24", "2001:db8::/32" or a bare address (a host prefix). Host bits must be zero. */
export function parseIpPrefix(text: string): IpPrefix | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const max = ip.family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
    length = Number(lenText);
    if (length > max) return null;
  }
  const bits = ip.family === 4 ? 96 + length : length;
  for (let bit = bits; bit < 128; bit++) {
    if ((ip.bytes[bit >> 3] >> (7 - (bit & 7))) & 1) return null;
  }
  return { family: ip.family, bytes: ip.bytes, length, v4: ip.v4, text: `${ip.text}/${length}` };
}

/** An IPv4 prefix (ipv4.ts) as a prefix of either family. */
export function prefixFromV4(prefix: Prefix): IpPrefix {
  const ip = ipFromV4(prefix.network);
  return { family: 4, bytes: ip.bytes, length: prefix.length, v4: ip.v4, text: `${ip.text}/${prefix.length}` };
}

/** Does `prefix` hold the 16-byte address at `off` of `bytes`? */
export function prefixHolds(prefix: IpPrefix, bytes: Uint8Array, off = 0): boolean {
  const bits = prefix.family === 4 ? 96 + prefix.length : prefix.length;
  if (prefix.family === 4 && !isV4Mapped(bytes, off)) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[off + i] !== prefix.bytes[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[off + whole] & mask) === prefix.bytes[whole];
}

/** IPv4 fast path: does an IPv4 prefix hold the 32-bit address? (False for IPv6 prefixes.) */
export function prefixHoldsV4(prefix: IpPrefix, v4: number): boolean {
  return prefix.family === 4 && prefixContains({ network: prefix.v4, length: prefix.length }, v4);
}
