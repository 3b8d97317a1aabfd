// Keys of messages that are finished (sent, or given up), so that neither a restart nor a
// duplicate enqueue sends a notice twice. Bounded by count and by age, except for keys whose
// message still sits in a queue file (pinned: forgetting them would let a restart send them
// again). On disk an append-only file of JSON lines, group-committed (one fdatasync for many
// outcomes) and rewritten compactly when it has grown to twice the bound, and on every start
// (which also drops a line torn by a crash). Appends go through one descriptor kept open
// (disk/durable-append.ts). An append that fails (a full disk) is cut back and kept in memory;
// the next flush writes it, and `onDurable` says when.
import { promises as fs } from 'node:fs';
import { DurableAppender } from '../../disk/durable-append';
import { writeFileDurably } from '../../disk/durable-write';
import { GroupCommit, type Gather } from '../../disk/group-commit';
import type { Now } from './scheduler';

export type Outcome = 'sent' | 'given-up';

export interface LedgerOptions {
  /** Keys remembered at most, pinned ones aside (default in outbox.ts). */
  readonly maxEntries: number;
  /** Keys older than this are forgotten, ms. */
  readonly maxAgeMs: number;
  readonly now: Now;
  /** How outcomes are gathered into one append (one fdatasync); none: each flush takes what is there. */
  readonly gather?: Gather;
  /** Outcomes that a failed append had left in memory are on disk now. */
  readonly onDurable?: (keys: readonly string[]) => void;
}

interface Entry {
  readonly t: number;
  readonly outcome: Outcome;
}

interface Line {
  readonly key: string;
  readonly text: string;
}

export class Ledger {
  private readonly entries = new Map<string, Entry>();
  private readonly pinned = new Map<string, Entry>();
  private linesOnDisk = 0;
  private bytesOnDisk = 0;
  /** The file ends in a line a crash cut short. */
  private torn = false;
  /** Lines a failed append could not write, oldest first. */
  private unflushed: Line[] = [];
  /** Why the last write failed; null after one that worked. */
  lastError: unknown = null;
  private readonly commit: GroupCommit<Line | null>;
  private readonly appender: DurableAppender;

  private constructor(private readonly file: string, private readonly tmp: string, private readonly options: LedgerOptions) {
    this.commit = new GroupCommit<Line | null>((lines) => this.flush(lines), Infinity, options.gather ?? null);
    this.appender = new DurableAppender(file);
  }

  /** Closes the file's descriptor; a record after it (an attempt finishing late) opens and closes its own. */
  close(): void {
    this.appender.close();
  }

  /** Loads `file` (missing is fine), counting and dropping unreadable lines. Call compact() once the pins are known. */
  static async open(file: string, tmp: string, options: LedgerOptions): Promise<{ ledger: Ledger; unreadable: number }> {
    const ledger = new Ledger(file, tmp, options);
    let text = '';
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const entry = parseLine(line);
      if (entry === null) unreadable++;
      else ledger.remember(entry.key, { t: entry.t, outcome: entry.outcome });
    }
    const whole = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8');
    ledger.bytesOnDisk = whole;
    ledger.linesOnDisk = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').length - 1;
    ledger.torn = whole < Buffer.byteLength(text, 'utf8');
    return { ledger, unreadable };
  }

  /**
   * Drops what is over the bounds and rewrites the file compactly (which also drops a line torn
   * by a crash). A rewrite that fails (a full disk) is not fatal: the file is cut back to its
   * last whole line and appended to; the error is returned.
   */
  async compact(): Promise<Error | null> {
    this.trim();
    try {
      await this.rewrite();
      this.torn = false;
      return null;
    } catch (err) {
      if (this.torn) await fs.truncate(this.file, this.bytesOnDisk);
      this.torn = false;
      return err as Error;
    }
  }

  get size(): number {
    return this.entries.size + this.pinned.size;
  }

  /** Outcomes known in memory only (their append failed). */
  get unrecorded(): number {
    return this.unflushed.length;
  }

  /** The outcome of `key`, if it is remembered. No side effect: the count bound is applied when keys are added. */
  get(key: string): Outcome | undefined {
    const pinned = this.pinned.get(key);
    if (pinned !== undefined) return pinned.outcome;
    const entry = this.entries.get(key);
    return entry !== undefined && entry.t >= this.options.now() - this.options.maxAgeMs ? entry.outcome : undefined;
  }

  /** `key`'s message is in a queue file: keep it past the bounds until unpin(). */
  pin(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.pinned.set(key, entry);
  }

  /** The queue file of these keys is gone: the usual bounds apply to them again. */
  unpin(keys: readonly string[]): void {
    for (const key of keys) {
      const entry = this.pinned.get(key);
      if (entry === undefined) continue;
      this.pinned.delete(key);
      this.entries.set(key, entry);
    }
    this.trim();
  }

  /**
   * Records an outcome (pinned when its message is in a queue file). Resolves true once it is
   * on disk, false when the write failed: then it is kept and written later (onDurable).
   */
  async record(key: string, outcome: Outcome, pin: boolean): Promise<boolean> {
    const entry = { t: this.options.now(), outcome };
    this.remember(key, entry);
    if (pin) this.pin(key);
    this.trim();
    try {
      await this.commit.add({ key, text: lineOf(key, entry) });
      return true;
    } catch {
      return false;
    }
  }

  /** Tries again to write what failed; resolves true when nothing is left in memory only. */
  async retry(): Promise<boolean> {
    if (this.unflushed.length === 0) return true;
    await this.commit.add(null).catch(() => undefined);
    return this.unflushed.length === 0;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key); // re-inserting keeps the Map in time order
    this.pinned.delete(key);
    this.entries.set(key, entry);
  }

  private trim(): void {
    const oldest = this.options.now() - this.options.maxAgeMs;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && entry.t >= oldest) break;
      this.entries.delete(key);
    }
  }

  private async flush(batch: (Line | null)[]): Promise<void> {
    const earlier = this.unflushed;
    const lines = [...earlier, ...batch.filter((l): l is Line => l !== null)];
    if (lines.length === 0) return;
    try {
      if (this.linesOnDisk + lines.length > Math.max(64, 2 * this.options.maxEntries)) {
        await this.rewrite().catch(() => this.append(lines)); // too big to rewrite on a full disk: append
      } else {
        await this.append(lines);
      }
    } catch (err) {
      this.unflushed = lines;
      this.lastError = err;
      throw err;
    }
    this.unflushed = [];
    this.lastError = null;
    if (earlier.length > 0) this.options.onDurable?.(earlier.map((l) => l.key));
  }

  private async append(lines: readonly Line[]): Promise<void> {
    const text = lines.map((l) => l.text).join('');
    await this.appender.append(text, this.bytesOnDisk);
    this.bytesOnDisk += Buffer.byteLength(text, 'utf8');
    this.linesOnDisk += lines.length;
  }

  private async rewrite(): Promise<void> {
    let body = '';
    for (const map of [this.pinned, this.entries]) for (const [key, e] of map) body += lineOf(key, e);
    try {
      await writeFileDurably(this.file, body, { tmp: this.tmp });
    } finally {
      this.appender.reopen(); // renamed over: the descriptor would append to the old file
    }
    this.bytesOnDisk = Buffer.byteLength(body, 'utf8');
    this.linesOnDisk = this.entries.size + this.pinned.size;
  }
}

function lineOf(key: string, e: Entry): string {
  return `${JSON.stringify({ t: e.t, s: e.outcome, k: key })}\n`;
}

function parseLine(line: string): { key: string; t: number; outcome: Outcome } | null {
  try {
    const v = JSON.parse(line) as { t?: unknown; s?: unknown; k?: unknown };
    if (typeof v.t !== 'number' || typeof v.k !== 'string' || (v.s !== 'sent' && v.s !== 'given-up')) return null;
    return { key: v.k, t: v.t, outcome: v.s };
  } catch {
    return null;
  }
}
