// OpenWrt's real ubusd and ubus CLI, built for this machine by `make openwrt-host`, run in a
// temp dir of the test's own: ubusd on its own socket, `ubus call/list/send/listen` against it.
// Missing binaries fail the test with the command that builds them: never a silent skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { atExit } from './at-exit';

export const OPENWRT_HOST = resolve(__dirname, '../build/openwrt/host');

/** A program of OpenWrt's host build (such as 'sbin/ubusd'); throws when it was not built. */
export function openwrtTool(relative: string): string {
  const path = join(OPENWRT_HOST, relative);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run 'make openwrt-host' (it builds OpenWrt's ubusd, ubus, uci... from ` +
      '$OPENWRT_SRC, default ../shared/openwrt-src). The tests named "real ubusd" run against it.');
  }
  return path;
}

/** Polls `cond` every 10 ms; throws naming `what` when it is not true within `ms`. */
export async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Ubusd {
  readonly dir: string;
  readonly socket: string;
  private proc: ChildProcess | null = null;
  private readonly listeners = new Set<ChildProcess>();
  private readonly forget: () => void;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'bs-ubusd-'));
    this.socket = join(this.dir, 'ubus.sock');
    this.forget = atExit(() => this.kill());
  }

  static async start(): Promise<Ubusd> {
    const u = new Ubusd();
    await u.launch();
    return u;
  }

  /** Kills ubusd as a crash would, and starts a new one on the same socket (procd's respawn). */
  async restart(downMs = 0): Promise<void> {
    await this.crash();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  /** ubusd dies: clients see their connection close. */
  async crash(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc === null || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
    rmSync(this.socket, { force: true });
  }

  /** Runs the ubus CLI against this ubusd: `cli('call', 'backsoon', 'status')`. */
  cli(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(openwrtTool('bin/ubus'), ['-s', this.socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** `ubus call` whose answer must be status 0: the printed data as JSON. */
  async call(object: string, method: string, args?: object): Promise<unknown> {
    const r = await this.cli('call', object, method, ...(args === undefined ? [] : [JSON.stringify(args)]));
    if (r.code !== 0) throw new Error(`ubus call ${object} ${method} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout.trim() === '' ? null : JSON.parse(r.stdout);
  }

  /**
   * `ubus listen PATTERN...` running in the background: each printed line as JSON, in order.
   * Resolves once ubusd has registered the listener, so no event sent after it is missed.
   */
  async listen(...patterns: string[]): Promise<{ events: { id: string; data: unknown }[]; stop(): void }> {
    // The listener is an object without a path: it shows in no `ubus list`, so it is known to
    // be registered once a probe event of its own pattern comes back.
    const probe = `bs.test.probe.${process.pid}`;
    const child = spawn(openwrtTool('bin/ubus'), ['-s', this.socket, 'listen', ...patterns, probe], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.listeners.add(child);
    const events: { id: string; data: unknown }[] = [];
    let heard = false;
    let buffered = '';
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const [id] = Object.keys(parsed);
        if (id === probe) heard = true;
        else events.push({ id, data: parsed[id] });
      }
    });
    const until = Date.now() + 5000;
    while (!heard) {
      if (Date.now() > until) throw new Error(`ubus listen ${patterns.join(' ')} did not start within 5 s`);
      await this.cli('send', probe, '{}');
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      events,
      stop: () => { child.kill(); this.listeners.delete(child); },
    };
  }

  /** Waits until `ubus list` shows `path`. */
  async waitForObject(path: string, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.cli('list', path);
      if (r.code === 0 && r.stdout.trim() === path) return;
      if (Date.now() > until) throw new Error(`object ${path} not on ubus within ${timeoutMs} ms (${r.stderr.trim()})`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async stop(): Promise<void> {
    for (const l of this.listeners) l.kill();
    this.listeners.clear();
    await this.crash();
    this.forget();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private kill(): void {
    for (const l of this.listeners) l.kill('SIGKILL');
    this.proc?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const proc = spawn(openwrtTool('sbin/ubusd'), ['-s', this.socket], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    const until = Date.now() + 5000;
    while (!existsSync(this.socket)) {
      if (proc.exitCode !== null) throw new Error(`ubusd exited ${proc.exitCode}: ${stderr.trim()}`);
      if (Date.now() > until) throw new Error(`ubusd made no socket at ${this.socket} within 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
