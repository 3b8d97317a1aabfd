// SIGHUPs one at a time: a reload never overlaps another (two at once would bind the trap port
// twice and hand the stand-in an engine that is already replaced). HUPs that arrive while a
// reload runs are coalesced into one more reload after it, which reads the file as it is then.

export interface ReloadCounts {
  /** SIGHUPs (or other requests) received. */
  requested: number;
  /** Reloads run; requested - started were coalesced into a later one. */
  started: number;
}

export class ReloadQueue {
  readonly counts: ReloadCounts = { requested: 0, started: 0 };
  private running: Promise<void> | null = null;
  private again = false;
  private open = false;

  /** `reload` reports its own failures; a throw here is only logged through `onError`. */
  constructor(private readonly reload: () => Promise<void>, private readonly onError: (err: unknown) => void) {}

  /** Asks for a reload: now when idle, else once after the one running (or after startup). */
  request(): void {
    this.counts.requested++;
    this.again = true;
    if (this.open && this.running === null) this.running = this.drain();
  }

  /** Startup is done: reloads may run, and one asked for meanwhile runs now. */
  start(): void {
    this.open = true;
    if (this.again && this.running === null) this.running = this.drain();
  }

  /** Refuses further reloads and resolves once the running one (if any) has finished. */
  async close(): Promise<void> {
    this.open = false;
    this.again = false;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.again && this.open) {
      this.again = false;
      this.counts.started++;
      try {
        await this.reload();
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = null;
  }
}
