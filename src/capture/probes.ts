// Active probes of down servers, so a server that comes back is noticed even when no client
// tries it (P7's alternative to a trap). Every probe_interval, each server of the outage table
// is probed by its methods in order until one succeeds:
//   tcp:PORT  connect; success is recoverySignal(t, server, 'probe')
//   neigh     `ip neigh replace ADDR dev IF use`: the kernel resolves the entry once (ARP, or a
//             neighbour solicitation for an IPv6 server); REACHABLE
//             comes through the neighbour monitor (engine: neigh-reachable)
//   arp       (IPv4 only) an ARP request injected on the server-side interface; the reply comes through the
//             capture (engine: arp-reply)
// Only servers in the outage table are probed, so nothing is ever sent to an address that the
// traffic (or an operator) did not name first.
import { execFile } from 'node:child_process';
import type { ProbeMethod, ServerConfig } from '../config/types';
import { parseIp, type IpAddress } from '../net/ip';
import { HOST_LEVEL_DOWN, type DownCause } from '../engine/decisions';
import type { OutageView } from '../engine/engine';
import { parseNeighbourLine } from './neigh-parse';
import { arpRequestFrame } from './probe-arp';
import { interfaceAddresses } from './probe-interfaces';
import { planProbes, type InterfaceAddress, type PlannedProbe } from './probe-plan';
import { tcpProbe } from './probe-tcp';

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** What the prober reads and tells; Engine has all three. */
export interface ProbeTarget {
  outageList(): OutageView[];
  isDown(server: IpAddress): boolean;
  recoverySignal(t: number, server: IpAddress, cause: 'trap' | 'probe'): void;
}

export interface ProberOptions {
  readonly engine: ProbeTarget;
  /** Seconds between rounds (option probe_interval). */
  readonly interval: number;
  readonly servers: readonly ServerConfig[];
  readonly serverInterfaces: readonly string[];
  /** For 'arp': the capture that sends the request, and the watch that sees the reply. */
  readonly capture?: { inject(iface: string, frame: Uint8Array): void } | null;
  readonly arpReplies?: { waitReply(addr: number, timeoutMs: number): Promise<boolean> } | null;
  /** For 'neigh': the neighbour monitor. Without it the prober asks `ip neigh show` itself. */
  readonly neighbours?: { waitReachable(addr: IpAddress, timeoutMs: number): Promise<boolean> } | null;
  readonly log: (level: LogLevel, message: string) => void;
  /** Unix seconds. */
  readonly now?: () => number;
  /** Probes in flight at once, over all servers (default 8). */
  readonly concurrency?: number;
  /** Per-method deadlines in ms (defaults tcp 2000, arp 1000, neigh 3000; never above the interval). */
  readonly timeoutsMs?: Partial<Record<ProbeMethod, number>>;
  /** Addresses of the server-side interfaces (default: read from the system at each round). */
  readonly interfaces?: () => InterfaceAddress[];
}

export interface ProbeMethodStats { sent: number; succeeded: number; failed: number }
export interface ProberStats {
  rounds: number;
  byMethod: Record<ProbeMethod, ProbeMethodStats>;
  /** Configured probes that could not run (no suitable interface, no capture). */
  unusable: number;
}

const DEFAULT_TIMEOUTS: Record<ProbeMethod, number> = { tcp: 2000, arp: 1000, neigh: 3000 };

export class Prober {
  private readonly options: ProberOptions;
  /** Keyed by the address's canonical text, as is everything per server here. */
  private readonly configByServer = new Map<string, ServerConfig>();
  private readonly now: () => number;
  private readonly inFlight = new Set<string>();
  private readonly queue: (() => void)[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly warned = new Set<string>();
  private readonly counters: ProberStats = {
    rounds: 0,
    byMethod: { tcp: zero(), arp: zero(), neigh: zero() },
    unusable: 0,
  };

  constructor(options: ProberOptions) {
    this.options = options;
    for (const s of options.servers) this.configByServer.set(s.address.text, s);
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.probeAll(); }, this.options.interval * 1000);
  }

  stop(): void {
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
  }

  stats(): ProberStats {
    const byMethod = {} as Record<ProbeMethod, ProbeMethodStats>;
    for (const m of Object.keys(this.counters.byMethod) as ProbeMethod[]) byMethod[m] = { ...this.counters.byMethod[m] };
    return { rounds: this.counters.rounds, byMethod, unusable: this.counters.unusable };
  }

  /** The probes `server` would get now; empty when it is not down. */
  plan(server: IpAddress): PlannedProbe[] {
    const outage = this.outage(server);
    return outage ? this.planFor(server, outage.cause) : [];
  }

  /**
   * One round: every down server (not those holding) not already being probed. Resolves when
   * the round's probes are done; a success has told the engine.
   */
  async probeAll(): Promise<void> {
    this.counters.rounds++;
    const jobs: Promise<boolean>[] = [];
    for (const o of this.options.engine.outageList()) {
      if (o.state !== 'down') continue;
      const server = parseIp(o.server);
      if (server === null || this.inFlight.has(server.text)) continue;
      jobs.push(this.limited(server, () => this.probeServer(server, o.cause, true)));
    }
    await Promise.all(jobs);
  }

  /**
   * For the `confirm` option: probes `server` once by its methods and resolves whether one
   * succeeded. The engine is not told by a tcp success (the caller decides what the
   * confirmation means); arp and neigh answers reach it through the capture and the monitor
   * anyway. A server not in the outage table is not probed (resolves false), nor one without
   * any usable method (see plan()).
   */
  probeOnce(server: IpAddress): Promise<boolean> {
    const outage = this.outage(server);
    if (!outage) return Promise.resolve(false);
    return this.limited(server, () => this.probeServer(server, outage.cause, false));
  }

  private outage(server: IpAddress): OutageView | undefined {
    if (!this.options.engine.isDown(server)) return undefined;
    return this.options.engine.outageList().find((o) => o.server === server.text);
  }

  private planFor(server: IpAddress, cause: DownCause): PlannedProbe[] {
    const config = this.configByServer.get(server.text);
    const ifaces = (this.options.interfaces ?? (() => interfaceAddresses(this.options.serverInterfaces)))();
    const plan = planProbes(server, cause, config?.probe, ifaces);
    for (const why of plan.unusable) this.warnOnce(server, why);
    const probes: PlannedProbe[] = [];
    for (const p of plan.probes) {
      if (p.method === 'arp' && !(this.options.capture && this.options.arpReplies)) {
        this.warnOnce(server, 'probe arp needs the live capture on the server-side interface');
      } else {
        probes.push(p);
      }
    }
    return probes;
  }

  private warnOnce(server: IpAddress, why: string): void {
    this.counters.unusable++;
    const key = `${server.text} ${why}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.log('warn', `probe of ${server.text}: ${why}; that probe is skipped`);
  }

  private async probeServer(server: IpAddress, cause: DownCause, signal: boolean): Promise<boolean> {
    for (const probe of this.planFor(server, cause)) {
      const stats = this.counters.byMethod[probe.method];
      stats.sent++;
      let ok = false;
      try {
        ok = await this.runProbe(server, cause, probe);
      } catch (err) {
        this.options.log('warn', `probe ${describe(probe)} of ${server.text} failed to run: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!ok) { stats.failed++; continue; }
      stats.succeeded++;
      this.options.log('debug', `probe ${describe(probe)} of ${server.text} succeeded`);
      // arp and neigh successes reached the engine first (arp-reply, neigh-reachable), so
      // this is a no-op for them unless they took the fallback path.
      if (signal && this.options.engine.isDown(server)) this.options.engine.recoverySignal(this.now(), server, 'probe');
      return true;
    }
    return false;
  }

  private timeout(method: ProbeMethod): number {
    const wanted = this.options.timeoutsMs?.[method] ?? DEFAULT_TIMEOUTS[method];
    return Math.max(100, Math.min(wanted, this.options.interval * 1000));
  }

  private async runProbe(server: IpAddress, cause: DownCause, probe: PlannedProbe): Promise<boolean> {
    const ms = this.timeout(probe.method);
    if (probe.method === 'tcp') {
      const result = await tcpProbe(server, probe.port, ms);
      // A refusal comes from a live host: enough when the host was gone, not when its service was.
      return result === 'connected' || (result === 'refused' && HOST_LEVEL_DOWN.has(cause));
    }
    const iface = probe.iface;
    if (iface === null) return false; // planProbes gives every arp and neigh probe an interface
    if (probe.method === 'arp') {
      const { capture, arpReplies } = this.options;
      // planFor leaves such probes out, and planProbes arp for an IPv6 server
      if (!capture || !arpReplies || server.family !== 4) return false;
      const replied = arpReplies.waitReply(server.v4, ms);
      capture.inject(iface.name, arpRequestFrame(iface.mac, iface.address.v4, server.v4));
      return replied;
    }
    const neighbours = this.options.neighbours;
    const reachable = neighbours ? neighbours.waitReachable(server, ms) : null;
    await runIp(['neigh', 'replace', server.text, 'dev', iface.name, 'use']);
    return reachable ?? pollReachable(server, iface.name, ms);
  }

  /** Runs `job` when fewer than `concurrency` probes are in flight; one job per server at a time. */
  private limited(server: IpAddress, job: () => Promise<boolean>): Promise<boolean> {
    this.inFlight.add(server.text);
    return new Promise<boolean>((resolve) => {
      const run = (): void => {
        this.running++;
        job().then(resolve, () => resolve(false)).finally(() => {
          this.running--;
          this.inFlight.delete(server.text);
          this.queue.shift()?.();
        });
      };
      if (this.running < (this.options.concurrency ?? 8)) run();
      else this.queue.push(run);
    });
  }
}

function zero(): ProbeMethodStats {
  return { sent: 0, succeeded: 0, failed: 0 };
}

function describe(p: PlannedProbe): string {
  return p.method === 'tcp' ? `tcp:${p.port}` : `${p.method} on ${p.iface?.name}`;
}

function runIp(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 2000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Without the neighbour monitor: asks the kernel's table until the entry is REACHABLE. */
async function pollReachable(server: IpAddress, dev: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const out = await runIp([server.family === 4 ? '-4' : '-6', 'neigh', 'show', 'to', server.text, 'dev', dev]);
    for (const line of out.split('\n')) {
      // `show ... dev X` leaves the device out of its lines; put it back for the parser.
      const parsed = parseNeighbourLine(line.replace(/^(\S+)/, `$1 dev ${dev}`));
      if (parsed && parsed.addr.text === server.text && parsed.states.includes('REACHABLE')) return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
