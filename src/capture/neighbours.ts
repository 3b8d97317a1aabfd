// The kernel's neighbour table (ARP and IPv6 ND alike) as a source of signals: `ip monitor neigh` runs as a
// child process and every FAILED or REACHABLE of a watched address on a server-side device is
// handed to the engine (neigh-failed, neigh-reachable). The child is restarted with backoff
// when it dies; a line that does not parse is counted and skipped. Every REACHABLE, of any
// address on any device, also tells the engine that the address is a real host (`bound`): the
// kernel confirmed it, so its registrations are evicted last under a flood of forged sources.
//
// Deleting an entry (`ip neigh del`, `ip neigh flush`) makes the kernel announce it FAILED and
// at once Deleted (recorded: 1.7 ms apart). Such a FAILED says nothing about the host, so a
// FAILED is held for a few milliseconds and dropped when the Deleted of the same entry follows.
import { spawn, type ChildProcess } from 'node:child_process';
import type { IpAddress } from '../net/ip';
import { isBridgeEntry, parseNeighbourLine, type NeighbourLine } from './neigh-parse';
import { AddressWaiters } from './probe-waiters';

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** What the monitor tells; Engine has both methods. */
export interface NeighbourTarget {
  neighbour(t: number, address: IpAddress, state: 'FAILED' | 'REACHABLE'): void;
  /** The kernel confirmed `address` (REACHABLE), whatever device or address. */
  bound(t: number, address: IpAddress): void;
  watches(address: IpAddress): boolean;
}

export interface NeighbourMonitorOptions {
  readonly target: NeighbourTarget;
  /** Devices whose entries count (the server-side interfaces); empty: every device. */
  readonly devices: readonly string[];
  readonly log: (level: LogLevel, message: string) => void;
  /** Unix seconds. */
  readonly now?: () => number;
  /** The monitor's argv (default ip monitor neigh: both families in one child). */
  readonly command?: readonly string[];
  /** How long a FAILED waits for a Deleted that unmasks it as an administrative delete. */
  readonly failedHoldMs?: number;
  /** Restart delays: doubling from the first to the last; reset after a minute of good running. */
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
}

export interface NeighbourStats {
  lines: number;
  unparsed: number;
  failed: number;
  reachable: number;
  /** FAILED followed by Deleted of the same entry: an administrative delete, not a dead host. */
  deletedNotFailed: number;
  /** Lines of other states, devices or unwatched addresses. */
  ignored: number;
  restarts: number;
}

const DEFAULT_COMMAND = ['ip', 'monitor', 'neigh'] as const;
const STABLE_RUN_MS = 60_000;

export class NeighbourMonitor {
  private readonly options: NeighbourMonitorOptions;
  private readonly devices: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly reachableWaiters = new AddressWaiters();
  private readonly heldFailed = new Map<string, NodeJS.Timeout>();
  private readonly counters: NeighbourStats = { lines: 0, unparsed: 0, failed: 0, reachable: 0, deletedNotFailed: 0, ignored: 0, restarts: 0 };
  private child: ChildProcess | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay: number;
  private startedAt = 0;
  private running = false;
  private partial = '';
  private stderrTail = '';
  private readonly killChild = (): void => { this.child?.kill('SIGTERM'); };

  constructor(options: NeighbourMonitorOptions) {
    this.options = options;
    this.devices = new Set(options.devices);
    this.now = options.now ?? (() => Date.now() / 1000);
    this.restartDelay = options.restartMinMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    process.on('exit', this.killChild);
    this.spawnChild();
  }

  stop(): void {
    this.running = false;
    process.removeListener('exit', this.killChild);
    if (this.restartTimer) { clearTimeout(this.restartTimer); this.restartTimer = null; }
    for (const timer of this.heldFailed.values()) clearTimeout(timer);
    this.heldFailed.clear();
    this.killChild();
    this.child = null;
  }

  stats(): NeighbourStats {
    return { ...this.counters };
  }

  /** Resolves true when `addr` turns REACHABLE within `timeoutMs` (the neigh probe waits so). */
  waitReachable(addr: IpAddress, timeoutMs: number): Promise<boolean> {
    return this.reachableWaiters.wait(addr.text, timeoutMs);
  }

  /** Feeds one line as if the child had printed it now (also the child's own path). */
  line(text: string): void {
    this.counters.lines++;
    const parsed = parseNeighbourLine(text);
    if (parsed === null) {
      if (isBridgeEntry(text)) { this.counters.ignored++; return; }
      this.counters.unparsed++;
      if (this.counters.unparsed <= 3) this.options.log('warn', `neighbour monitor: cannot read line '${text.slice(0, 200)}'; skipped (reported for the first 3 only)`);
      return;
    }
    this.event(parsed, this.now());
  }

  private event(n: NeighbourLine, t: number): void {
    const key = `${n.addr.text}%${n.dev}`;
    const held = this.heldFailed.get(key);
    if (n.kind === 'deleted') {
      if (held) { clearTimeout(held); this.heldFailed.delete(key); this.counters.deletedNotFailed++; }
      else this.counters.ignored++;
      return;
    }
    const address = n.addr;
    if (n.kind === 'update' && n.states.includes('REACHABLE')) this.options.target.bound(t, address);
    const relevant = n.kind === 'update' && (this.devices.size === 0 || this.devices.has(n.dev)) && this.options.target.watches(address);
    if (relevant && n.states.includes('REACHABLE')) {
      if (held) { clearTimeout(held); this.heldFailed.delete(key); }
      this.counters.reachable++;
      this.options.target.neighbour(t, address, 'REACHABLE');
      this.reachableWaiters.seen(n.addr.text);
    } else if (relevant && n.states.includes('FAILED')) {
      if (held) clearTimeout(held);
      const timer = setTimeout(() => {
        this.heldFailed.delete(key);
        this.counters.failed++;
        this.options.target.neighbour(t, address, 'FAILED');
      }, this.options.failedHoldMs ?? 25);
      this.heldFailed.set(key, timer);
    } else {
      this.counters.ignored++;
    }
  }

  private spawnChild(): void {
    const [cmd, ...args] = this.options.command ?? DEFAULT_COMMAND;
    this.startedAt = Date.now();
    this.partial = '';
    this.stderrTail = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.data(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderrTail = (this.stderrTail + chunk).slice(-300); });
    child.on('error', (err) => {
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `; install iproute2 (ip-full on OpenWrt: BusyBox ip has no monitor)` : '';
      this.options.log('error', `neighbour monitor: cannot run '${[cmd, ...args].join(' ')}': ${err.message}${hint}`);
    });
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (!this.running) return;
      if (Date.now() - this.startedAt >= STABLE_RUN_MS) this.restartDelay = this.options.restartMinMs ?? 1000;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const said = this.stderrTail.trim() ? ` (${this.stderrTail.trim().replace(/\s+/g, ' ')})` : '';
      this.options.log('warn', `neighbour monitor: '${[cmd, ...args].join(' ')}' ended with ${why}${said}; restarting in ${this.restartDelay / 1000} s`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.running) return;
        this.counters.restarts++;
        this.spawnChild();
      }, this.restartDelay);
      this.restartDelay = Math.min(this.restartDelay * 2, this.options.restartMaxMs ?? 30_000);
    });
  }

  private data(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    // A line that never ends is not a neighbour line; do not let it grow without bound.
    if (this.partial.length > 4096) { this.counters.lines++; this.counters.unparsed++; this.partial = ''; }
    for (const l of lines) if (l.trim() !== '') this.line(l);
  }
}
