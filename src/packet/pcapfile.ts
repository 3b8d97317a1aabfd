// Reads classic pcap and pcapng capture files held in memory, calling back once per packet
// with offsets into the file buffer: no copy and no object per packet. A file whose
// structure is broken throws CaptureFormatError naming the byte offset; the packets before
// it have been delivered by then. A file that ends inside a record (cut short, as when the
// disk filled or tcpdump was killed) is read up to the cut, which `cutShort` reports, as
// libpcap does. Like libpcap, a record whose fraction of a second is out of range is skipped
// (counted), and a captured length above the snap length is cut to it.
import {
  DEFAULT_SNAPLEN, DEFAULT_TSRESOL, IF_NAME, IF_TSOFFSET, IF_TSRESOL, OPT_ENDOFOPT, PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB, PCAPNG_IDB, PCAPNG_OPB, PCAPNG_SHB, PCAPNG_SPB, PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, PCAP_RECORD_HEADER_LEN, TSRESOL_POW2, utf8Decode,
} from './pcapformat';

export { writePcap, writePcapng } from './pcapwrite';
export type { PcapWriteOptions, PcapngWriteOptions, PacketToWrite, PcapngPacketToWrite, PcapngInterfaceSpec } from './pcapwrite';

export class CaptureFormatError extends Error {
  constructor(
    /** Byte offset in the file where the broken structure starts. */
    readonly offset: number,
    message: string,
  ) {
    super(`byte ${offset}: ${message}`);
    this.name = 'CaptureFormatError';
  }
}

export interface CaptureInterface {
  linktype: number;
  /** 0 when the file does not say. */
  snaplen: number;
  /** if_tsresol as written (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n s). */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsoffset: number;
  /** if_name, '' when absent. */
  name: string;
}

export interface CaptureInfo {
  format: 'pcap' | 'pcapng';
  /** Byte order of the file (pcapng: of its first section). */
  bigEndian: boolean;
  /** Every interface of every section, in file order; `iface` in the callback indexes this. */
  interfaces: CaptureInterface[];
  /** pcapng sections (1 for classic pcap). */
  sections: number;
  /** Packets delivered. */
  packets: number;
  /** pcap records skipped because their microseconds (nanoseconds) were >= 10^6 (10^9). */
  invalidTimestamps: number;
  /** Records whose captured length was above the snap length, delivered cut to it. */
  caplenClamped: number;
  /** Where and why reading stopped early when the file ends inside a record; null when whole. */
  cutShort: CaptureFormatError | null;
}

export type PacketCallback = (linktype: number, data: Uint8Array, off: number, len: number, t: number, iface: number) => void;

/** Detects the format from the first bytes and reads every packet. */
export function forEachPacket(bytes: Uint8Array, onPacket: PacketCallback): CaptureInfo {
  if (bytes.length < 4) {
    throw new CaptureFormatError(0, `file too short (${bytes.length} bytes) to be a pcap or pcapng capture`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) === PCAPNG_SHB) return readPcapng(bytes, view, onPacket);
  return readPcap(bytes, view, onPacket);
}

function readPcap(bytes: Uint8Array, view: DataView, onPacket: PacketCallback): CaptureInfo {
  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  let le: boolean;
  let fracPerSecond: number;
  if (magicLE === PCAP_MAGIC_MICRO || magicBE === PCAP_MAGIC_MICRO) {
    le = magicLE === PCAP_MAGIC_MICRO;
    fracPerSecond = 1e6;
  } else if (magicLE === PCAP_MAGIC_NANO || magicBE === PCAP_MAGIC_NANO) {
    le = magicLE === PCAP_MAGIC_NANO;
    fracPerSecond = 1e9;
  } else {
    throw new CaptureFormatError(0, `bad magic 0x${magicBE.toString(16).padStart(8, '0')}: not a pcap or pcapng file`);
  }
  const size = bytes.length;
  if (size < PCAP_FILE_HEADER_LEN) {
    throw new CaptureFormatError(0, `truncated pcap file header: ${PCAP_FILE_HEADER_LEN} bytes needed, ${size} present`);
  }
  const major = view.getUint16(4, le);
  if (major !== 2) throw new CaptureFormatError(4, `unsupported pcap version ${major}.${view.getUint16(6, le)} (only 2.x exists)`);
  const snaplen = view.getUint32(16, le);
  // The upper bits of the link type field carry FCS information, not the type.
  const linktype = view.getUint32(20, le) & 0xffff;
  const info: CaptureInfo = {
    ...emptyInfo('pcap', !le), sections: 1,
    interfaces: [{ linktype, snaplen, tsresol: fracPerSecond === 1e6 ? 6 : 9, tsoffset: 0, name: '' }],
  };
  // libpcap's rule: a snap length of 0 or above its maximum means the maximum.
  const keep = snaplen === 0 || snaplen > DEFAULT_SNAPLEN ? DEFAULT_SNAPLEN : snaplen;
  let pos = PCAP_FILE_HEADER_LEN;
  while (pos < size) {
    if (size - pos < PCAP_RECORD_HEADER_LEN) {
      info.cutShort = new CaptureFormatError(pos, `truncated packet record header: ${PCAP_RECORD_HEADER_LEN} bytes needed, ${size - pos} left (file cut short)`);
      break;
    }
    const sec = view.getUint32(pos, le);
    const frac = view.getUint32(pos + 4, le);
    const caplen = view.getUint32(pos + 8, le);
    const data = pos + PCAP_RECORD_HEADER_LEN;
    if (caplen > DEFAULT_SNAPLEN && caplen > snaplen) {
      throw new CaptureFormatError(pos, `invalid captured length ${caplen}: above the file's snap length ${snaplen} and the ${DEFAULT_SNAPLEN} any link type allows (record corrupt)`);
    }
    if (caplen > size - data) {
      info.cutShort = new CaptureFormatError(pos, `truncated packet record: captured length ${caplen} but ${size - data} bytes left (file cut short)`);
      break;
    }
    pos = data + caplen;
    if (frac >= fracPerSecond) { info.invalidTimestamps++; continue; }
    let len = caplen;
    if (len > keep) { len = keep; info.caplenClamped++; }
    info.packets++;
    onPacket(linktype, bytes, data, len, sec + frac / fracPerSecond, 0);
  }
  return info;
}

function emptyInfo(format: CaptureInfo['format'], bigEndian: boolean): CaptureInfo {
  return { format, bigEndian, interfaces: [], sections: 0, packets: 0, invalidTimestamps: 0, caplenClamped: 0, cutShort: null };
}

/** Per-interface timestamp conversion, prepared once per IDB. */
interface Clock {
  /** Decimal digits of the resolution (10^-digits s), or -1 for a power of 2. */
  digits: number;
  /** Units per second. */
  perSecond: number;
  /** For power-of-2 resolutions: the exponent n of 2^-n. */
  pow2: number;
  offset: number;
}

function makeClock(tsresol: number, tsoffset: number): Clock {
  if ((tsresol & TSRESOL_POW2) !== 0) {
    const n = tsresol & 0x7f;
    return { digits: -1, perSecond: 2 ** n, pow2: n, offset: tsoffset };
  }
  return { digits: tsresol, perSecond: 10 ** tsresol, pow2: 0, offset: tsoffset };
}

const TWO32 = 4294967296;

/** Seconds for a 64-bit timestamp high:low, exact to the resolution where a double allows. */
function clockTime(clock: Clock, high: number, low: number): number {
  if (clock.digits < 0) {
    const n = clock.pow2;
    if (n <= 32) {
      const unit = 2 ** n;
      return high * 2 ** (32 - n) + Math.floor(low / unit) + (low % unit) / unit + clock.offset;
    }
    return (high * TWO32 + low) / clock.perSecond + clock.offset;
  }
  const per = clock.perSecond;
  if (clock.digits > 9) return (high * TWO32 + low) / per + clock.offset;
  // Remainder of high*2^32+low modulo `per`, in steps that stay below 2^53.
  let rem = ((high % per) * 65536) % per;
  rem = (rem * 65536) % per;
  rem = (rem + (low % per)) % per;
  // The quotient is an integer; the rounding error of the 64-bit sum is far below 0.5.
  const sec = Math.round((high * TWO32 + low - rem) / per);
  return sec + rem / per + clock.offset;
}

function readPcapng(bytes: Uint8Array, view: DataView, onPacket: PacketCallback): CaptureInfo {
  const size = bytes.length;
  const info = emptyInfo('pcapng', false);
  const clocks: Clock[] = [];
  let le = true;
  let sectionBase = 0;
  let pos = 0;
  while (pos < size) {
    if (size - pos < 12) {
      info.cutShort = new CaptureFormatError(pos, `truncated block header: 12 bytes needed, ${size - pos} left (file cut short)`);
      break;
    }
    const typeLE = view.getUint32(pos, true);
    if (typeLE === PCAPNG_SHB) {
      const bom = view.getUint32(pos + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new CaptureFormatError(pos + 8, `bad byte-order magic 0x${bom.toString(16)} in section header block`);
      if (info.sections === 0) info.bigEndian = !le;
      info.sections++;
      sectionBase = info.interfaces.length;
    } else if (info.sections === 0) {
      throw new CaptureFormatError(pos, 'pcapng file does not start with a section header block');
    }
    const type = view.getUint32(pos, le);
    const blockLen = view.getUint32(pos + 4, le);
    if (blockLen < 12 || blockLen % 4 !== 0) {
      throw new CaptureFormatError(pos + 4, `bad block length ${blockLen} for block type 0x${type.toString(16)} (must be >= 12 and a multiple of 4)`);
    }
    if (blockLen > size - pos) {
      info.cutShort = new CaptureFormatError(pos, `truncated block: type 0x${type.toString(16)} says ${blockLen} bytes, ${size - pos} left (file cut short)`);
      break;
    }
    const trailer = view.getUint32(pos + blockLen - 4, le);
    if (trailer !== blockLen) {
      throw new CaptureFormatError(pos + blockLen - 4, `block length mismatch: block type 0x${type.toString(16)} at byte ${pos} starts with length ${blockLen}, ends with ${trailer}`);
    }
    const body = pos + 8;
    const bodyEnd = pos + blockLen - 4;
    if (type === PCAPNG_SHB) {
      if (bodyEnd - body < 16) throw new CaptureFormatError(pos, `section header block too short (${blockLen} bytes, at least 28 needed)`);
      const major = view.getUint16(body + 4, le);
      if (major !== 1) throw new CaptureFormatError(body + 4, `unsupported pcapng version ${major}.${view.getUint16(body + 6, le)} (only 1.x exists)`);
    } else if (type === PCAPNG_IDB) {
      if (bodyEnd - body < 8) throw new CaptureFormatError(pos, `interface description block too short (${blockLen} bytes, at least 20 needed)`);
      const iface: CaptureInterface = {
        linktype: view.getUint16(body, le), snaplen: view.getUint32(body + 4, le),
        tsresol: DEFAULT_TSRESOL, tsoffset: 0, name: '',
      };
      readInterfaceOptions(bytes, view, le, body + 8, bodyEnd, iface);
      info.interfaces.push(iface);
      clocks.push(makeClock(iface.tsresol, iface.tsoffset));
    } else if (type === PCAPNG_EPB || type === PCAPNG_OPB) {
      if (bodyEnd - body < 20) throw new CaptureFormatError(pos, `packet block too short (${blockLen} bytes, at least 32 needed)`);
      const id = type === PCAPNG_EPB ? view.getUint32(body, le) : view.getUint16(body, le);
      const index = sectionBase + id;
      if (index >= info.interfaces.length) {
        throw new CaptureFormatError(body, `packet for interface ${id}, but the section describes only ${info.interfaces.length - sectionBase}`);
      }
      let caplen = view.getUint32(body + 12, le);
      const data = body + 20;
      if (caplen > bodyEnd - data) {
        throw new CaptureFormatError(body + 12, `captured length ${caplen} exceeds the ${bodyEnd - data} bytes left in the packet block`);
      }
      const snaplen = info.interfaces[index].snaplen;
      if (snaplen > 0 && caplen > snaplen) { caplen = snaplen; info.caplenClamped++; }
      const t = clockTime(clocks[index], view.getUint32(body + 4, le), view.getUint32(body + 8, le));
      info.packets++;
      onPacket(info.interfaces[index].linktype, bytes, data, caplen, t, index);
    } else if (type === PCAPNG_SPB) {
      if (bodyEnd - body < 4) throw new CaptureFormatError(pos, `simple packet block too short (${blockLen} bytes, at least 16 needed)`);
      if (sectionBase >= info.interfaces.length) {
        throw new CaptureFormatError(pos, 'simple packet block before any interface description block');
      }
      const iface = info.interfaces[sectionBase];
      const data = body + 4;
      // The SPB has no captured length: the smaller of original length, snaplen and block.
      let caplen = view.getUint32(body, le);
      if (iface.snaplen > 0 && caplen > iface.snaplen) caplen = iface.snaplen;
      if (caplen > bodyEnd - data) caplen = bodyEnd - data;
      info.packets++;
      // An SPB has no timestamp.
      onPacket(iface.linktype, bytes, data, caplen, 0, sectionBase);
    }
    // Other block types (name resolution, statistics, custom...) carry nothing we need.
    pos += blockLen;
  }
  return info;
}

function readInterfaceOptions(bytes: Uint8Array, view: DataView, le: boolean, pos: number, end: number, iface: CaptureInterface): void {
  while (end - pos >= 4) {
    const code = view.getUint16(pos, le);
    const len = view.getUint16(pos + 2, le);
    if (code === OPT_ENDOFOPT) return;
    const value = pos + 4;
    if (len > end - value) {
      throw new CaptureFormatError(pos, `interface option ${code} of length ${len} runs past the end of its block`);
    }
    if (code === IF_TSRESOL && len >= 1) {
      iface.tsresol = bytes[value];
    } else if (code === IF_TSOFFSET && len >= 8) {
      // Signed 64-bit seconds; a double holds any offset a real capture would use.
      iface.tsoffset = view.getInt32(value + (le ? 4 : 0), le) * TWO32 + view.getUint32(value + (le ? 0 : 4), le);
    } else if (code === IF_NAME) {
      iface.name = utf8Decode(bytes, value, len);
    }
    pos = value + ((len + 3) & ~3);
  }
}
