// Runs test/lab/capture-driver.ts in the lab's router namespace and reads its JSON lines.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverConfig } from './capture-driver';
import type { Lab } from './lab';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const DRIVER = join(HERE, 'capture-driver.ts');

export type DriverLine = Record<string, unknown> & { event: string };

export const defaultDriverConfig: DriverConfig = {
  clientInterfaces: ['br0'],
  serverInterfaces: ['s0'],
  neighbourDevices: null,
  probeInterfaces: ['s0'],
  servers: [{ address: '198.51.100.10', probe: [] }],
  networks: [],
  probeInterval: null,
  synTimeout: 30,
  arpRetries: 3,
};

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

  decisions(event: string, server = '198.51.100.10'): DriverLine[] {
    return this.lines.filter((l) => l.event === event && l.server === server);
  }

  send(cmd: object): void {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  async stats(): Promise<DriverLine> {
    const from = this.lines.length;
    this.send({ cmd: 'stats' });
    return this.waitFor((l) => l.event === 'stats', 'stats', 5000, from);
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

/** Starts the driver in the router namespace; `prefix` is argv put before node (e.g. setpriv). */
export async function startDriver(lab: Lab, config: Partial<DriverConfig>, prefix: string[] = []): Promise<Driver> {
  const child = lab.spawn('r', [...prefix, process.execPath, '--import', 'tsx', DRIVER, JSON.stringify({ ...defaultDriverConfig, ...config })], {
    cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Driver(child);
}

export async function startReadyDriver(lab: Lab, config: Partial<DriverConfig>): Promise<Driver> {
  const driver = await startDriver(lab, config);
  await driver.waitFor((l) => l.event === 'ready', 'ready');
  return driver;
}

/** A client's HTTP request to the server with curl; resolves with curl's status code text. */
export async function curl(lab: Lab, maxSeconds: number, role: 'c' | `c${number}` = 'c'): Promise<string> {
  const r = await lab.exec(role, ['curl', '-s', '-m', String(maxSeconds), '-o', '/dev/null', '-w', '%{http_code}', 'http://198.51.100.10/'], { timeoutMs: (maxSeconds + 5) * 1000 });
  return r.stdout.trim();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
