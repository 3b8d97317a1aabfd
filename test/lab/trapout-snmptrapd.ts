// Net-SNMP's snmptrapd for the lab, as a management station would run it: in the foreground,
// on 127.0.0.1 and a free high UDP port, with BACKSOON-MIB loaded (-m +BACKSOON-MIB), logging
// what it receives to stdout, which the tests read. Its configuration and persistent state
// live in a temp dir of its own; no snmptrapd and no temp dir outlive the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STANDARD_MIBS } from '../standard-mibs';

const ROOT = resolve(__dirname, '../..');
export const MIB_DIR = join(ROOT, 'board/openwrt/files/usr/share/snmp/mibs');

const live = new Set<Snmptrapd>();

export interface SnmptrapdOptions {
  /** Lines of snmptrapd.conf besides the listening address (createUser, authCommunity ...). */
  readonly conf: readonly string[];
  readonly port?: number;
}

export class Snmptrapd {
  readonly dir: string;
  private child: ChildProcess | null = null;
  private out = '';
  private err = '';

  private constructor(readonly port: number, private readonly options: SnmptrapdOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'bs-dl-trapd-'));
    live.add(this);
  }

  static async create(options: SnmptrapdOptions): Promise<Snmptrapd> {
    return new Snmptrapd(options.port ?? (await freeUdpPort()), options);
  }

  get output(): string {
    return this.out;
  }

  get errors(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts it (again); resolves once it has announced itself. */
  async start(): Promise<void> {
    if (this.child !== null) return;
    const conf = join(this.dir, 'snmptrapd.conf');
    // on IPv4 and IPv6 loopback, the same port
    writeFileSync(conf, [`snmpTrapdAddr udp:127.0.0.1:${this.port},udp6:[::1]:${this.port}`, ...this.options.conf, ''].join('\n'));
    const env = { ...process.env, SNMP_PERSISTENT_DIR: join(this.dir, 'persist'), SNMPCONFPATH: this.dir };
    const child = spawn('snmptrapd', ['-f', '-Lo', '-C', '-c', conf, '-n', '-m', '+BACKSOON-MIB', '-M', `+${MIB_DIR}:${STANDARD_MIBS}`],
      { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const before = this.out.length;
    child.stdout!.on('data', (c: Buffer) => { this.out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { this.err += c.toString(); });
    child.once('exit', () => { if (this.child === child) this.child = null; });
    await this.waitFor(() => /NET-SNMP version/.test(this.out.slice(before)), 'snmptrapd to start', 10_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000).then(() => child.kill('SIGKILL'))]);
    await exited;
    this.child = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Resolves once the output since `from` matches `re`; a bound against hanging, not a measurement. */
  async waitForOutput(re: RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    await this.waitFor(() => re.test(this.out.slice(from)), `snmptrapd output ${re}`, timeoutMs);
    return this.out.slice(from);
  }

  private async waitFor(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; stdout:\n${this.out}\nstderr:\n${this.err.slice(-2000)}`);
      await sleep(20);
    }
  }

  killSync(): void {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

process.on('exit', () => {
  for (const t of live) t.killSync();
});
