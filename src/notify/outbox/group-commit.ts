// Many callers, one fsync: work queued while a flush runs is done together by the next flush.
// 10,000 notices queued at once cost a handful of directory syncs, not 10,000.

export class GroupCommit<T> {
  private batch: T[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  /** Resolves once a flush that includes `item` has finished. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push(item);
      this.waiters.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.waiters.length > 0) {
      const items = this.batch;
      const waiters = this.waiters;
      this.batch = [];
      this.waiters = [];
      try {
        await this.flush(items);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.running = false;
  }
}
