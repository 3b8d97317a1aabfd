// Live packet capture: one libpcap session (node-pcap's binding) per configured interface, each
// packet decoded synchronously into the engine. The binding copies every packet into the same
// buffer, so nothing of a packet may be kept after FrameDecoder returns.
//
// Batches: with capture_batch_ms > 0, libpcap hands over packets in blocks (TPACKET_V3), a
// block when it is full or that many ms after its first packet, and the process wakes once per
// block instead of once per packet; the binding's dispatch then reads every packet waiting.
// A packet is decoded up to capture_batch_ms later, with its own capture time.
//
// Not promiscuous: the router is the next hop of everything we read. Client SYNs and ARP
// replies are addressed to its MAC, ARP requests are broadcast, and what it sends or forwards
// (ICMP errors, ARP requests, forwarded SYN/ACKs and RSTs) is seen on the way out, which packet
// sockets get in any mode. Promiscuous mode would only add frames between other hosts of a
// switched or bridged LAN (more work for the filter, and on some switch chips it turns off
// hardware offload), and it shows in the interface's flags.
//
// Sessions are never closed: the binding closes a session only from inside a read, i.e. when
// the next packet arrives. The daemon exits the process instead; stop() only stops decoding.
import { existsSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import type { Observations } from '../net/observations';
import { parseIPv4 } from '../net/ipv4';
import { FrameDecoder, type DecodeStats } from '../packet/dispatch';
import { isSupportedLinktype, linktypeName } from '../packet/linktype';
import { captureFilter, type FilterScope, type InterfaceRole } from './bpf';
import { linktypeFromPcap, PcapHeader, plausibleCaptureTime, type PcapBinding, type PcapBindingSession } from './live-pcap';

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Enough for Ethernet + two VLAN tags + IPv4 with options + the ICMP error's quoted headers. */
export const SNAP_LENGTH = 256;

export interface LiveCaptureOptions {
  /** Devices of `option interface`: ICMP unreachable, SYN, SYN/ACK, RST. */
  readonly clientInterfaces: readonly string[];
  /** Devices of `option server_interface`: ARP. */
  readonly serverInterfaces: readonly string[];
  /** Watched servers and networks; ownAddresses defaults to every IPv4 address of this host. */
  readonly scope: FilterScope;
  readonly log: (level: LogLevel, message: string) => void;
  /** Unix seconds; the fallback clock where pcap's header times cannot be read. */
  readonly now?: () => number;
  /** Kernel buffer per session in bytes (default 1 MiB: ~4000 packets of the snap length). */
  readonly bufferSize?: number;
  /** ms libpcap may hold packets to hand them over in one block; 0: each at once (default). */
  readonly batchMs?: number;
}

export interface InterfaceCaptureStats {
  readonly iface: string;
  readonly roles: readonly InterfaceRole[];
  readonly linktype: number;
  readonly filter: string;
  /** From pcap_stats: packets that passed the filter, and those the kernel had to drop. */
  readonly received: number;
  readonly dropped: number;
  readonly ifDropped: number;
  /** Packets whose pcap header time was implausible, so the clock's time was used. */
  readonly clockFallbacks: number;
  readonly decode: DecodeStats;
}

interface OpenSession {
  readonly iface: string;
  readonly roles: InterfaceRole[];
  readonly linktype: number;
  readonly filter: string;
  readonly session: PcapBindingSession;
  readonly decoder: FrameDecoder;
  clockFallbacks: number;
  /** Drops already reported by watchDrops. */
  reportedDrops: number;
}

function loadPcap(): PcapBinding {
  // require, not import: the native binding loads only when a capture is opened, so commands
  // that never capture (status, replay, config) run where libpcap is missing.
  return require('pcap/build/Release/pcap_binding.node') as PcapBinding;
}

export class LiveCapture {
  private readonly sessions = new Map<string, OpenSession>();
  private dropTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(private readonly options: LiveCaptureOptions) {}

  /**
   * Opens a session on every configured interface and starts decoding into `sink`. Throws an
   * Error whose message is one sentence naming the interface and the fix; the daemon prints it
   * and exits 2.
   */
  static open(sink: Observations, options: LiveCaptureOptions): LiveCapture {
    const capture = new LiveCapture(options);
    const roles = interfaceRoles(options.clientInterfaces, options.serverInterfaces);
    for (const iface of roles.keys()) {
      if (!isDeviceName(iface) || !existsSync(`/sys/class/net/${iface}`)) throw new Error(missingInterfaceMessage(iface, roles.get(iface) ?? []));
    }
    const scope: FilterScope = { ...options.scope, ownAddresses: options.scope.ownAddresses ?? hostAddresses() };
    const pcap = loadPcap();
    for (const [iface, ifaceRoles] of roles) {
      capture.sessions.set(iface, capture.openOne(pcap, sink, iface, ifaceRoles, scope));
    }
    return capture;
  }

  private openOne(pcap: PcapBinding, sink: Observations, iface: string, roles: InterfaceRole[], scope: FilterScope): OpenSession {
    const filter = captureFilter(roles, scope);
    const session = new pcap.PcapSession();
    const decoder = new FrameDecoder(sink);
    const packet = Buffer.alloc(SNAP_LENGTH);
    const header = new PcapHeader(Buffer.alloc(16), endianness() === 'LE');
    const now = this.options.now ?? (() => Date.now() / 1000);
    let linktype = -1;
    let clock = 0;
    let open: OpenSession | null = null;
    // Called by the binding for each packet, inside dispatch(), with the packet in `packet`.
    const onPacket = () => {
      if (this.stopped || open === null) return;
      let t = header.time();
      if (!plausibleCaptureTime(t, clock)) { t = clock; open.clockFallbacks++; }
      decoder.frame(linktype, packet, 0, header.caplen(), t);
    };
    let name: string;
    try {
      name = session.open_live(iface, filter, this.options.bufferSize ?? 1 << 20, SNAP_LENGTH, '', onPacket, false,
        // 0 is immediate mode; the binding's own default would be a whole second.
        this.options.batchMs ?? 0,
        // "no IPv4 address" for bridge ports and the like: harmless for us.
        (text) => this.options.log('debug', `capture: libpcap on ${iface}: ${text}`),
        false);
    } catch (err) {
      throw new Error(openErrorMessage(iface, roles, err instanceof Error ? err.message : String(err), filter));
    }
    linktype = linktypeFromPcap(name);
    if (!isSupportedLinktype(linktype)) {
      throw new Error(
        `capture on ${iface}: its link type ${linktype < 0 ? name : linktypeName(linktype)} is not one backsoon decodes ` +
        `(Ethernet, Linux cooked, raw IP); name the Ethernet or bridge device in ${optionNames(roles)} instead`,
      );
    }
    open = { iface, roles, linktype, filter, session, decoder, clockFallbacks: 0, reportedDrops: 0 };
    // One wake-up: the clock read once for all the packets waiting, then every one of them.
    const read = () => {
      clock = now();
      session.dispatch(packet, header.bytes);
    };
    session.read_callback = read;
    session.start_polling();
    // Packets that arrived before the poll started would not wake it.
    process.nextTick(read);
    const batch = this.options.batchMs ?? 0;
    this.options.log('info', `capture on ${iface} (${roles.join('+')} side, ${linktypeName(linktype)}` +
      `${batch > 0 ? `, batches of up to ${batch} ms` : ''})`);
    this.options.log('debug', `capture filter on ${iface}: ${filter}`);
    return open;
  }

  /** Interfaces with an open session, in configuration order. */
  get interfaces(): string[] {
    return [...this.sessions.keys()];
  }

  stats(): InterfaceCaptureStats[] {
    const out: InterfaceCaptureStats[] = [];
    for (const s of this.sessions.values()) {
      const ps = readPcapStats(s.session);
      out.push({
        iface: s.iface, roles: s.roles, linktype: s.linktype, filter: s.filter,
        received: ps.received, dropped: ps.dropped, ifDropped: ps.ifDropped,
        clockFallbacks: s.clockFallbacks, decode: s.decoder.stats,
      });
    }
    return out;
  }

  /** Sends a whole link-layer frame (an ARP probe) out of `iface`, which must be captured. */
  inject(iface: string, frame: Uint8Array): void {
    const s = this.sessions.get(iface);
    if (!s) throw new Error(`capture: cannot send on ${iface}: it is not one of the captured interfaces (${this.interfaces.join(', ') || 'none'})`);
    try {
      s.session.inject(frame);
    } catch (err) {
      throw new Error(`capture: sending a ${frame.byteLength}-byte frame on ${iface} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Every `everySeconds`, logs a warning for each interface whose drop counters grew: the kernel
   * buffer overflowed, so some SYNs or ARP replies were never seen.
   */
  watchDrops(everySeconds: number): void {
    if (this.dropTimer) clearInterval(this.dropTimer);
    this.dropTimer = setInterval(() => this.reportDrops(everySeconds), everySeconds * 1000);
    this.dropTimer.unref();
  }

  private reportDrops(everySeconds: number): void {
    for (const s of this.sessions.values()) {
      const ps = readPcapStats(s.session);
      const total = ps.dropped + ps.ifDropped;
      if (total > s.reportedDrops) {
        this.options.log('warn',
          `capture on ${s.iface}: ${total - s.reportedDrops} packets dropped in the last ${everySeconds} s ` +
          `(${ps.dropped} by the capture buffer, ${ps.ifDropped} by the interface, ${ps.received} received since start); ` +
          'some attempts or recoveries may have been missed');
        s.reportedDrops = total;
      }
    }
  }

  /** Stops decoding and the drop watch. The sessions stay open until the process exits. */
  stop(): void {
    this.stopped = true;
    if (this.dropTimer) { clearInterval(this.dropTimer); this.dropTimer = null; }
  }
}

function readPcapStats(session: PcapBindingSession): { received: number; dropped: number; ifDropped: number } {
  try {
    const ps = session.stats();
    return { received: ps.ps_recv >>> 0, dropped: ps.ps_drop >>> 0, ifDropped: ps.ps_ifdrop >>> 0 };
  } catch {
    // pcap_stats fails only on a closed handle; report nothing rather than take the caller down.
    return { received: 0, dropped: 0, ifDropped: 0 };
  }
}

/** Linux device names: 1-15 bytes, no slash or white space, not "." or "..". */
function isDeviceName(name: string): boolean {
  return /^[^/\s]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** Each interface once, with every role it has, in the order of the configuration. */
export function interfaceRoles(client: readonly string[], server: readonly string[]): Map<string, InterfaceRole[]> {
  const roles = new Map<string, InterfaceRole[]>();
  for (const iface of client) if (!roles.has(iface)) roles.set(iface, ['client']);
  for (const iface of server) {
    const have = roles.get(iface);
    if (!have) roles.set(iface, ['server']);
    else if (!have.includes('server')) have.push('server');
  }
  return roles;
}

function optionNames(roles: readonly InterfaceRole[]): string {
  return roles.map((r) => (r === 'client' ? "list interface" : "list server_interface")).join(' and ');
}

export function missingInterfaceMessage(iface: string, roles: readonly InterfaceRole[]): string {
  return `capture: interface '${iface}' (${optionNames(roles)} of config backsoon) does not exist; ` +
    `name a device that 'ip link' lists, such as br-lan, in /etc/config/backsoon`;
}

/** One sentence per libpcap open failure, naming the interface and the fix. */
export function openErrorMessage(iface: string, roles: readonly InterfaceRole[], pcapMessage: string, filter: string): string {
  const where = `capture on ${iface} (${optionNames(roles)})`;
  if (/permission|not permitted|EPERM|EACCES/i.test(pcapMessage)) {
    return `${where}: no permission to capture (${pcapMessage}); run backsoon as root or give node CAP_NET_RAW and CAP_NET_ADMIN`;
  }
  if (/no such device/i.test(pcapMessage)) {
    return `${where}: the interface does not exist (${pcapMessage}); name a device that 'ip link' lists in /etc/config/backsoon`;
  }
  if (/not up/i.test(pcapMessage)) {
    return `${where}: the interface is down; bring it up (ip link set ${iface} up, or ifup its network) before starting backsoon`;
  }
  if (/filter|syntax/i.test(pcapMessage)) {
    return `${where}: libpcap refused the capture filter (${pcapMessage}); this is a backsoon bug, please report it with the filter: ${filter}`;
  }
  return `${where}: libpcap could not open it (${pcapMessage}); check the device with 'ip link show ${iface}'`;
}

/** Every IPv4 address of this host (in this network namespace). */
function hostAddresses(): number[] {
  const out: number[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4') continue;
      const addr = parseIPv4(a.address);
      if (addr !== null) out.push(addr);
    }
  }
  return out;
}
