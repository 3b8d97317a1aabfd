// Fixed-window counters per key (a client address, a mail address) with a bounded number of
// keys, so a flood of distinct keys cannot grow memory. When every slot holds a live window,
// new keys are refused: failing closed is right for a form that sends mail.

export interface LimitVerdict {
  readonly allowed: boolean;
  /** Seconds until the key's window ends (0 when allowed). */
  readonly retryAfter: number;
}

export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** New keys refused because the table was full of live windows. */
  refusedFull = 0;

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
    readonly maxKeys = 16384,
  ) {}

  /** Counts one event for `key` at `now` (seconds) and says whether it is within the limit. */
  take(key: string, now: number): LimitVerdict {
    let w = this.windows.get(key);
    if (w !== undefined && now - w.start >= this.windowSeconds) {
      this.windows.delete(key);
      w = undefined;
    }
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys && !this.makeRoom(now)) {
        this.refusedFull++;
        return { allowed: false, retryAfter: this.windowSeconds };
      }
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) return { allowed: false, retryAfter: Math.max(1, Math.ceil(w.start + this.windowSeconds - now)) };
    w.count++;
    return { allowed: true, retryAfter: 0 };
  }

  /** Would one more event for `key` be refused now? Counts nothing. */
  exhausted(key: string, now: number): boolean {
    const w = this.windows.get(key);
    return w !== undefined && now - w.start < this.windowSeconds && w.count >= this.limit;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Drops ended windows; Map order is creation order, so they sit at the front. */
  private makeRoom(now: number): boolean {
    for (const [key, w] of this.windows) {
      if (now - w.start < this.windowSeconds) break;
      this.windows.delete(key);
    }
    return this.windows.size < this.maxKeys;
  }
}
