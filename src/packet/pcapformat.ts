// Constants shared by the capture file reader and writer (pcap: tcpdump.org/manpages/pcap-savefile.5;
// pcapng: draft-ietf-opsawg-pcapng).

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's default snap length, written when the caller names none. */
export const DEFAULT_SNAPLEN = 262144;

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_OPB = 0x00000002;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const IF_NAME = 2;
export const IF_TSRESOL = 9;
export const IF_TSOFFSET = 14;

/** if_tsresol when absent: microseconds. */
export const DEFAULT_TSRESOL = 6;
/** if_tsresol with this bit set is a power of 2 (2^-n s), otherwise a power of 10. */
export const TSRESOL_POW2 = 0x80;

export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Lenient UTF-8 decoding (no TextDecoder on QuickJS); a bad sequence becomes U+FFFD. */
export function utf8Decode(bytes: Uint8Array, off: number, len: number): string {
  let out = '';
  const end = off + len;
  let i = off;
  while (i < end) {
    const b = bytes[i];
    let need: number;
    let c: number;
    if (b < 0x80) { need = 0; c = b; }
    else if (b >= 0xc2 && b < 0xe0) { need = 1; c = b & 31; }
    else if (b >= 0xe0 && b < 0xf0) { need = 2; c = b & 15; }
    else if (b >= 0xf0 && b < 0xf5) { need = 3; c = b & 7; }
    else { out += '\ufffd'; i++; continue; }
    let ok = i + need < end;
    for (let k = 1; ok && k <= need; k++) {
      const cont = bytes[i + k];
      if ((cont & 0xc0) !== 0x80) ok = false;
      else c = (c << 6) | (cont & 63);
    }
    if (!ok || c > 0x10ffff) { out += '\ufffd'; i++; continue; }
    out += String.fromCodePoint(c);
    i += need + 1;
  }
  return out;
}
