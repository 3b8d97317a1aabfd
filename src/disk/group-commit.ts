// Many callers, one fsync: work queued while a flush runs is done together by the next flush.
// 10,000 notices queued at once cost a few dozen batch writes, not 10,000 fsyncs; a flush takes
// at most `maxBatch` items, so one batch stays small and the first items do not wait for the last.
// With `gather`, a flush that would take fewer than `minItems` waits up to `waitMs` for more:
// callers that finish one by one (the outbox's outcomes, each when its SMTP session answers)
// then share an fsync instead of taking one each two at a time.

export interface Gather {
  /** A flush of at least this many items starts at once. */
  readonly minItems: number;
  /** The longest an item waits for others before its flush starts, ms. */
  readonly waitMs: number;
}

export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private running = false;
  /** Ends the gathering wait early (enough items came). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxBatch = Infinity,
    private readonly gather: Gather | null = null,
  ) {}

  /** Items waiting for a flush. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once a flush that includes `item` has finished; rejects with that flush's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.run();
      else if (this.wake !== null && this.queue.length >= this.gather!.minItems) this.wake();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      if (this.gather !== null && this.queue.length < this.gather.minItems) await this.gathering(this.gather.waitMs);
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
      try {
        await this.flush(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }

  /** Waits `ms`, or less when enough items come. */
  private gathering(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
