// The router's own addresses, from the kernel: every address of the host (network namespace)
// the daemon runs in, with the MAC of its interface. Read at start, again at once when the
// kernel announces an address change (`ip monitor address` as a child, restarted with backoff
// when it dies), and every `refreshSeconds` whatever happens, so a missing or dead monitor
// delays a change but never loses it. Only ICMP errors from these addresses (and
// `option router_address`) may mark a server down.
import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import type { RouterAddress } from '../engine/router-addresses';
import { parseIp } from '../net/ip';
import { parseMac } from '../net/mac';

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The host's addresses with their interface's MAC (0: none, as on ppp or tun). Loopback
 * addresses are left out: the router never sends an error on the LAN from one, and their
 * interface has no MAC that would give a forgery away.
 */
export function readHostAddresses(): RouterAddress[] {
  const out: RouterAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      const address = parseIp(a.address);
      if (address === null) continue;
      out.push({ address, mac: parseMac(a.mac) ?? 0 });
    }
  }
  return out;
}

export interface HostAddressWatchOptions {
  /** Called at start and whenever the set changes. */
  readonly changed: (addresses: readonly RouterAddress[]) => void;
  readonly log: (level: LogLevel, message: string) => void;
  /** Reads the addresses (default readHostAddresses). */
  readonly read?: () => RouterAddress[];
  /** The monitor's argv (default ip monitor address); null: no monitor, the timer only. */
  readonly command?: readonly string[] | null;
  readonly refreshSeconds?: number;
  /** How long to gather a burst of monitor lines before reading once. */
  readonly settleMs?: number;
  /** Restart delays of the monitor: doubling from the first to the last. */
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
}

export interface HostAddressStats {
  known: number;
  changes: number;
  monitorRestarts: number;
}

const DEFAULT_COMMAND = ['ip', 'monitor', 'address'] as const;

export class HostAddressWatch {
  private readonly read: () => RouterAddress[];
  private readonly counters: HostAddressStats = { known: 0, changes: 0, monitorRestarts: 0 };
  private key = '';
  private last: readonly RouterAddress[] = [];
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private settle: NodeJS.Timeout | null = null;
  private restart: NodeJS.Timeout | null = null;
  private restartDelay: number;
  private running = false;
  private readonly killChild = (): void => { this.child?.kill('SIGTERM'); };

  constructor(private readonly options: HostAddressWatchOptions) {
    this.read = options.read ?? readHostAddresses;
    this.restartDelay = options.restartMinMs ?? 1000;
  }

  /** Reads the addresses now (so the caller has them before the capture opens), then watches. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), (this.options.refreshSeconds ?? 30) * 1000);
    this.timer.unref();
    if (this.options.command !== null) {
      process.on('exit', this.killChild);
      this.spawnMonitor();
    }
  }

  stop(): void {
    this.running = false;
    for (const t of [this.timer, this.settle, this.restart]) if (t) clearTimeout(t);
    this.timer = this.settle = this.restart = null;
    process.removeListener('exit', this.killChild);
    this.killChild();
    this.child = null;
  }

  /** The addresses of the last read. */
  current(): readonly RouterAddress[] {
    return this.last;
  }

  stats(): HostAddressStats {
    return { ...this.counters };
  }

  /** Reads the addresses and reports them when they differ from the last read. */
  refresh(): void {
    let addresses: RouterAddress[];
    try {
      addresses = this.read();
    } catch (err) {
      this.options.log('warn', `router addresses: cannot read this host's addresses (${(err as Error).message}); keeping the last ones`);
      return;
    }
    const key = addresses.map((a) => `${a.address.text}/${a.mac}`).sort().join(' ');
    if (key === this.key) return;
    this.key = key;
    this.last = addresses;
    this.counters.known = addresses.length;
    this.counters.changes++;
    this.options.log('info', `router addresses (ICMP errors count only from these): ${addresses.map((a) => a.address.text).join(', ') || 'none'}`);
    this.options.changed(addresses);
  }

  private spawnMonitor(): void {
    const [cmd, ...args] = this.options.command ?? DEFAULT_COMMAND;
    const argv = [cmd, ...args].join(' ');
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    const startedAt = Date.now();
    child.stdout?.on('data', () => {
      // Each change prints a line or two, and a link going down many: read once they settle.
      if (this.settle === null) {
        this.settle = setTimeout(() => { this.settle = null; if (this.running) this.refresh(); }, this.options.settleMs ?? 200);
      }
    });
    child.on('error', (err) => {
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? '; install iproute2 (ip-full on OpenWrt)' : '';
      this.options.log('warn', `router addresses: cannot run '${argv}' (${err.message})${hint}; changes are seen within ${this.options.refreshSeconds ?? 30} s instead`);
    });
    child.on('close', () => {
      if (this.child !== child) return;
      this.child = null;
      if (!this.running) return;
      if (Date.now() - startedAt >= 60_000) this.restartDelay = this.options.restartMinMs ?? 1000;
      this.options.log('warn', `router addresses: '${argv}' ended; restarting in ${this.restartDelay / 1000} s`);
      this.restart = setTimeout(() => {
        this.restart = null;
        if (!this.running) return;
        this.counters.monitorRestarts++;
        this.refresh(); // whatever changed while nobody listened
        this.spawnMonitor();
      }, this.restartDelay);
      this.restartDelay = Math.min(this.restartDelay * 2, this.options.restartMaxMs ?? 30_000);
    });
  }
}
