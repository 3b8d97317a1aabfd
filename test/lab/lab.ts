// The lab for uvu lab tests: a thin wrapper over test/lab/lib.sh, which alone knows the topology
// (names, addresses, MACs). Every lab and every process started through it is torn down by
// down(), and also when the test process exits or is stopped by SIGINT/SIGTERM/SIGHUP. A
// SIGKILLed test cannot clean up; the next Lab.up of the same tag in the same run removes its
// leftovers, and any lab_up (or claimRun) those of runs whose owner is gone.
import { atExit } from '../at-exit';
import { execFile, execFileSync, spawn as spawnProcess, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_LIB = join(dirname(fileURLToPath(import.meta.url)), 'lib.sh');

/** c = client, r = router, s = server, cN = client N (N >= 1). */
export type Role = 'c' | 'r' | 's' | `c${number}`;

export interface LabInterface {
  role: Role;
  ns: string;
  ifname: string;
  ip: string;
  prefix: number;
  mac: string;
}

export interface LabOptions {
  /** Extra clients bs-RUN-TAG-c1 .. cN (192.0.2.11 ..), besides the client c (192.0.2.10). */
  clients?: number;
  /** Shorten the router's neighbour timers (lab_fast_neigh); an object overrides single keys. */
  fastNeigh?: boolean | Record<string, number>;
  /** Start the "real server" HTTP server in the server namespace; true means port 80. */
  http?: boolean | number;
  /** Dual stack (lib.sh LAB_IPV6=1): IPv6 addresses without DAD on every namespace, no route out. */
  ipv6?: boolean;
}

/** Tags of this process's dual-stack labs: lib.sh runs for them with LAB_IPV6=1. */
const dualStack = new Set<string>();

export interface ExecResult {
  /** Exit code, or null when the process was ended by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** The process is SIGKILLed after this long (default 20 s): a hung command must not hang a test. */
  timeoutMs?: number;
  input?: string;
}

const live = new Map<string, Lab>();

/**
 * This process's run (BS_RUN, see lib.sh): the one test/run gave it, or its own, owned by this
 * process. Part of every namespace name, so that two runs never meet.
 */
export function labRun(): string {
  if (!process.env.BS_RUN) {
    process.env.BS_RUN = process.pid.toString(36);
    process.env.BS_RUN_OWNER = String(process.pid);
  }
  return process.env.BS_RUN;
}

/** The name of a namespace of this run that is not a lib.sh lab (e.g. bs-RUN-ml-mta). */
export function runNamespace(name: string): string {
  return `bs-${labRun()}-${name}`;
}

/**
 * Records this run's owner and removes what dead runs left behind (lib.sh lab_run_claim). Lab.up
 * does it; call it before making namespaces of the run by other means. Needs root.
 */
export function claimRun(): void {
  labRun();
  execFileSync('bash', ['-c', 'source "$0" && lab_run_claim', LAB_LIB], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

function runLib(fn: string, args: string[], timeoutMs = 30_000): Promise<string> {
  labRun();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LAB_IPV6: dualStack.has(args[0]) ? '1' : '0' };
    execFile('bash', ['-c', 'source "$0" && "$@"', LAB_LIB, fn, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', env }, (err, stdout, stderr) => {
      if (err) {
        const why = stderr.trim() || err.message;
        reject(new Error(`${LAB_LIB}: ${fn} ${args.join(' ')} failed: ${why}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

function downSync(tag: string): void {
  try {
    execFileSync('bash', ['-c', 'source "$0" && lab_down "$1"', LAB_LIB, tag], { stdio: 'ignore', timeout: 15_000 });
  } catch {
    // Exit-time cleanup has nowhere to report to; lab_up removes any leftovers of this tag.
  }
}

function cleanupAllSync(): void {
  for (const lab of live.values()) {
    lab.killChildrenSync();
    downSync(lab.tag);
  }
  live.clear();
}

function parseShow(text: string): LabInterface[] {
  const out: LabInterface[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5) continue;
    const [role, ns, ifname, cidr, mac] = f;
    const [ip, prefix] = cidr.split('/');
    out.push({ role: role as Role, ns, ifname, ip, prefix: Number(prefix), mac });
  }
  return out;
}

export class Lab {
  /** What lab_fast_neigh printed ("NS net.ipv4.neigh.DEV.KEY OLD -> NEW" lines), if it ran. */
  fastNeighReport: string[] = [];
  private ifaces: LabInterface[] = [];
  private readonly children = new Set<ChildProcess>();
  private isDown = false;

  private constructor(readonly tag: string) {}

  /** Builds the lab bs-RUN-TAG-{c,r,s} (removing leftovers of the same run and tag first). Needs root. */
  static async up(tag: string, opts: LabOptions = {}): Promise<Lab> {
    atExit(cleanupAllSync);
    const lab = new Lab(tag);
    live.set(tag, lab);
    if (opts.ipv6) dualStack.add(tag); else dualStack.delete(tag);
    try {
      await runLib('lab_up', [tag]);
      for (let n = 1; n <= (opts.clients ?? 0); n++) await runLib('lab_add_client', [tag, String(n)]);
      await lab.refresh();
      if (opts.fastNeigh) await lab.fastNeigh(opts.fastNeigh === true ? {} : opts.fastNeigh);
      if (opts.http) await lab.serverHttp(opts.http === true ? 80 : opts.http);
      return lab;
    } catch (err) {
      await lab.down().catch(() => undefined); // the build error below says more than a teardown error
      throw err;
    }
  }

  /** Every interface of the lab's hosts: role, namespace, name, address, MAC. */
  get interfaces(): readonly LabInterface[] {
    return this.ifaces;
  }

  /** The namespace of `role`. */
  ns(role: Role): string {
    return this.iface(role).ns;
  }

  /** The address of `role`; for the router give `ifname` 's0' for its server-side address. */
  ip(role: Role, ifname?: string): string {
    return this.iface(role, ifname).ip;
  }

  mac(role: Role, ifname?: string): string {
    return this.iface(role, ifname).mac;
  }

  private iface(role: Role, ifname?: string): LabInterface {
    const found = this.ifaces.find((i) => i.role === role && (ifname === undefined || i.ifname === ifname));
    if (!found) {
      const have = this.ifaces.map((i) => `${i.role}/${i.ifname}`).join(', ');
      throw new Error(`lab ${this.tag}: no interface ${role}${ifname ? '/' + ifname : ''} (have ${have}); add clients with Lab.up(tag, { clients: N }) or lab.addClient(N)`);
    }
    return found;
  }

  private async refresh(): Promise<void> {
    this.ifaces = parseShow(await runLib('lab_show', [this.tag]));
  }

  /** Runs argv inside `role`'s namespace and collects its output; never throws for a non-zero exit. */
  exec(role: Role, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(role, argv, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`lab ${this.tag}: cannot run ${argv.join(' ')} in ${role}: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
      if (child.stdin) {
        // A command may exit without reading its input; that is its answer, not our error.
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.input);
      }
    });
  }

  /** Starts argv inside `role`'s namespace; the process is killed by down() if still running. */
  spawn(role: Role, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    if (this.isDown) throw new Error(`lab ${this.tag}: spawn ${argv.join(' ')} after down(); bring a new lab up`);
    const child = spawnProcess('ip', ['netns', 'exec', this.ns(role), ...argv], opts);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async addClient(n: number): Promise<void> {
    await runLib('lab_add_client', [this.tag, String(n)]);
    await this.refresh();
  }

  /** Shortens the router's neighbour timers; returns and keeps what lab_fast_neigh printed. */
  async fastNeigh(overrides: Record<string, number> = {}): Promise<string[]> {
    const pairs = Object.entries(overrides).map(([k, v]) => `${k}=${v}`);
    const report = (await runLib('lab_fast_neigh', [this.tag, ...pairs])).split('\n').filter((l) => l !== '');
    this.fastNeighReport.push(...report);
    return report;
  }

  /** Starts the "real server" page on `port` in the server namespace; resolves once it listens. */
  async serverHttp(port = 80): Promise<void> {
    await runLib('lab_server_http', [this.tag, String(port)]);
  }

  /** The server goes away: 'addr' removes its address (ARP unanswered), 'link' downs its link. */
  async serverGone(mode: 'addr' | 'link' = 'addr'): Promise<void> {
    await runLib('lab_server_gone', [this.tag, mode]);
  }

  async serverBack(): Promise<void> {
    await runLib('lab_server_back', [this.tag]);
  }

  /** The server silently drops incoming TCP to `port` (SYNs unanswered, ARP still works). */
  async serverSilent(port: number): Promise<void> {
    await runLib('lab_server_silent', [this.tag, String(port)]);
  }

  async serverAnswering(port: number): Promise<void> {
    await runLib('lab_server_answering', [this.tag, String(port)]);
  }

  /** Kills the processes started through this lab, then everything in its namespaces, and deletes them. */
  async down(): Promise<void> {
    this.isDown = true;
    this.killChildrenSync();
    try {
      await runLib('lab_down', [this.tag]);
    } finally {
      live.delete(this.tag);
    }
  }

  /** @internal for the exit hooks: SIGKILL whatever this lab spawned. */
  killChildrenSync(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
  }
}
