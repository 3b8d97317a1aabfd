// MAC addresses travel through the core as 48-bit numbers (exact in a double); 0 means
// "not known". Strings appear only at the edges.

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
