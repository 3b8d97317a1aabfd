// IPv4 addresses travel through the core as unsigned 32-bit numbers and MAC addresses as
// 48-bit numbers (exact in a double); strings appear only at the edges.

export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(addr: number): string {
  return `${(addr >>> 24) & 255}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

export interface Prefix {
  readonly network: number;
  readonly length: number;
}

/** "192.0.2.0/24" or a bare address (a /32). Host bits must be zero. */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  const addr = parseIPv4(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  let length = 32;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]?)$/.test(lenText)) return null;
    length = Number(lenText);
    if (length > 32) return null;
  }
  if ((addr & ~prefixMask(length)) >>> 0 !== 0) return null;
  return { network: addr, length };
}

export function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export function prefixContains(prefix: Prefix, addr: number): boolean {
  return ((addr & prefixMask(prefix.length)) >>> 0) === prefix.network;
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatIPv4(prefix.network)}/${prefix.length}`;
}

/** Reads a MAC address at `off` as a 48-bit number; 0 means "not known". */
export function readMac(bytes: Uint8Array, off: number): number {
  return (
    (bytes[off] * 0x10000 + bytes[off + 1] * 0x100 + bytes[off + 2]) * 0x1000000 +
    bytes[off + 3] * 0x10000 + bytes[off + 4] * 0x100 + bytes[off + 5]
  );
}

const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(mac: number): string {
  const high = Math.floor(mac / 0x1000000);
  const low = mac % 0x1000000;
  return `${HEX_PAIRS[(high >>> 16) & 255]}:${HEX_PAIRS[(high >>> 8) & 255]}:${HEX_PAIRS[high & 255]}:` +
    `${HEX_PAIRS[(low >>> 16) & 255]}:${HEX_PAIRS[(low >>> 8) & 255]}:${HEX_PAIRS[low & 255]}`;
}

export function parseMac(text: string): number | null {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return null;
  return parseInt(text.replace(/:/g, ''), 16);
}
