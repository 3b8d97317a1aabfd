// The state file: written atomically (temp file, fsync, rename, fsync of the directory) and
// at most once per `minInterval` seconds, because routers keep it on flash.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class SnapshotStore {
  readonly file: string;
  private readonly minInterval: number;
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  writes = 0;
  failures = 0;

  constructor(dir: string, minIntervalSeconds: number, private readonly produce: () => unknown, private readonly onError: (msg: string) => void) {
    this.file = join(dir, 'state.json');
    this.minInterval = minIntervalSeconds * 1000;
  }

  /** Reads the last snapshot; null when there is none. Throws a clear error when unreadable. */
  load(): unknown {
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

  /** Something changed: write soon, but not more often than the minimum interval. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastWrite + this.minInterval - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
    this.timer.unref();
  }

  /** Writes now if anything changed (on SIGTERM, and when the timer fires). */
  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (!this.dirty) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    try {
      writeAtomically(this.file, JSON.stringify(this.produce()) + '\n');
      this.writes++;
    } catch (err) {
      this.failures++;
      this.dirty = true;
      this.onError(`cannot write state file ${this.file}: ${(err as Error).message}`);
    }
  }
}

export function writeAtomically(file: string, text: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}
