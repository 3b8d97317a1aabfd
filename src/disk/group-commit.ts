// Many callers, one fsync: work queued while a flush runs is done together by the next flush.
// 10,000 notices queued at once cost a few dozen batch writes, not 10,000 fsyncs; a flush takes
// at most `maxBatch` items, so one batch stays small and the first items do not wait for the last.

export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly flush: (items: T[]) => Promise<void>, private readonly maxBatch = Infinity) {}

  /** Items waiting for a flush. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once a flush that includes `item` has finished; rejects with that flush's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
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
}
