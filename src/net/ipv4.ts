// IPv4 addresses travel through the core as unsigned 32-bit numbers; strings appear only at
// the edges.

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
