// Gives back the heap a burst of work left behind. A recovery of thousands of notices (or a
// flood) grows V8's heap far beyond what stays alive, and V8 collects it only when more
// allocation asks for it: node never runs V8's idle-time memory reducer, so a router that goes
// quiet after a burst keeps tens of MiB of garbage resident for hours. One full collection,
// once the heap is well above its live size and allocation has stopped, returns it; so does one
// after the engine's indexes that a burst left sparse were replaced by fresh arrays.
import type * as V8 from 'node:v8';
import type * as Vm from 'node:vm';

export interface HeapTrimOptions {
  /** Bytes of the heap in use now (live and not yet collected). */
  heapUsed(): number;
  /** A full collection; null when this node cannot run one (then nothing is done). */
  collect: (() => void) | null;
  /** Collect only when the heap holds at least this many bytes more than after the last collection. */
  slackBytes: number;
  /** ... and grew by less than this since the previous check: allocation has stopped. */
  quietBytes: number;
  /**
   * Asked when the heap is quiet: replaces what a burst left sparse (the engine's indexes) and
   * returns the bytes that became garbage; any makes the check collect.
   */
  renew?: () => number;
}

export class HeapTrim {
  /** Heap in use after the last collection (ours or, as far as checks saw it, V8's). */
  private floor: number;
  private last: number;
  /** Full collections run, for tests and diagnosis. */
  collections = 0;

  constructor(private readonly options: HeapTrimOptions) {
    this.floor = options.heapUsed();
    this.last = this.floor;
  }

  /** Called every few seconds: collects when the heap grew by a burst that is now over. */
  check(): void {
    const o = this.options;
    const used = o.heapUsed();
    const quiet = Math.abs(used - this.last) < o.quietBytes;
    if (used < this.floor) this.floor = used; // V8 collected on its own
    if (o.collect !== null && quiet && ((o.renew?.() ?? 0) > 0 || used - this.floor >= o.slackBytes)) {
      o.collect();
      this.collections++;
      this.floor = o.heapUsed();
      this.last = this.floor;
      return;
    }
    this.last = used;
  }
}

/**
 * V8's full collection as a function, without starting node with --expose-gc: the flag is set
 * just long enough to fetch `gc` from a fresh context, then cleared, so no other context (the
 * policy's worker, say) gets it. Null when this node does not allow it.
 */
export function fullCollection(): (() => void) | null {
  const { setFlagsFromString } = require('node:v8') as typeof V8;
  const { runInNewContext } = require('node:vm') as typeof Vm;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof gc === 'function' ? () => { (gc as () => void)(); } : null;
  } catch {
    return null; // a node without the flag: the heap is left to V8
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * fullCollection() fetched at the first collection, not at start: node:v8 and node:vm stay
 * unloaded until a burst has actually left garbage behind (most routers: never).
 */
export function lazyFullCollection(): () => void {
  let gc: (() => void) | null | undefined;
  return () => {
    if (gc === undefined) gc = fullCollection();
    gc?.();
  };
}
