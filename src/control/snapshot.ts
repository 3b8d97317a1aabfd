// The state file: written atomically and durably (src/disk/durable-write.ts) at most once per
// `minInterval` seconds, because routers keep it on flash. The text is produced in pieces and
// written asynchronously, so a large table does not stop the event loop; a failed write (a full
// disk) is retried, logged once when it starts failing and once when it works again.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { diskErrorCode, removeStaleTempsSync, writeFileDurably, writeFileDurablySync } from '../disk/durable-write';
import { jsonPieces } from '../disk/json-pieces';

export interface SnapshotOptions<T> {
  readonly dir: string;
  readonly minIntervalSeconds: number;
  /** The state to save, taken at the moment the write starts. */
  readonly produce: () => T;
  /** After `value` is on disk. */
  readonly written?: (value: T) => void;
  /**
   * Why the file must not be replaced now (null: it may). The old file stays and the write is
   * tried again a second later: the daemon holds it while notices exist only in memory.
   */
  readonly holdReason?: () => string | null;
  readonly log: (level: 'error' | 'info', message: string) => void;
}

export interface SnapshotStatus {
  readonly writes: number;
  /** Failed writes since start. */
  readonly failures: number;
  /** Why the last write failed ("ENOSPC"), null while writing works. */
  readonly error: string | null;
  /** Why the file is not being replaced now, null when it is not held. */
  readonly heldBy: string | null;
}

const HOLD_RETRY_MS = 1000;

export class SnapshotStore<T = unknown> {
  readonly file: string;
  private readonly minInterval: number;
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private writing: Promise<void> | null = null;
  private closed = false;
  private writes = 0;
  private failures = 0;
  /** Failed writes since the last one that worked. */
  private failing = 0;
  private error: string | null = null;
  private heldBy: string | null = null;

  constructor(private readonly options: SnapshotOptions<T>) {
    this.file = join(options.dir, 'state.json');
    this.minInterval = options.minIntervalSeconds * 1000;
  }

  /** Reads the last snapshot; null when there is none. Throws a clear error when unreadable. */
  load(): unknown {
    removeStaleTempsSync(this.file); // a write a crash cut short; the file itself is whole
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read state file ${this.file}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      try { renameSync(this.file, aside); } catch { /* keep going without it */ }
      throw new Error(`state file ${this.file} is not valid JSON; moved aside to ${aside}, starting empty`);
    }
  }

  status(): SnapshotStatus {
    return { writes: this.writes, failures: this.failures, error: this.error, heldBy: this.heldBy };
  }

  /** Something changed: write soon, but not more often than the minimum interval. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer === null && !this.closed) this.schedule(Math.max(0, this.lastWrite + this.minInterval - Date.now()));
  }

  /** Writes now if anything changed; resolves when that write (or the one under way) is over. */
  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.writing !== null) await this.writing; // one write at a time, the newest state last
    if (!this.dirty) return;
    const held = this.options.holdReason?.() ?? null;
    this.heldBy = held;
    if (held !== null) {
      if (!this.closed) this.schedule(HOLD_RETRY_MS);
      return;
    }
    this.dirty = false;
    this.lastWrite = Date.now();
    const value = this.options.produce();
    this.writing = this.write(value).finally(() => { this.writing = null; });
    await this.writing;
  }

  /**
   * Writes the state now, on the calling thread, for a process that is about to exit; false
   * when it is held or the write failed (the previous file stays).
   */
  saveNowSync(): boolean {
    this.cancelTimer();
    if (this.options.holdReason?.() != null) return false;
    const value = this.options.produce();
    try {
      writeFileDurablySync(this.file, withNewline(value));
    } catch (err) {
      this.failures++;
      this.options.log('error', `cannot write state file ${this.file}: ${(err as Error).message}`);
      return false;
    }
    this.writes++;
    this.dirty = false;
    this.options.written?.(value);
    return true;
  }

  /** The last write (if anything changed), then no more timers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.cancelTimer();
  }

  private async write(value: T): Promise<void> {
    try {
      await writeFileDurably(this.file, withNewline(value));
    } catch (err) {
      this.failures++;
      this.failing++;
      this.dirty = true;
      const code = diskErrorCode(err);
      if (this.error === null) {
        this.options.log('error', `cannot write state file ${this.file}: ${(err as Error).message}; ` +
          `the previous one stays, retrying every ${Math.round(this.minInterval / 1000)} s (check free space on the state_dir)`);
      }
      this.error = code;
      if (!this.closed) this.schedule(this.minInterval);
      return;
    }
    this.writes++;
    if (this.error !== null) {
      this.options.log('info', `state file ${this.file} written again after ${this.failing} failed attempt(s)`);
      this.error = null;
    }
    this.failing = 0;
    this.options.written?.(value);
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, ms);
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
  }
}

function* withNewline(value: unknown): Generator<string> {
  yield* jsonPieces(value);
  yield '\n';
}
