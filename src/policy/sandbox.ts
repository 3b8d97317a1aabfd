// One QuickJS runtime and context holding the operator's file, and the one way in and out of
// it: a JSON string goes in, the hook runs under the deadline, a JSON string comes out.
// Everything that can go wrong is turned into a CallResult; nothing here logs or decides
// what to do next (policy.ts does).
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import { formatLocation, readGuestError, type GuestError } from './guest-error';
import { WASM_MAX_PAGES, WASM_PAGE_BYTES, type QuickJSInstance } from './quickjs';
import { HOOK_NAMES, type FailureKind, type GuestLocation, type HookName } from './types';

export interface SandboxLimits {
  readonly timeoutMs: number;
  readonly loadTimeoutMs: number;
  readonly memoryLimitBytes: number;
}

export const MAX_STACK_BYTES = 256 * 1024;
/** Longest JSON a hook may hand back (a render result is at most ~70k characters). */
export const MAX_RESULT_CHARS = 256 * 1024;
/** Frames of our own glue code carry this file name, so locate() skips them. */
const GLUE_FILE = '<backsoon>';

/**
 * What a sandbox needs before the next call:
 * none; jobs (a new runtime, any instance will do); memory (better a fresh instance, whose
 * memory has not grown); dead (the instance itself is unusable).
 */
export type Rebuild = 'none' | 'jobs' | 'memory' | 'dead';

export type CallResult =
  | { readonly status: 'ok'; readonly value: unknown; readonly rebuild: Rebuild }
  | {
    readonly status: 'failed';
    readonly kind: FailureKind;
    /** Reads after the hook's name: "threw TypeError: ...", "ran longer than 50 ms ...". */
    readonly message: string;
    readonly location?: GuestLocation;
    readonly rebuild: Rebuild;
  };

/** The file cannot be used: its message starts with "file:line:column:" when the place is known. */
export class PolicyLoadError extends Error {
  constructor(readonly file: string, readonly location: GuestLocation | undefined, detail: string) {
    super(location !== undefined ? `${formatLocation(location)}: ${detail}` : `${file}: ${detail}`);
    this.name = 'PolicyLoadError';
  }
}

// Captures the built-ins before the operator's code runs, so a file that replaces JSON or
// Reflect cannot change how its results are read. Runs inside the guest, under the deadline.
const GLUE = `(function (parse, stringify, apply, PromiseCtor) {
  return function (hook, argsJson) {
    var value = apply(hook, undefined, parse(argsJson));
    if (value instanceof PromiseCtor) return '{"promise":true}';
    var type = typeof value;
    if (type === 'undefined') return '{}';
    if (type === 'function' || type === 'symbol' || type === 'bigint') return stringify({ unsupported: type });
    var json = stringify({ value: value });
    if (json.length > ${MAX_RESULT_CHARS}) return '{"tooLong":' + json.length + '}';
    return json;
  };
})(JSON.parse, JSON.stringify, Reflect.apply, Promise)`;

// A separate script sees the file's top-level const/let bindings too, not only globalThis.
const FIND_HOOKS = `[${HOOK_NAMES.map((h) => `typeof ${h} === 'undefined' ? undefined : ${h}`).join(', ')}]`;

export class Sandbox {
  private deadline = Infinity;
  private alive = true;

  private constructor(
    readonly instance: QuickJSInstance,
    private readonly file: string,
    private readonly limits: SandboxLimits,
    private readonly runtime: QuickJSRuntime,
    private readonly vm: QuickJSContext,
    private readonly glue: QuickJSHandle,
    private readonly hookHandles: ReadonlyMap<HookName, QuickJSHandle>,
  ) {}

  /**
   * Runs the operator's file in a new runtime on `instance`. Throws PolicyLoadError when the
   * file fails (syntax, top-level error or time-out, a hook that is not a function, no hook).
   */
  static create(instance: QuickJSInstance, source: string, file: string, limits: SandboxLimits): Sandbox {
    const runtime = instance.module.newRuntime();
    runtime.setMemoryLimit(limits.memoryLimitBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    const state = { deadline: performance.now() + limits.loadTimeoutMs };
    runtime.setInterruptHandler(() => performance.now() > state.deadline);
    const vm = runtime.newContext();
    const owned: QuickJSHandle[] = [];
    try {
      const glue = vm.unwrapResult(vm.evalCode(GLUE, GLUE_FILE, { type: 'global' }));
      owned.push(glue);
      // 'global' explicitly: left unset, QuickJS would guess module code from an export and hide the hooks.
      const loaded = vm.evalCode(source, file, { type: 'global' });
      if (loaded.error) {
        const failure = classify(vm.dump(loaded.error), file, limits, instance);
        loaded.error.dispose();
        const what = failure.kind === 'timeout'
          ? `its top-level code ran longer than ${limits.loadTimeoutMs} ms and was stopped`
          : failure.message.replace(/^threw /, '');
        throw new PolicyLoadError(file, failure.location, what + hint(failure.message, source));
      }
      loaded.value.dispose();
      const found = vm.unwrapResult(vm.evalCode(FIND_HOOKS, GLUE_FILE, { type: 'global' }));
      const hooks = new Map<HookName, QuickJSHandle>();
      try {
        HOOK_NAMES.forEach((name, i) => {
          const handle = vm.getProp(found, i);
          const type = vm.typeof(handle);
          if (type === 'undefined') { handle.dispose(); return; }
          owned.push(handle);
          if (type !== 'function') {
            throw new PolicyLoadError(file, undefined, `${name} is a ${type}; define it as a function: function ${name}(...) { ... }`);
          }
          hooks.set(name, handle);
        });
      } finally {
        found.dispose();
      }
      if (hooks.size === 0) {
        throw new PolicyLoadError(file, undefined,
          `defines none of ${HOOK_NAMES.join(', ')}; define at least one as a top-level function (plain script, no export)`);
      }
      const sandbox = new Sandbox(instance, file, limits, runtime, vm, glue, hooks);
      runtime.setInterruptHandler(() => performance.now() > sandbox.deadline);
      return sandbox;
    } catch (err) {
      const crashed = !(err instanceof PolicyLoadError);
      // A crashed instance is only dropped: freeing inside it could abort once more.
      if (!crashed) {
        try {
          for (const handle of owned) handle.dispose();
          vm.dispose();
          runtime.dispose();
        } catch {
          // The instance is dropped with the failed load either way.
        }
      }
      throw crashed ? new PolicyLoadError(file, undefined, `the engine failed while loading the file: ${oneLine(err)}`) : err;
    }
  }

  get hooks(): ReadonlySet<HookName> {
    return new Set(this.hookHandles.keys());
  }

  /** Runs one hook with `args` (plain JSON data) under the deadline. */
  call(hook: HookName, args: readonly unknown[]): CallResult {
    const fn = this.hookHandles.get(hook);
    if (fn === undefined) throw new Error(`policy ${this.file}: ${hook} is not defined (check hooks first)`);
    if (!this.alive) return { status: 'failed', kind: 'unavailable', message: 'was not run: the sandbox is unusable', rebuild: 'dead' };
    const vm = this.vm;
    let result: CallResult;
    try {
      this.deadline = performance.now() + this.limits.timeoutMs;
      const argsJson = vm.newString(JSON.stringify(args));
      const outcome = vm.callFunction(this.glue, vm.undefined, fn, argsJson);
      argsJson.dispose();
      if (outcome.error) {
        const failure = classify(vm.dump(outcome.error), this.file, this.limits, this.instance);
        outcome.error.dispose();
        result = failure;
      } else {
        const text = vm.getString(outcome.value);
        outcome.value.dispose();
        result = readEnvelope(text);
      }
    } catch (err) {
      // The engine itself failed (e.g. the host's call stack overflowed inside wasm while the
      // guest nested JSON deeply): its memory may be inconsistent, never use it again.
      this.alive = false;
      return { status: 'failed', kind: 'crashed', message: `crashed the engine (${oneLine(err)})`, rebuild: 'dead' };
    } finally {
      this.deadline = Infinity;
    }
    // Promise jobs are never run (hooks are synchronous); left queued they would pile up.
    if (result.rebuild === 'none' && this.runtime.hasPendingJob()) return { ...result, rebuild: 'jobs' };
    return result;
  }

  /** Frees the runtime; an instance that crashed is only dropped (freeing could abort in it). */
  dispose(): void {
    if (!this.alive) return;
    this.alive = false;
    try {
      for (const handle of this.hookHandles.values()) handle.dispose();
      this.glue.dispose();
      this.vm.dispose();
      this.runtime.dispose();
    } catch {
      // Nothing to do: the instance is dropped with this sandbox either way.
    }
  }
}

function classify(thrown: unknown, file: string, limits: SandboxLimits, instance: QuickJSInstance): CallResult & { status: 'failed' } {
  const error: GuestError = readGuestError(thrown, file);
  const at = error.location !== undefined ? { location: error.location } : {};
  if (error.name === 'InternalError' && error.message === 'interrupted') {
    return { status: 'failed', kind: 'timeout', message: `ran longer than ${limits.timeoutMs} ms and was stopped`, ...at, rebuild: 'none' };
  }
  if (error.name === 'InternalError' && error.message === 'stack overflow') {
    return { status: 'failed', kind: 'stack', message: `recursed too deep (stack limit ${MAX_STACK_BYTES / 1024} KiB)`, ...at, rebuild: 'none' };
  }
  // When the wasm memory itself is full, QuickJS cannot even build the error: it throws null.
  const memoryFull = instance.memory.buffer.byteLength >= WASM_MAX_PAGES * WASM_PAGE_BYTES * 0.9;
  if ((error.name === 'InternalError' && error.message === 'out of memory') || ((thrown === null || thrown === undefined) && memoryFull)) {
    return {
      status: 'failed', kind: 'memory', ...at, rebuild: 'memory',
      message: `ran out of memory (heap limit ${mib(limits.memoryLimitBytes)}, sandbox ${mib(WASM_MAX_PAGES * WASM_PAGE_BYTES)})`,
    };
  }
  return { status: 'failed', kind: 'threw', message: `threw ${error.name}: ${error.message}`, ...at, rebuild: 'none' };
}

function readEnvelope(text: string): CallResult {
  let envelope: { value?: unknown; promise?: true; tooLong?: number; unsupported?: string };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    return { status: 'failed', kind: 'invalid', message: 'returned something that is not JSON', rebuild: 'none' };
  }
  if (envelope.promise === true) {
    return { status: 'failed', kind: 'invalid', message: 'returned a Promise; hooks must be synchronous (not async)', rebuild: 'none' };
  }
  if (typeof envelope.tooLong === 'number') {
    return { status: 'failed', kind: 'invalid', message: `returned ${envelope.tooLong} characters of JSON (at most ${MAX_RESULT_CHARS})`, rebuild: 'none' };
  }
  if (typeof envelope.unsupported === 'string') {
    return { status: 'failed', kind: 'invalid', message: `returned a ${envelope.unsupported}, which is not JSON data`, rebuild: 'none' };
  }
  return { status: 'ok', value: envelope.value, rebuild: 'none' };
}

/** A pointer to the usual mistake: module syntax in a file that is run as a plain script. */
function hint(message: string, source: string): string {
  return message.startsWith('threw SyntaxError') && /^\s*(export|import)\b/m.test(source)
    ? ' (policy files are plain scripts: write "function contactFor(client) { ... }" without export or import)'
    : '';
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
