// A lab with backsoon itself running on the router: the namespaces of lab.ts, exim as the MTA
// inside the router's namespace, and the built daemon (dist/backsoon.js) with a UCI file made
// for the lab. Used by the daemon tests and by `make demo`.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatusReport } from '../../src/control/status';
import { atExit } from '../at-exit';
import { Exim } from './exim';
import { Lab } from './lab';

/** The bundle under test; BACKSOON_BUNDLE=FILE runs another build (say, of an older commit, for figures before and after). */
export const BUNDLE = process.env.BACKSOON_BUNDLE ?? resolve(__dirname, '../../dist/backsoon.js');

export interface DaemonLabOptions {
  /** Extra clients besides 192.0.2.10 (192.0.2.11, ...). */
  clients?: number;
  /** UCI text appended to the lab's base configuration. */
  extraConfig?: string;
  /** Options of the main section, as UCI lines. */
  mainOptions?: Record<string, string>;
  /** Server section options beyond address and name. */
  serverOptions?: string;
  fastNeigh?: boolean;
  /** Capture on the server side (s0) too; default true. Without it only ICMP/SYN tell. */
  serverSide?: boolean;
  /** SNMPv1/v2c communities of config snmp; default ['public'] (set explicitly, as an operator may). */
  communities?: string[];
  /** exim only queues what it accepts and never delivers it: see Exim's holdQueue. */
  mtaHoldQueue?: boolean;
  /** A dual-stack lab (client 2001:db8:1::10, server 2001:db8:2::10; see lib.sh). */
  ipv6?: boolean;
}

const LAB_SNMP_USER = 'lab';
const LAB_SNMP_KEYS = { auth: 'labauthpass', priv: 'labprivpass' };
/** snmptrap's options for the lab's SNMPv3 user. */
export const LAB_SNMP_V3 = ['-v', '3', '-u', LAB_SNMP_USER, '-l', 'authPriv', '-a', 'SHA', '-A', LAB_SNMP_KEYS.auth, '-x', 'AES', '-X', LAB_SNMP_KEYS.priv];

export class DaemonLab {
  readonly dir: string;
  readonly configFile: string;
  readonly socket: string;
  daemon: ChildProcess | null = null;
  log = '';
  private constructor(readonly lab: Lab, readonly exim: Exim) {
    this.dir = mkdtempSync(join(tmpdir(), 'bs-daemon-'));
    this.configFile = join(this.dir, 'backsoon.conf');
    this.socket = join(this.dir, 'backsoon.sock');
    this.forget = atExit(() => {
      this.daemon?.kill('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }
  private readonly forget: () => void;

  static async up(tag: string, opts: DaemonLabOptions = {}): Promise<DaemonLab> {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'make build' first`);
    const lab = await Lab.up(tag, { clients: opts.clients ?? 1, http: true, fastNeigh: opts.fastNeigh ?? true, ipv6: opts.ipv6 });
    let exim: Exim | null = null;
    try {
      exim = await Exim.start({ netns: lab.ns('r'), queueOnly: opts.mtaHoldQueue === true, holdQueue: opts.mtaHoldQueue === true });
      const dl = new DaemonLab(lab, exim);
      dl.writeConfig(opts);
      return dl;
    } catch (err) {
      await exim?.dispose();
      await lab.down();
      throw err;
    }
  }

  writeConfig(opts: DaemonLabOptions): void {
    const main: Record<string, string> = {
      state_dir: join(this.dir, 'state'),
      control_socket: this.socket,
      snapshot_interval: '5',
      probe_interval: '2',
      syn_timeout: '10',
      log_level: 'debug',
      ...opts.mainOptions,
    };
    writeFileSync(this.configFile, `# written by test/lab/daemon-lab.ts for the namespace lab
config backsoon 'main'
	list interface 'br0'
${opts.serverSide === false ? '' : "\tlist server_interface 's0'"}
${Object.entries(main).map(([k, v]) => `\toption ${k} '${v}'`).join('\n')}

config server 'web'
	option address '198.51.100.10'
	option name 'www.example.test'
${opts.serverOptions ?? ''}

config contact
	option client '192.0.2.10'
	option mail 'alice@example.test'

config contact
	option client '192.0.2.11'
	option mail 'bob@example.test'

config mail
	option host '127.0.0.1'
	option port '${this.exim.port}'
	option from 'backsoon@router.example.test'

config snmp
	option port '162'
${(opts.communities ?? ['public']).map((c) => `\tlist community '${c}'`).join('\n')}

config snmp_user
	option name '${LAB_SNMP_USER}'
	option level 'authPriv'
	option auth_protocol 'sha'
	option auth_key '${LAB_SNMP_KEYS.auth}'
	option priv_protocol 'aes'
	option priv_key '${LAB_SNMP_KEYS.priv}'
${opts.extraConfig ?? ''}
`);
  }

  /** Starts the daemon in the router's namespace; resolves at its "backsoon ready" line. */
  async start(timeoutMs = 15_000, env: Record<string, string> = {}): Promise<void> {
    const child = this.lab.spawn('r', [process.execPath, BUNDLE, 'run', '--config', this.configFile],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    this.daemon = child;
    const mark = this.log.length;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.log += d; });
    await this.waitForLog(/backsoon ready/, timeoutMs, mark).catch((err: Error) => {
      throw new Error(`${err.message}\nexit: ${child.exitCode}`);
    });
  }

  /** Waits for a line matching `re` in the daemon's log written after `from`. */
  async waitForLog(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.log.slice(from).match(re);
      if (m) return m[0];
      if (Date.now() > deadline) throw new Error(`no log line ${re} within ${timeoutMs} ms; the daemon said:\n${this.log.slice(from)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** `backsoon status --json` run in the router's namespace. */
  async status(): Promise<StatusReport> {
    const r = await this.lab.exec('r', [process.execPath, BUNDLE, 'status', '--json', '--socket', this.socket]);
    if (r.code !== 0) throw new Error(`backsoon status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Asks `backsoon status --json` until `ok` holds; throws after `timeoutMs` (a bound against hanging). */
  async statusWhen(ok: (s: StatusReport) => boolean, what: string, timeoutMs = 10_000): Promise<StatusReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; status: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until the snapshot on disk holds `text` (it is written at most every snapshot_interval). */
  async snapshotHolds(text: string, timeoutMs = 20_000): Promise<void> {
    const file = join(this.dir, 'state', 'state.json');
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(file) && readFileSync(file, 'utf8').includes(text))) {
      if (Date.now() > deadline) throw new Error(`${file} does not hold ${text} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until the outbox has nothing queued or in flight: every notice it took is sent or given up. */
  outboxIdle(timeoutMs = 20_000): Promise<StatusReport> {
    return this.statusWhen((s) => s.outbox.queued + s.outbox.sending === 0, 'idle outbox', timeoutMs);
  }

  async statusText(): Promise<string> {
    const r = await this.lab.exec('r', [process.execPath, BUNDLE, 'status', '--socket', this.socket]);
    return r.stdout + r.stderr;
  }

  /**
   * A client's HTTP request to a server that is gone: the router's ARP goes unanswered and it
   * sends ICMP host unreachable, which curl reports as exit 7, "No route to host".
   */
  async curlUnreachable(role: 'c' | `c${number}`, seconds = 5): Promise<void> {
    // -v: curl's own message says only "Couldn't connect"; its trace names the socket error.
    const r = await this.lab.exec(role, ['curl', '-sSv', '-o', '/dev/null', '--connect-timeout', String(seconds), '-m', String(seconds + 2), 'http://198.51.100.10/'], { timeoutMs: (seconds + 5) * 1000 });
    if (r.code !== 7 || !/No route to host/.test(r.stderr)) {
      throw new Error(`curl from ${role}: expected exit 7 "No route to host" (ICMP from the router), got exit ${r.code}: ${r.stderr.trim().split('\n').slice(-4).join(' | ')}`);
    }
  }

  /** A client's HTTP request to the server; returns curl's exit code and output. */
  curl(role: 'c' | `c${number}`, seconds = 8) {
    return this.lab.exec(role, ['curl', '-sS', '--connect-timeout', String(seconds), '-m', String(seconds + 2), 'http://198.51.100.10/'], { timeoutMs: (seconds + 5) * 1000 });
  }

  /**
   * Net-SNMP's snmptrap from `role` (default the server) to the router (P7); by default an
   * SNMPv3 authPriv coldStart of the lab's user, which backsoon believes without a probe.
   */
  trap(args: string[] = [...LAB_SNMP_V3, '198.51.100.1', '', '1.3.6.1.6.3.1.1.5.1'], role: 's' | 'c' | `c${number}` = 's') {
    return this.lab.exec(role, ['env', `SNMP_PERSISTENT_DIR=${this.dir}/snmp-${role}`, 'snmptrap', '-M', '', '-m', '', ...args]);
  }

  /**
   * The stand-in's form, filled in by client `role` with `mail` (from its address `from`, by
   * default its own): the page's HTTP status and text, or null when the page had no form.
   */
  async registerOnPage(role: `c${number}` | 'c', mail: string, from?: string): Promise<{ code: string; body: string } | null> {
    const jar = `${this.dir}/cookies-${role}-${from ?? 'own'}`;
    const curl = ['curl', '-sS', '-c', jar, '-b', jar, '-m', '10', ...(from !== undefined ? ['--interface', from] : [])];
    const page = await this.lab.exec(role, [...curl, '-H', 'Accept-Language: en', 'http://198.51.100.10/']);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.stdout)?.[1];
    if (csrf === undefined) return null;
    const post = await this.lab.exec(role, [...curl, '-w', '\n%{http_code}',
      '--data-urlencode', `csrf=${csrf}`, '--data-urlencode', `mail=${mail}`, '--data-urlencode', 'choice=yes',
      '--data-urlencode', 'return=/', '--data-urlencode', 'lang=en', 'http://198.51.100.10/.backsoon/register']);
    const at = post.stdout.lastIndexOf('\n');
    return { code: post.stdout.slice(at + 1), body: post.stdout.slice(0, at) };
  }

  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.daemon;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((res) => {
      child.once('exit', () => res());
      child.kill(signal);
      setTimeout(() => { child.kill('SIGKILL'); }, 5000).unref();
    });
    this.daemon = null;
  }

  async down(): Promise<void> {
    await this.stopDaemon('SIGKILL').catch(() => undefined);
    await this.exim.dispose().catch(() => undefined);
    await this.lab.down().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    this.forget();
  }
}

/** Runs `body` on a fresh DaemonLab and takes it down after; a failure carries the daemon's log. */
export async function withDaemonLab(tag: string, opts: DaemonLabOptions, body: (lab: DaemonLab) => Promise<void>): Promise<void> {
  const lab = await DaemonLab.up(tag, opts);
  try {
    await body(lab);
  } catch (err) {
    (err as Error).message += `\n--- daemon log ---\n${lab.log.slice(-6000)}`;
    throw err;
  } finally {
    await lab.down();
  }
}
