// Keys of messages that are finished (sent, or given up), so that neither a restart nor a
// duplicate enqueue sends a notice twice. Bounded by count and by age; on disk an append-only
// file of JSON lines, group-committed (one fdatasync for many outcomes) and rewritten compactly
// when it has grown to twice the bound, and on every start (which also drops a line torn by
// a crash).
import { promises as fs } from 'node:fs';
import { writeFileDurably } from '../../disk/durable-write';
import { GroupCommit } from './group-commit';
import type { Now } from './scheduler';

export type Outcome = 'sent' | 'given-up';

export interface LedgerOptions {
  /** Keys remembered at most (default in outbox.ts). */
  readonly maxEntries: number;
  /** Keys older than this are forgotten, ms. */
  readonly maxAgeMs: number;
  readonly now: Now;
}

interface Entry {
  readonly t: number;
  readonly outcome: Outcome;
}

export class Ledger {
  private readonly entries = new Map<string, Entry>();
  private linesOnDisk = 0;
  private readonly commit: GroupCommit<string>;

  private constructor(private readonly file: string, private readonly tmp: string, private readonly options: LedgerOptions) {
    this.commit = new GroupCommit<string>((lines) => this.flush(lines));
  }

  /** Loads `file` (missing is fine), counts and drops unreadable lines, rewrites it compactly. */
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
    ledger.trim();
    await ledger.rewrite();
    return { ledger, unreadable };
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Outcome | undefined {
    this.trim();
    return this.entries.get(key)?.outcome;
  }

  /** Resolves once the outcome is on disk. */
  record(key: string, outcome: Outcome): Promise<void> {
    const entry = { t: this.options.now(), outcome };
    this.remember(key, entry);
    this.trim();
    return this.commit.add(`${JSON.stringify({ t: entry.t, s: outcome, k: key })}\n`);
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key); // re-inserting keeps the Map in time order
    this.entries.set(key, entry);
  }

  private trim(): void {
    const oldest = this.options.now() - this.options.maxAgeMs;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && entry.t >= oldest) break;
      this.entries.delete(key);
    }
  }

  private async flush(lines: string[]): Promise<void> {
    if (this.linesOnDisk + lines.length > Math.max(64, 2 * this.options.maxEntries)) {
      await this.rewrite();
      return;
    }
    const fh = await fs.open(this.file, 'a', 0o600);
    try {
      await fh.writeFile(lines.join(''), 'utf8');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.linesOnDisk += lines.length;
  }

  private async rewrite(): Promise<void> {
    let body = '';
    for (const [key, e] of this.entries) body += `${JSON.stringify({ t: e.t, s: e.outcome, k: key })}\n`;
    await writeFileDurably(this.file, body, { tmp: this.tmp });
    this.linesOnDisk = this.entries.size;
  }
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
