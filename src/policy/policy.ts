// The operator's policy: hooks in plain JavaScript that refine who is told and what they read.
// Every hook call is sandboxed, bounded and checked; whatever goes wrong, the hook's result is
// dropped, the failure is logged with its place in the file, and the daemon's default applies.
// Import this module lazily (await import('./policy/policy')) so a daemon without a policy
// never loads the engine.
// fs.promises is read at each call: node loads it at first use, not with node:fs.
import { promises as fsp } from 'node:fs';
import { checkContact, checkRender, checkShouldNotify, type Checked } from './check';
import { formatLocation } from './guest-error';
import { HookCounters } from './hook-counters';
import { newQuickJSInstance, WASM_INITIAL_PAGES, WASM_PAGE_BYTES, type QuickJSInstance } from './quickjs';
import { PolicyLoadError, Sandbox, type CallResult, type Rebuild, type SandboxLimits } from './sandbox';
import type {
  GuestNotice, GuestOutage, HookFailure, HookName, LocalTime, PolicyClient, PolicyNotice,
  PolicyOptions, PolicyOutage, PolicyStats, RenderResult,
} from './types';

export { PolicyLoadError } from './sandbox';

export const DEFAULT_TIMEOUT_MS = 50;
export const DEFAULT_LOAD_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_LIMIT = 8 * 1024 * 1024;
/** A policy is a page of code; a bigger file is almost certainly the wrong file. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** What applies when a hook is missing or fails, in words for the log. */
const DEFAULT_TEXT: Readonly<Record<HookName, string>> = {
  contactFor: 'the default applies (no address from the policy)',
  shouldNotify: 'the default applies (the client is notified)',
  render: "the default applies (backsoon's own texts)",
};

type Log = NonNullable<PolicyOptions['log']>;

const stderrLog: Log = (level, message) => { process.stderr.write(`${level}: ${message}\n`); };

export class Policy {
  private sandbox: Sandbox | null;
  private spare: QuickJSInstance | null;
  /** The background preparation of a spare instance, while one runs. */
  private refilling: Promise<void> | null = null;
  /** The sandbox runs on an instance whose memory grew in an out-of-memory: swap when a spare comes. */
  private onGrownMemory = false;
  /** A rebuild failed: the file no longer loads, so stop trying until the next load. */
  private broken = false;
  private disposed = false;
  private failure: HookFailure | null = null;
  private readonly defined: ReadonlySet<HookName>;
  private readonly counters = new HookCounters();
  private rebuilds = 0;

  private constructor(
    readonly file: string,
    private readonly source: string,
    private readonly limits: SandboxLimits,
    private readonly log: Log,
    sandbox: Sandbox,
    spare: QuickJSInstance,
  ) {
    this.sandbox = sandbox;
    this.spare = spare;
    this.defined = sandbox.hooks;
  }

  /**
   * Reads and runs `file`. Throws PolicyLoadError ("file:line:column: ...") when the file
   * cannot be used, and an Error when the engine cannot be found.
   */
  static async load(file: string, options: PolicyOptions = {}): Promise<Policy> {
    return Policy.fromSource(file, await readSource(file), options);
  }

  /** As load(), with the file's text already read (`file` names it in messages). */
  static async fromSource(file: string, source: string, options: PolicyOptions = {}): Promise<Policy> {
    const limits = policyLimits(options);
    // A spare instance is made now so that recovering from a crash needs no await.
    const [first, spare] = await Promise.all([newQuickJSInstance(), newQuickJSInstance()]);
    const sandbox = Sandbox.create(first, source, file, limits);
    return new Policy(file, source, limits, options.log ?? stderrLog, sandbox, spare);
  }

  /** The hooks the file defines. */
  get hooks(): readonly HookName[] {
    return [...this.defined];
  }

  has(hook: HookName): boolean {
    return this.defined.has(hook);
  }

  /** A mail address for `client`, or null: no answer from the policy (keep the known one, if any). */
  contactFor(client: PolicyClient): string | null {
    return this.run('contactFor', [client], checkContact) ?? null;
  }

  /** Whether `client` is told about the end of `outage`; true when the hook is absent or fails. */
  shouldNotify(outage: PolicyOutage, client: PolicyClient): boolean {
    return this.run('shouldNotify', [guestOutage(outage), client], checkShouldNotify) ?? true;
  }

  /** The texts to use instead of `notice.defaults`; {} when the hook is absent or fails. */
  render(notice: PolicyNotice): RenderResult {
    const guest: GuestNotice = { ...notice, outage: guestOutage(notice.outage) };
    return this.run('render', [guest], checkRender) ?? {};
  }

  /** Why the most recent hook call's result was not used; null when it was used (or not defined). */
  lastFailure(): HookFailure | null {
    return this.failure;
  }

  stats(): PolicyStats {
    return this.counters.stats(this.rebuilds);
  }

  /**
   * Resolves once no spare is being prepared: after it, a crash is recovered without a pause.
   * Hook calls never need to wait for this; a daemon may, e.g. before reporting "loaded".
   */
  async settled(): Promise<void> {
    while (this.refilling !== null) await this.refilling;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sandbox?.dispose();
    this.sandbox = null;
    this.spare = null;
  }

  private run<T>(hook: HookName, args: readonly unknown[], check: (value: unknown) => Checked<T>): T | undefined {
    if (this.disposed) throw new Error(`policy ${this.file}: ${hook}() called after dispose()`);
    this.failure = null;
    if (!this.defined.has(hook)) return undefined;
    this.counters.called(hook);
    const sandbox = this.sandbox;
    if (sandbox === null) {
      const why = this.broken ? 'the file no longer loads (see the earlier error)' : 'no usable sandbox until the rebuild is done';
      return this.fail({ hook, kind: 'unavailable', message: `was not run: ${why}` });
    }
    const result: CallResult = sandbox.call(hook, args);
    if (result.rebuild !== 'none') this.rebuild(result.rebuild);
    if (result.status === 'failed') {
      return this.fail({ hook, kind: result.kind, message: result.message, ...(result.location ? { location: result.location } : {}) });
    }
    const checked = check(result.value);
    if (!checked.ok) {
      return this.fail({ hook, kind: 'invalid', message: checked.problem });
    }
    return checked.value;
  }

  private fail(failure: HookFailure): undefined {
    this.failure = failure;
    this.counters.failed(failure.hook, failure.kind);
    this.log('warn', `policy: ${describeFailure(failure)}`);
    return undefined;
  }

  /** Replaces the sandbox after a call left it unfit; synchronous whenever an instance is at hand. */
  private rebuild(reason: Exclude<Rebuild, 'none'>): void {
    const old = this.sandbox;
    if (old === null) return;
    this.sandbox = null;
    old.dispose();
    if (reason !== 'dead' && (reason === 'jobs' || this.spare === null)) {
      // Reusing the instance: fine for jobs; after out of memory its grown memory stays until a spare comes.
      this.onGrownMemory ||= reason === 'memory';
      this.build(old.instance, reason, false);
    } else if (this.spare !== null) {
      const fresh = this.spare;
      this.spare = null;
      this.onGrownMemory = false;
      this.build(fresh, reason, true);
    }
    this.refill();
  }

  /**
   * Runs the file again on `instance`. A failure on a fresh instance means the file itself no
   * longer loads: give up until the next load. On a reused one, wait for a fresh instance.
   */
  private build(instance: QuickJSInstance, reason: string, fresh: boolean): void {
    this.rebuilds++;
    try {
      this.sandbox = Sandbox.create(instance, this.source, this.file, this.limits);
    } catch (err) {
      if (!fresh) return;
      this.broken = true;
      this.log('error', `policy: rebuilding the sandbox (after ${reason}) failed: ${(err as Error).message}; ` +
        'every hook now gets its default until the policy is loaded again');
    }
  }

  /** Prepares the next spare instance in the background. */
  private refill(): void {
    if (this.spare !== null || this.refilling !== null || this.disposed || this.broken) return;
    this.refilling = newQuickJSInstance().then(
      (instance) => {
        this.refilling = null;
        if (this.disposed || this.broken) return;
        if (this.sandbox === null) {
          this.build(instance, 'a crash', true);
          this.refill();
        } else if (this.onGrownMemory && grown(this.sandbox.instance)) {
          // Move off the instance whose memory grew: wasm memory never shrinks.
          this.onGrownMemory = false;
          const old = this.sandbox;
          this.sandbox = null;
          old.dispose();
          this.build(instance, 'out of memory', true);
          this.refill();
        } else {
          this.spare = instance;
        }
      },
      (err: unknown) => {
        this.refilling = null;
        this.log('error', `policy: cannot prepare a spare sandbox: ${(err as Error).message}`);
      },
    );
  }
}

/** "contactFor threw TypeError: ... at /etc/backsoon/policy.js:7:12 (in lookup); the default applies (...)" */
export function describeFailure(failure: HookFailure): string {
  const where = failure.location === undefined ? '' : ` at ${formatLocation(failure.location)}`;
  return `${failure.hook} ${failure.message}${where}; ${DEFAULT_TEXT[failure.hook]}`;
}

/** The limits of `options`, defaults filled in; throws on a value that is not a positive number. */
export function policyLimits(options: PolicyOptions): SandboxLimits {
  return {
    timeoutMs: positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    loadTimeoutMs: positive(options.loadTimeoutMs, DEFAULT_LOAD_TIMEOUT_MS, 'loadTimeoutMs'),
    memoryLimitBytes: positive(options.memoryLimitBytes, DEFAULT_MEMORY_LIMIT, 'memoryLimitBytes'),
  };
}

/** The policy file's text; PolicyLoadError when it cannot be read or is too large. */
export async function readSource(file: string): Promise<string> {
  let text: string;
  try {
    const info = await fsp.stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_FILE_BYTES) throw new Error(`${info.size} bytes, more than the ${MAX_FILE_BYTES} a policy may have`);
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const detail = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new PolicyLoadError(file, undefined, `cannot read the policy file (${detail}); check "option policy" in the configuration`);
  }
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The outage as the hooks see it: the daemon's fields plus durationSeconds and local. */
export function guestOutage(outage: PolicyOutage): GuestOutage {
  return { ...outage, durationSeconds: (outage.until ?? outage.now) - outage.since, local: localTime(outage.now) };
}

/** `t` (Unix seconds) on the router's clock: the process's time zone (TZ). */
export function localTime(t: number): LocalTime {
  const d = new Date(t * 1000);
  return { hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() };
}

function grown(instance: QuickJSInstance): boolean {
  return instance.memory.buffer.byteLength > WASM_INITIAL_PAGES * WASM_PAGE_BYTES;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`policy option ${name}: ${value} must be a positive number`);
  return value;
}
