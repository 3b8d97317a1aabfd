// Runs test/lab/capture-driver.ts (the daemon's live inputs) in the lab's router namespace with
// a UCI file written here, and reads its JSON lines.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atExit } from '../at-exit';
import type { Lab } from './lab';
import type { NeighbourStats } from '../../src/capture/neighbours';
import type { ProberStats } from '../../src/capture/probes';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const DRIVER = join(HERE, 'capture-driver.ts');
export const SERVER = '198.51.100.10';

export type DriverLine = Record<string, unknown> & { event: string };

/** What the tests vary of the daemon's configuration (section main and the one server). */
export interface DriverConfig {
  /** list interface: the clients' side (br0). */
  clientInterfaces: string[];
  /** list server_interface: captured too, and the devices of the neighbour monitor and of the arp/neigh probes. */
  serverInterfaces: string[];
  /** The server's list probe ('tcp:80', 'arp', 'neigh'); empty: the default for where it is. */
  probe: string[];
  /** option probe_interval in seconds; each probe's deadline is at most this long. */
  probeInterval: number;
  synTimeout: number;
  arpRetries: number;
}

export const defaultDriverConfig: DriverConfig = {
  clientInterfaces: ['br0'],
  serverInterfaces: ['s0'],
  probe: [],
  // Long enough that no round comes by itself in a test, unless a test asks for rounds.
  probeInterval: 3600,
  synTimeout: 30,
  arpRetries: 3,
};

/** The UCI file the driver's daemon reads; its state and socket go to `dir`. */
export function uciConfig(c: DriverConfig, dir: string): string {
  const list = (name: string, values: string[]) => values.map((v) => `\tlist ${name} '${v}'\n`).join('');
  return `config backsoon 'main'
${list('interface', c.clientInterfaces)}${list('server_interface', c.serverInterfaces)}\toption state_dir '${join(dir, 'state')}'
\toption control_socket '${join(dir, 'backsoon.sock')}'
\toption probe_interval '${c.probeInterval}'
\toption syn_timeout '${c.synTimeout}'
\toption arp_retries '${c.arpRetries}'
\toption log_level 'debug'

config server 'web'
\toption address '${SERVER}'
\toption name 'www.example.test'
${list('probe', c.probe)}`;
}

export class Driver {
  readonly lines: DriverLine[] = [];
  stderr = '';
  exitCode: number | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) if (p.trim() !== '') this.lines.push(JSON.parse(p) as DriverLine);
      this.changed();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk; });
    child.on('exit', (code) => { this.exitCode = code ?? -1; this.changed(); });
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** The first line (from index `from`) that matches; throws after `ms` (a bound against hanging). */
  waitFor(match: (l: DriverLine) => boolean, what: string, ms = 20_000, from = 0): Promise<DriverLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.lines.slice(from).find(match);
        if (found) { done(); resolve(found); return true; }
        if (this.exitCode !== null) { done(); reject(new Error(`driver exited (${this.exitCode}) before ${what}; lines:\n${this.dump()}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no ${what} within ${ms} ms; lines:\n${this.dump()}`)); }, ms);
      const done = (): void => { clearTimeout(timer); this.listeners.delete(listener); };
      const listener = (): void => { check(); };
      this.listeners.add(listener);
      check();
    });
  }

  /** Resolves with the exit code; throws after `ms` (a bound against hanging). */
  waitExit(ms = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.exitCode !== null) { resolve(this.exitCode); return; }
      const timer = setTimeout(() => reject(new Error(`driver still running after ${ms} ms; lines:\n${this.dump()}`)), ms);
      this.child.once('exit', (code) => { clearTimeout(timer); resolve(code ?? -1); });
    });
  }

  decisions(event: string, server = SERVER): DriverLine[] {
    return this.lines.filter((l) => l.event === event && l.server === server);
  }

  send(cmd: object): void {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The daemon's status report, as `backsoon status --json` shows it. */
  async status(): Promise<Status> {
    const from = this.lines.length;
    this.send({ cmd: 'stats' });
    return (await this.waitFor((l) => l.event === 'stats', 'stats', 5000, from)).status as Status;
  }

  /** Asks the status until `ok` holds; throws after `ms` (a bound against hanging). */
  async statusWhen(ok: (s: Status) => boolean, what: string, ms = 10_000): Promise<Status> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.status();
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; status: ${JSON.stringify({ neighbours: s.neighbours, probes: s.probes })}`);
      await sleep(100);
    }
  }

  dump(): string {
    return this.lines.map((l) => JSON.stringify(l).slice(0, 300)).join('\n') + (this.stderr ? `\nstderr: ${this.stderr.slice(-2000)}` : '');
  }

  /** Ends the driver and waits for it (the lab kills it too, should this be skipped). */
  async stop(): Promise<void> {
    if (this.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL'); // node-pcap's close() would wait for the next packet
    await exited;
  }
}

/** The parts of the status report these tests read. */
export interface Status {
  outages: { server: string; cause: string; clients: { client: string }[] }[];
  packets: { syn: number } & Record<string, unknown>;
  neighbours?: NeighbourStats;
  probes?: ProberStats;
}

/** One probe method's counters in the status: sent, succeeded (and so failed). */
export function probeCounts(s: Status, method: 'tcp' | 'arp' | 'neigh'): { sent: number; succeeded: number; failed: number } {
  const { sent, succeeded } = s.probes?.byMethod[method] ?? { sent: 0, succeeded: 0 };
  return { sent, succeeded, failed: sent - succeeded };
}

/** Starts the driver in the router namespace; `prefix` is argv put before node (e.g. setpriv). */
export async function startDriver(lab: Lab, config: Partial<DriverConfig>, prefix: string[] = []): Promise<Driver> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-cp-driver-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'backsoon');
  writeFileSync(file, uciConfig({ ...defaultDriverConfig, ...config }, dir));
  const child = lab.spawn('r', [...prefix, process.execPath, '--import', 'tsx', DRIVER, file], {
    cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.once('exit', () => { rmSync(dir, { recursive: true, force: true }); forget(); });
  return new Driver(child);
}

export async function startReadyDriver(lab: Lab, config: Partial<DriverConfig>): Promise<Driver> {
  const driver = await startDriver(lab, config);
  await driver.waitFor((l) => l.event === 'ready', 'ready');
  return driver;
}

/** A client's HTTP request to the server with curl; resolves with curl's status code text. */
export async function curl(lab: Lab, maxSeconds: number, role: 'c' | `c${number}` = 'c'): Promise<string> {
  const r = await lab.exec(role, ['curl', '-s', '-m', String(maxSeconds), '-o', '/dev/null', '-w', '%{http_code}', `http://${SERVER}/`], { timeoutMs: (maxSeconds + 5) * 1000 });
  return r.stdout.trim();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
