// The operator's policy on a thread of its own (worker-main.ts), so that no hook can hold the
// daemon's event loop: capture, status and the stand-in page go on while a hook runs. The
// sandbox stops a hook at its deadline between JavaScript operations; a single native built-in
// can run past it (new Array(1e9).join('')), so a call that overruns its deadline by more than
// a grace ends the whole thread, the caller gets the default at once, and a new thread is
// started from the same source. Calls are answered one at a time, in order.
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { HookCounters } from './hook-counters';
import { describeFailure, policyLimits, readSource } from './policy';
import type {
  FailureKind, HookFailure, HookName, PolicyClient, PolicyNotice, PolicyOptions, PolicyOutage, PolicyStats, RenderResult,
} from './types';
import { POLICY_WORKER_ARG, POLICY_WORKER_ROLE, type WorkerMessage, type WorkerStart } from './worker-protocol';

export const DEFAULT_GRACE_MS = 200;
/** Threads ended within a minute before the policy is given up until the next load. */
const MAX_RESTARTS_PER_MINUTE = 10;
/** Loading also compiles the engine in the new thread; beyond the file's own load deadline, this much more. */
const LOAD_SLACK_MS = 10_000;

export interface IsolatedPolicyOptions extends PolicyOptions {
  /** How long past the per-call deadline a call may run before its thread is ended (default 200 ms). */
  readonly graceMs?: number;
}

export interface CallOptions {
  /** Longest the call may wait for its turn (the thread answers one call at a time); then the default. */
  readonly waitMs?: number;
}

export interface IsolatedPolicyStats extends PolicyStats {
  /** Policy threads ended: a call overran its deadline, or the thread died. */
  readonly threadRestarts: number;
}

type Log = NonNullable<PolicyOptions['log']>;

/** What one hook call gave: its checked result (the default when it failed) and why it failed. */
export interface HookOutcome {
  readonly value: unknown;
  readonly failure: HookFailure | null;
}

interface PendingCall {
  readonly id: number;
  readonly hook: HookName;
  readonly args: readonly unknown[];
  readonly fallback: unknown;
  readonly resolve: (outcome: HookOutcome) => void;
  waitTimer: NodeJS.Timeout | null;
}

/** What applies when a hook is absent or fails. */
const FALLBACK: Readonly<Record<HookName, unknown>> = { contactFor: null, shouldNotify: true, render: {} };

const stderrLog: Log = (level, message) => { process.stderr.write(`${level}: ${message}\n`); };

export class IsolatedPolicy {
  private worker: Worker | null = null;
  private ready = false;
  private broken = false;
  private disposed = false;
  private nextId = 1;
  private readonly queue: PendingCall[] = [];
  private inFlight: PendingCall | null = null;
  private overrun: NodeJS.Timeout | null = null;
  private readonly ends: number[] = [];
  /** Sandbox rebuilds of ended threads, and of the current one. */
  private rebuildsBefore = 0;
  private rebuildsNow = 0;
  private readonly counters = new HookCounters();
  private threadRestarts = 0;

  private constructor(
    readonly file: string,
    private readonly start: WorkerStart,
    private readonly defined: ReadonlySet<HookName>,
    private readonly timeoutMs: number,
    private readonly graceMs: number,
    private readonly log: Log,
  ) {}

  /**
   * Reads `file` and loads it on a new thread. Rejects with the load error of policy.ts
   * ("file:line:column: ...") when the file cannot be used.
   */
  static async load(file: string, options: IsolatedPolicyOptions = {}): Promise<IsolatedPolicy> {
    const limits = policyLimits(options);
    const { log = stderrLog, graceMs = DEFAULT_GRACE_MS, ...rest } = options;
    const start: WorkerStart = { role: POLICY_WORKER_ROLE, file, source: await readSource(file), options: rest };
    const { worker, hooks } = await spawnLoaded(start, limits.loadTimeoutMs + LOAD_SLACK_MS, log);
    const policy = new IsolatedPolicy(file, start, new Set(hooks), limits.timeoutMs, graceMs, log);
    policy.attach(worker);
    return policy;
  }

  get hooks(): readonly HookName[] {
    return [...this.defined];
  }

  has(hook: HookName): boolean {
    return this.defined.has(hook);
  }

  /** A mail address for `client`, or null: no answer from the policy. */
  async contactFor(client: PolicyClient, opts: CallOptions = {}): Promise<string | null> {
    return (await this.call('contactFor', [client], opts)).value as string | null;
  }

  /** Whether `client` is told about the end of `outage`; true when the hook is absent, fails or is not reached. */
  async shouldNotify(outage: PolicyOutage, client: PolicyClient, opts: CallOptions = {}): Promise<boolean> {
    return (await this.call('shouldNotify', [outage, client], opts)).value as boolean;
  }

  /** The texts to use instead of `notice.defaults`; {} when the hook is absent, fails or is not reached. */
  async render(notice: PolicyNotice, opts: CallOptions = {}): Promise<RenderResult> {
    return (await this.call('render', [notice], opts)).value as RenderResult;
  }

  stats(): IsolatedPolicyStats {
    return { ...this.counters.stats(this.rebuildsBefore + this.rebuildsNow), threadRestarts: this.threadRestarts };
  }

  /** Ends the thread; calls not yet answered get their defaults. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.overrun !== null) clearTimeout(this.overrun);
    const left = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = null;
    for (const call of left) this.settle(call, { value: call.fallback, failure: null });
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
  }

  /**
   * Runs `hook` with `args` (its arguments as the hook methods above take them) and says how it
   * went; the hook methods use this, and `backsoon policy test` to print each failure.
   */
  call(hook: HookName, args: readonly unknown[], opts: CallOptions = {}): Promise<HookOutcome> {
    const fallback = FALLBACK[hook];
    if (!this.defined.has(hook)) return Promise.resolve({ value: fallback, failure: null });
    this.counters.called(hook);
    return new Promise((resolve) => {
      const call: PendingCall = { id: this.nextId++, hook, args, fallback, resolve, waitTimer: null };
      if (this.disposed || this.broken) {
        const why = this.disposed ? 'the policy was unloaded' : 'the policy thread was given up (see the earlier error)';
        this.fail(call, 'unavailable', `was not run: ${why}`);
        return;
      }
      if (opts.waitMs !== undefined) {
        call.waitTimer = setTimeout(() => {
          const at = this.queue.indexOf(call);
          if (at < 0) return; // running by now: the overrun timer bounds it
          this.queue.splice(at, 1);
          // The caller chose to wait no longer (a page, a spent budget) and says so itself.
          this.fail(call, 'unavailable', `was not run: it waited ${opts.waitMs} ms while the policy thread answered earlier calls`, 'debug');
        }, opts.waitMs);
      }
      this.queue.push(call);
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight !== null || !this.ready || this.worker === null) return;
    const call = this.queue.shift();
    if (call === undefined) return;
    if (call.waitTimer !== null) clearTimeout(call.waitTimer);
    this.inFlight = call;
    this.worker.postMessage({ type: 'call', id: call.id, hook: call.hook, args: call.args });
    this.overrun = setTimeout(() => this.overran(), this.timeoutMs + this.graceMs);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    this.ready = true;
    worker.on('message', (m: WorkerMessage) => { if (this.worker === worker) this.received(m); });
    worker.on('error', (err: Error) => { if (this.worker === worker) this.ended(`the policy thread failed: ${err.message}`); });
    worker.on('exit', (code: number) => { if (this.worker === worker) this.ended(`the policy thread exited with status ${code}`); });
    this.pump();
  }

  private received(m: WorkerMessage): void {
    if (m.type === 'log') { this.log(m.level, m.message); return; }
    if (m.type !== 'result' || this.inFlight === null || this.inFlight.id !== m.id) return;
    if (this.overrun !== null) { clearTimeout(this.overrun); this.overrun = null; }
    const call = this.inFlight;
    this.inFlight = null;
    this.rebuildsNow = m.rebuilds;
    // The thread's own policy logged the failure and put the default in `value`.
    if (m.failure !== null) this.counters.failed(m.failure.hook, m.failure.kind);
    this.settle(call, { value: m.value, failure: m.failure });
    this.pump();
  }

  private overran(): void {
    this.overrun = null;
    const call = this.inFlight;
    this.inFlight = null;
    if (call !== null) {
      this.fail(call, 'timeout', `ran longer than ${this.timeoutMs} ms inside a built-in the sandbox cannot interrupt; ` +
        "its thread was ended and is started again");
    }
    this.restart('a call overran its deadline');
  }

  private ended(why: string): void {
    const call = this.inFlight;
    this.inFlight = null;
    if (this.overrun !== null) { clearTimeout(this.overrun); this.overrun = null; }
    if (call !== null) this.fail(call, 'crashed', `crashed (${why})`);
    else this.log('warn', `policy: ${why}; it is started again`);
    this.restart(why);
  }

  /** Ends the current thread and starts another from the same source; gives up after too many in a minute. */
  private restart(why: string): void {
    const old = this.worker;
    this.worker = null;
    this.ready = false;
    this.rebuildsBefore += this.rebuildsNow;
    this.rebuildsNow = 0;
    void old?.terminate();
    if (this.disposed) return;
    this.threadRestarts++;
    const now = Date.now();
    this.ends.push(now);
    while (this.ends.length > 0 && this.ends[0] < now - 60_000) this.ends.shift();
    if (this.ends.length > MAX_RESTARTS_PER_MINUTE) {
      this.giveUp(`its thread was ended ${this.ends.length} times within a minute (last: ${why})`);
      return;
    }
    spawnLoaded(this.start, LOAD_SLACK_MS, this.log).then(({ worker }) => {
      if (this.disposed) { void worker.terminate(); return; }
      this.attach(worker);
    }, (err: Error) => this.giveUp(`restarting its thread failed: ${err.message}`));
  }

  private giveUp(why: string): void {
    this.broken = true;
    this.log('error', `policy ${this.file}: ${why}; every hook now gets its default until the policy is loaded again (SIGHUP)`);
    for (const call of this.queue.splice(0)) this.fail(call, 'unavailable', 'was not run: the policy thread was given up');
  }

  private fail(call: PendingCall, kind: FailureKind, message: string, level: 'warn' | 'debug' = 'warn'): void {
    this.counters.failed(call.hook, kind);
    const failure: HookFailure = { hook: call.hook, kind, message };
    this.log(level, `policy: ${describeFailure(failure)}`);
    this.settle(call, { value: call.fallback, failure });
  }

  private settle(call: PendingCall, outcome: HookOutcome): void {
    if (call.waitTimer !== null) clearTimeout(call.waitTimer);
    call.resolve(outcome);
  }
}

/** A policy thread; from the sources it compiles the TypeScript entry with tsx, from the bundle it is the bundle itself. */
function spawnThread(start: WorkerStart): Worker {
  // Required here, not at start: a daemon without a policy never loads node:worker_threads.
  const { Worker: Thread } = require('node:worker_threads') as typeof import('node:worker_threads');
  const options = { workerData: start, stdout: false, stderr: false, argv: [POLICY_WORKER_ARG] };
  if (__filename.endsWith('.ts')) {
    const entry = join(__dirname, 'worker-main.ts');
    return new Thread(`require('tsx/cjs'); require(${JSON.stringify(entry)}).runPolicyWorker();`, { ...options, eval: true });
  }
  // dist/backsoon-daemon.js: daemon-entry.ts runs the worker's part when started as a policy thread.
  return new Thread(__filename, options);
}

/** Starts a thread and resolves once its policy is loaded; rejects with the load error. */
function spawnLoaded(start: WorkerStart, timeoutMs: number, log: Log): Promise<{ worker: Worker; hooks: readonly HookName[] }> {
  return new Promise((resolve, reject) => {
    const worker = spawnThread(start);
    // Only our own listeners go: Worker listens to itself ('newListener') to start its port.
    const detach = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (err: Error): void => {
      detach();
      void worker.terminate();
      reject(err);
    };
    const onMessage = (m: WorkerMessage): void => {
      if (m.type === 'log') log(m.level, m.message);
      else if (m.type === 'loadFailed') fail(new Error(m.message));
      else if (m.type === 'loaded') { detach(); resolve({ worker, hooks: m.hooks }); }
    };
    const onError = (err: Error): void => fail(new Error(`${start.file}: the policy thread failed while loading: ${err.message}`));
    const onExit = (code: number): void => fail(new Error(`${start.file}: the policy thread exited with status ${code} while loading`));
    const timer = setTimeout(() => fail(new Error(`${start.file}: the policy did not load within ${timeoutMs} ms and was stopped`)), timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
