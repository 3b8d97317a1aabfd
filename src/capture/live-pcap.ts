// What node-pcap hands the live capture, read without node-pcap: its names for link types and
// the 16-byte packet header it fills in for every packet.
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW } from '../packet/linktype';

const LINKTYPE_NULL = 0;
const LINKTYPE_IEEE802_11_RADIOTAP = 127;

/**
 * node-pcap reports the session's link type as a name for the five DLTs it knows and as
 * "Unknown linktype N" (N from pcap_datalink) for the rest, among them LINUX_SLL2 (276).
 * Returns the link type number FrameDecoder takes, or -1 when the text is neither.
 * DLT_RAW is reported as LINKTYPE_RAW whatever its DLT number (12 or 14): the frames
 * start with the IP header either way, which is all LINKTYPE_RAW (101) means.
 */
export function linktypeFromPcap(name: string): number {
  switch (name) {
    case 'LINKTYPE_NULL': return LINKTYPE_NULL;
    case 'LINKTYPE_ETHERNET': return LINKTYPE_ETHERNET;
    case 'LINKTYPE_IEEE802_11_RADIO': return LINKTYPE_IEEE802_11_RADIOTAP;
    case 'LINKTYPE_RAW': return LINKTYPE_RAW;
    case 'LINKTYPE_LINUX_SLL': return LINKTYPE_LINUX_SLL;
  }
  const unknown = /^Unknown linktype (\d{1,10})$/.exec(name);
  return unknown ? Number(unknown[1]) : -1;
}

/**
 * The capture time of a packet from node-pcap's header buffer: it copies the first 4 bytes of
 * tv_sec and of tv_usec in the host's byte order. Where time_t is 64-bit and the host is
 * big-endian (32-bit MIPS OpenWrt with musl's 64-bit time), those are the high halves and read
 * as 0; the caller checks the result against the clock (see plausibleCaptureTime).
 */
export function pcapHeaderTime(header: Uint8Array, littleEndian: boolean): number {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return view.getUint32(0, littleEndian) + view.getUint32(4, littleEndian) / 1e6;
}

/** Captured length from node-pcap's header buffer. */
export function pcapHeaderCaplen(header: Uint8Array, littleEndian: boolean): number {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return view.getUint32(8, littleEndian);
}

/**
 * Packets are read as soon as they arrive (immediate mode), so a header time far from `now`
 * means the header cannot be read on this platform, not that the packet is old.
 */
export const MAX_CAPTURE_CLOCK_SKEW = 5;

export function plausibleCaptureTime(t: number, now: number): boolean {
  return Math.abs(t - now) <= MAX_CAPTURE_CLOCK_SKEW;
}
