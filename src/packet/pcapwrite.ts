// Writes capture files for tests, fixtures and benchmarks. Not on any hot path: it builds
// one buffer per file and may allocate freely.
import {
  DEFAULT_SNAPLEN, DEFAULT_TSRESOL, IF_NAME, IF_TSRESOL, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB,
  PCAPNG_IDB, PCAPNG_SHB, PCAP_FILE_HEADER_LEN, PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO,
  PCAP_RECORD_HEADER_LEN, TSRESOL_POW2, utf8Encode,
} from './pcapformat';

export interface PacketToWrite {
  /** Unix seconds. */
  t: number;
  bytes: Uint8Array;
  /** Length on the wire when `bytes` was cut short; defaults to bytes.length. */
  origLen?: number;
}

export interface PcapWriteOptions {
  /** Nanosecond magic and timestamps (default microseconds). */
  nanosecond?: boolean;
  /** Big-endian file (default little-endian, as on x86 and most routers). */
  bigEndian?: boolean;
  /** Snap length recorded in the header; longer packets are cut to it. Default 262144. */
  snaplen?: number;
}

export function writePcap(linktype: number, packets: readonly PacketToWrite[], opts: PcapWriteOptions = {}): Uint8Array {
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const le = !opts.bigEndian;
  const perSecond = opts.nanosecond ? 1e9 : 1e6;
  let size = PCAP_FILE_HEADER_LEN;
  for (const p of packets) size += PCAP_RECORD_HEADER_LEN + Math.min(p.bytes.length, snaplen);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, snaplen, le);
  view.setUint32(20, linktype, le);
  let pos = PCAP_FILE_HEADER_LEN;
  for (const p of packets) {
    const caplen = Math.min(p.bytes.length, snaplen);
    const [sec, frac] = splitTime(p.t, perSecond);
    view.setUint32(pos, sec, le);
    view.setUint32(pos + 4, frac, le);
    view.setUint32(pos + 8, caplen, le);
    view.setUint32(pos + 12, p.origLen ?? p.bytes.length, le);
    out.set(p.bytes.subarray(0, caplen), pos + PCAP_RECORD_HEADER_LEN);
    pos += PCAP_RECORD_HEADER_LEN + caplen;
  }
  return out;
}

/** Whole seconds and the fraction in units, rounded, carrying into the seconds. */
function splitTime(t: number, perSecond: number): [number, number] {
  if (!(t >= 0 && t < 2 ** 32)) throw new RangeError(`timestamp ${t}: must be Unix seconds between 0 and 2^32`);
  let sec = Math.floor(t);
  let frac = Math.round((t - sec) * perSecond);
  if (frac >= perSecond) { sec += 1; frac -= perSecond; }
  return [sec, frac];
}

export interface PcapngInterfaceSpec {
  linktype: number;
  /** if_tsresol byte: 6 = microseconds (default), 9 = nanoseconds, 0x80|n = 2^-n s. */
  tsresol?: number;
  snaplen?: number;
  name?: string;
}

export interface PcapngPacketToWrite extends PacketToWrite {
  /** Index into the interfaces given to writePcapng. */
  iface: number;
}

export interface PcapngWriteOptions {
  bigEndian?: boolean;
}

/** One section with the given interfaces and one enhanced packet block per packet. */
export function writePcapng(
  interfaces: readonly PcapngInterfaceSpec[],
  packets: readonly PcapngPacketToWrite[],
  opts: PcapngWriteOptions = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const blocks: Uint8Array[] = [];
  const shb = new Uint8Array(28);
  const shbView = new DataView(shb.buffer);
  shbView.setUint32(0, PCAPNG_SHB, le);
  shbView.setUint32(4, 28, le);
  shbView.setUint32(8, PCAPNG_BYTE_ORDER_MAGIC, le);
  shbView.setUint16(12, 1, le);
  shbView.setUint16(14, 0, le);
  shbView.setInt32(16, -1, le); // section length unknown
  shbView.setInt32(20, -1, le);
  shbView.setUint32(24, 28, le);
  blocks.push(shb);

  const perSecond: bigint[] = [];
  for (const spec of interfaces) {
    const tsresol = spec.tsresol ?? DEFAULT_TSRESOL;
    perSecond.push((tsresol & TSRESOL_POW2) !== 0 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol));
    const options: [number, Uint8Array][] = [];
    if (spec.name !== undefined) options.push([IF_NAME, utf8Encode(spec.name)]);
    if (spec.tsresol !== undefined) options.push([IF_TSRESOL, Uint8Array.of(tsresol)]);
    let optLen = 0;
    for (const [, value] of options) optLen += 4 + pad4(value.length);
    if (options.length > 0) optLen += 4; // opt_endofopt
    const len = 20 + optLen;
    const idb = new Uint8Array(len);
    const v = new DataView(idb.buffer);
    v.setUint32(0, PCAPNG_IDB, le);
    v.setUint32(4, len, le);
    v.setUint16(8, spec.linktype, le);
    v.setUint32(12, spec.snaplen ?? 0, le);
    let pos = 16;
    for (const [code, value] of options) {
      v.setUint16(pos, code, le);
      v.setUint16(pos + 2, value.length, le);
      idb.set(value, pos + 4);
      pos += 4 + pad4(value.length);
    }
    v.setUint32(len - 4, len, le);
    blocks.push(idb);
  }

  for (const p of packets) {
    if (!(p.iface >= 0 && p.iface < interfaces.length)) {
      throw new RangeError(`packet for interface ${p.iface}: only ${interfaces.length} interfaces given`);
    }
    const snaplen = interfaces[p.iface].snaplen || Infinity;
    const caplen = Math.min(p.bytes.length, snaplen);
    const len = 32 + pad4(caplen);
    const epb = new Uint8Array(len);
    const v = new DataView(epb.buffer);
    v.setUint32(0, PCAPNG_EPB, le);
    v.setUint32(4, len, le);
    v.setUint32(8, p.iface, le);
    const units = timeUnits(p.t, perSecond[p.iface]);
    v.setUint32(12, Number(units >> 32n), le);
    v.setUint32(16, Number(units & 0xffffffffn), le);
    v.setUint32(20, caplen, le);
    v.setUint32(24, p.origLen ?? p.bytes.length, le);
    epb.set(p.bytes.subarray(0, caplen), 28);
    v.setUint32(len - 4, len, le);
    blocks.push(epb);
  }

  let size = 0;
  for (const b of blocks) size += b.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const b of blocks) { out.set(b, pos); pos += b.length; }
  return out;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function timeUnits(t: number, perSecond: bigint): bigint {
  if (!(t >= 0 && t < 2 ** 53)) throw new RangeError(`timestamp ${t}: must be non-negative Unix seconds`);
  const sec = Math.floor(t);
  const fracUnits = BigInt(Math.round((t - sec) * Number(perSecond)));
  return BigInt(sec) * perSecond + fracUnits;
}
