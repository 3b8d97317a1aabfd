// The QEMU router for uvu tests: boots the image (image/build) with image/run-vm, which also builds
// the client and server namespaces around it, and drives the VM through its control channel (a
// shell on a virtio-serial port). Everything is torn down by stop(), and also when the test process
// exits or gets SIGINT/SIGTERM/SIGHUP; a SIGKILLed test leaves the lab to the next run-vm, which
// removes it first.
import { atExit } from '../at-exit';
import { claimRun, runNamespace } from '../lab/lab';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RUN_VM = join(REPO, 'image', 'run-vm');
export const IMAGE_BUILD = join(REPO, 'image', 'build');
/** The boards `make image` builds (image/build --arch). */
export type Arch = 'x86_64' | 'aarch64';
export function imageDir(arch: Arch): string {
  return join(REPO, 'build', 'image', arch);
}

/** The lab's addresses (image/run-vm, /init of the image). */
export const ADDR = {
  client: '192.0.2.10',
  routerClientSide: '192.0.2.1',
  routerServerSide: '198.51.100.1',
  server: '198.51.100.10',
} as const;

export type Side = 'client' | 'server';

export interface VmOptions {
  /** The board (default x86_64). */
  arch?: Arch;
  /** Namespace prefix: PREFIX-lab, PREFIX-client, PREFIX-server (default bs-RUN-qm, see lab.ts). */
  prefix?: string;
  /** auto (KVM only when a probe boot proves it works), kvm or tcg. */
  accel?: 'auto' | 'kvm' | 'tcg';
  /** How long to wait for procd to have backsoon ready (default 150 s for x86_64, 600 s for the emulated SoC). */
  bootTimeoutMs?: number;
}

export interface CommandResult {
  /** Exit status of the command in the VM. */
  status: number;
  /** Its stdout and stderr, interleaved as written. */
  output: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Boot measurements, for the report (not for assertions). */
export interface BootTimes {
  /** From spawning image/run-vm (lab set-up and KVM probe included) to the daemon's ready line. */
  wallMs: number;
  /** The guest's uptime when the daemon said it was ready (to the console's latency, ~0.1 s). */
  guestUptimeS: number;
}

// Logged by the daemon once it watches its interfaces (src/daemon/daemon.ts); procd hands it to
// logd, and the image copies the log to the console (logread -f, /etc/init.d/log). A whole
// line: under TCG the serial console delivers a line in pieces, and without its end the match
// once took "backsoon ready: watching www.exam" for the ready line.
export const DAEMON_READY = /backsoon ready: [^\r\n]*\r?\n/;
const live = new Set<RouterVm>();

function cleanupAllSync(): void {
  for (const vm of live) vm.killSync();
  live.clear();
}

function quoteForShell(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Newest modification time of `path`, or of any file under it (0 when it does not exist). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), st.mtimeMs);
}

/**
 * Builds the image when it is missing or older than what goes into it: the bundle (dist/, made
 * by `make build`), image/build and the files it reads, and the router files of board/openwrt.
 * image/build itself says what to do when dist/ is missing.
 */
export function ensureImage(arch: Arch = 'x86_64'): void {
  const cpio = join(imageDir(arch), 'initramfs.cpio.gz');
  const inputs = [
    join(REPO, 'dist'),
    // What goes into the image; not the feed (image/package) or image/release.
    ...['build', 'initramfs', 'modules.list', 'openwrt-compat', 'openwrt-src.lock', 'openwrt-userland', 'rootfs']
      .map((f) => join(REPO, 'image', f)),
    join(REPO, 'board', 'openwrt', 'files'),
    join(REPO, 'board', 'openwrt', 'luci', 'root'),
  ];
  if (existsSync(cpio) && Math.max(...inputs.map(newestMtime)) <= statSync(cpio).mtimeMs) return;
  try {
    execFileSync('bash', [IMAGE_BUILD, '--arch', arch], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`image/build failed: ${stderr || (err as Error).message}`);
  }
}

/**
 * One command at a time over the VM's virtio-serial port "control"; each command's output ends
 * with a marker line carrying its exit status.
 */
class ControlChannel {
  private buffer = '';
  private seq = 0;
  private readonly token = randomBytes(4).toString('hex');
  private busy: Promise<unknown> = Promise.resolve();
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiter?.();
    });
    socket.on('error', () => undefined); // a closed channel shows up as a command timeout, with context
  }

  static async open(path: string, deadline: number): Promise<ControlChannel> {
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        return new ControlChannel(socket);
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`control channel ${path}: cannot connect: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  run(command: string, timeoutMs: number): Promise<CommandResult> {
    const next = this.busy.then(() => this.runNow(command, timeoutMs));
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async runNow(command: string, timeoutMs: number): Promise<CommandResult> {
    const id = ++this.seq;
    const marker = new RegExp(`@@end-${this.token}-${id} (\\d+)\\n`);
    // $? is expanded before printf runs, so it is the command's status. The leading newline ends
    // an unterminated last line; printf assembles the marker, so the line sent never matches it.
    this.socket.write(`sh -c ${quoteForShell(command)} </dev/null 2>&1; printf '\\n@@end-%s-%s %s\\n' ${this.token} ${id} $?\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = marker.exec(this.buffer);
      if (m) {
        const output = this.buffer.slice(0, m.index).replace(/\n$/, '');
        this.buffer = this.buffer.slice(m.index + m[0].length);
        return { status: Number(m[1]), output };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`VM command timed out after ${timeoutMs} ms: ${command}\noutput so far: ${this.buffer.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export class RouterVm {
  private serial = '';
  private control: ControlChannel | null = null;
  private readonly lab: ChildProcess;
  private readonly exited: Promise<number | null>;
  private hasExited = false;
  private readonly helpers = new Set<ChildProcess>();
  readonly prefix: string;
  readonly arch: Arch;
  bootTimes: BootTimes = { wallMs: 0, guestUptimeS: 0 };
  /** Milliseconds from spawning image/run-vm to the daemon's first "backsoon ready" line, once seen. */
  daemonReadyMs: number | null = null;
  private readonly spawnedAt = Date.now();

  private constructor(opts: VmOptions) {
    this.prefix = opts.prefix ?? runNamespace('qm');
    this.arch = opts.arch ?? 'x86_64';
    this.lab = spawn('bash', [RUN_VM, '--arch', this.arch, '--prefix', this.prefix, '--accel', opts.accel ?? 'auto'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.serial += chunk.toString('utf8');
      if (this.daemonReadyMs === null && DAEMON_READY.test(this.serial)) this.daemonReadyMs = Date.now() - this.spawnedAt;
    };
    this.lab.stdout?.on('data', collect);
    this.lab.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.lab.once('exit', (code) => {
        this.hasExited = true;
        resolve(code);
      });
    });
  }

  /**
   * Boots the VM and its lab, and waits for procd to have the daemon ready (its ready line) and
   * for the control channel. Needs root.
   */
  static async boot(opts: VmOptions = {}): Promise<RouterVm> {
    atExit(cleanupAllSync);
    claimRun();
    const started = Date.now();
    const vm = new RouterVm(opts);
    live.add(vm);
    try {
      const deadline = started + (opts.bootTimeoutMs ?? (vm.arch === 'x86_64' ? 150_000 : 600_000));
      await vm.waitForConsole(DAEMON_READY, deadline - Date.now());
      const readyAt = Date.now();
      vm.control = await ControlChannel.open(`/run/${vm.prefix}-vm/control.sock`, deadline);
      const uptime = await vm.run('cut -d" " -f1 /proc/uptime', Math.max(deadline - Date.now(), 30_000));
      vm.bootTimes = { wallMs: readyAt - started, guestUptimeS: Number(uptime.output.trim()) - (Date.now() - readyAt) / 1000 };
      return vm;
    } catch (err) {
      await vm.stop();
      throw err;
    }
  }

  /** What the VM's serial console (and run-vm) printed so far. */
  get console(): string {
    return this.serial;
  }

  /** How much the console has printed so far: a starting point for waitForConsole. */
  get consoleLength(): number {
    return this.serial.length;
  }

  /**
   * Waits until the console, from offset `from` on, matches `pattern`; fails early when the VM
   * is gone. Pass `consoleLength` taken before an action to wait for what the action causes.
   */
  async waitForConsole(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.serial.slice(from));
      if (m) return m;
      if (this.hasExited) throw new Error(`the VM exited before printing ${pattern}; console:\n${this.serial.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} on the VM console after ${timeoutMs} ms; console:\n${this.serial.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs `command` as shell in the VM (stdin /dev/null) and returns its status and output. */
  run(command: string, timeoutMs = 60_000): Promise<CommandResult> {
    if (!this.control) return Promise.reject(new Error('the VM has no control channel (not booted)'));
    return this.control.run(command, timeoutMs);
  }

  /** The daemon's pid as procd reports it (`ubus call service list`), or null when none runs. */
  async daemonPid(): Promise<number | null> {
    const r = await this.run(`ubus call service list '{"name":"backsoon"}' | jsonfilter -e '@.backsoon.instances[*].pid'`, 30_000);
    return /^\d+$/.test(r.output.trim()) ? Number(r.output.trim()) : null;
  }

  /** Waits until procd runs a daemon other than `old` (respawn after a kill) and returns its pid. */
  async waitForNewDaemon(old: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = await this.daemonPid();
      if (pid !== null && pid !== old) return pid;
      if (Date.now() > deadline) throw new Error(`procd did not start a new daemon after ${old} within ${timeoutMs} ms (now: ${pid})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Runs `argv` in the client or server namespace; SIGKILLed after `timeoutMs`. */
  exec(side: Side, argv: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', `${this.prefix}-${side}`, ...argv], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /**
   * Starts a long-running process in a namespace and resolves once its stdout matches `ready`.
   * It is killed by stop() (and run-vm kills whatever is left in the lab's namespaces).
   */
  async startIn(side: Side, argv: string[], ready: RegExp, timeoutMs = 20_000): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', `${this.prefix}-${side}`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.helpers.add(child);
    child.once('exit', () => this.helpers.delete(child));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${side}: no ${ready} after ${timeoutMs} ms; output: ${out}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (ready.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${argv.join(' ')} in ${side} exited (${code}) before ${ready}; output: ${out}`));
      });
    });
    return child;
  }

  /** Stops the VM and removes its lab (run-vm's own clean-up), then makes sure of it. */
  async stop(): Promise<void> {
    this.control?.close();
    this.control = null;
    for (const child of this.helpers) child.kill('SIGKILL');
    if (!this.hasExited) {
      this.lab.kill('SIGTERM');
      const timer = setTimeout(() => this.lab.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.killSync();
    live.delete(this);
  }

  /** Synchronous last resort (exit handlers): kill run-vm and remove the lab by prefix. */
  killSync(): void {
    for (const child of this.helpers) child.kill('SIGKILL');
    if (!this.hasExited) this.lab.kill('SIGKILL');
    try {
      execFileSync('bash', [RUN_VM, '--cleanup', '--prefix', this.prefix], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      // Nowhere to report at exit; the next run-vm removes leftovers of this prefix first.
    }
  }
}
