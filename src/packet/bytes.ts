// Big-endian reads over a byte array: every wire header we decode is in network order.
// Callers check bounds first; these never allocate.

export function u16(bytes: Uint8Array, off: number): number {
  return (bytes[off] << 8) | bytes[off + 1];
}

export function u32(bytes: Uint8Array, off: number): number {
  return ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
}

export function putU16(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = (value >>> 8) & 0xff;
  bytes[off + 1] = value & 0xff;
}

export function putU32(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = (value >>> 24) & 0xff;
  bytes[off + 1] = (value >>> 16) & 0xff;
  bytes[off + 2] = (value >>> 8) & 0xff;
  bytes[off + 3] = value & 0xff;
}

/** Writes a 48-bit MAC (as held by engine/addr.ts) at `off`. */
export function putMac(bytes: Uint8Array, off: number, mac: number): void {
  const high = Math.floor(mac / 0x1000000);
  const low = mac % 0x1000000;
  bytes[off] = (high >>> 16) & 0xff;
  bytes[off + 1] = (high >>> 8) & 0xff;
  bytes[off + 2] = high & 0xff;
  bytes[off + 3] = (low >>> 16) & 0xff;
  bytes[off + 4] = (low >>> 8) & 0xff;
  bytes[off + 5] = low & 0xff;
}
