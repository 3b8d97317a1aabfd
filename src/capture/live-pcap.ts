// What node-pcap's binding hands the live capture: its names for link types, the 16-byte packet
// header it fills in for every packet, and the binding's own interface.
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
 * node-pcap's native binding, used without its JavaScript wrapper (pcap.js): the wrapper wraps
 * every packet in an object and an event, and loads node-pcap's protocol decoders, which
 * backsoon does not use. What the binding offers (pcap_session.cc of the version pinned in
 * package.json):
 */
export interface PcapBindingSession {
  /**
   * pcap_create + settings + pcap_activate + filter + non-blocking; `onPacket` is called with no
   * arguments for each packet, after the binding copied it into the buffers given to dispatch.
   * A `bufferTimeoutMs` of 0 or less means immediate mode. Returns the link type's name.
   */
  open_live(device: string, filter: string, bufferSize: number, snapLength: number, outfile: string,
    onPacket: () => void, monitor: boolean, bufferTimeoutMs: number, warning: (text: string) => void,
    promiscuous: boolean): string;
  /** Reads every packet waiting (pcap_dispatch, one packet a call, until none is left). */
  dispatch(packet: Uint8Array, header: Uint8Array): number;
  /** Starts a libuv poll on the capture descriptor; each wake-up calls `read_callback`. */
  start_polling(): void;
  read_callback?: () => void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  inject(frame: Uint8Array): void;
}

export interface PcapBinding {
  PcapSession: new () => PcapBindingSession;
  lib_version(): string;
}

/**
 * The 16-byte header the binding fills for every packet: the first 4 bytes of tv_sec and of
 * tv_usec, caplen and len, in the host's byte order. One view over one buffer, read per packet.
 * Where time_t is 64-bit and the host big-endian (32-bit MIPS OpenWrt with musl's 64-bit time),
 * the time fields hold the high halves and read as 0; the caller checks the time against the
 * clock (see plausibleCaptureTime).
 */
export class PcapHeader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, private readonly littleEndian: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Capture time, Unix seconds. */
  time(): number {
    return this.view.getUint32(0, this.littleEndian) + this.view.getUint32(4, this.littleEndian) / 1e6;
  }

  /** Captured length. */
  caplen(): number {
    return this.view.getUint32(8, this.littleEndian);
  }
}

/**
 * Packets are read within capture_batch_ms of their arrival, so a header time far from `now`
 * means the header cannot be read on this platform, not that the packet is old.
 */
export const MAX_CAPTURE_CLOCK_SKEW = 5;

export function plausibleCaptureTime(t: number, now: number): boolean {
  return Math.abs(t - now) <= MAX_CAPTURE_CLOCK_SKEW;
}
