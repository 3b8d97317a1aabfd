// Writing so that a power cut leaves either the old file or the new one, whole: a temp file,
// written and fsynced, renamed over the target, and the directory fsynced so the rename itself
// survives. Every file backsoon keeps on flash (the state file, the outbox's messages and
// ledger, the registration journal) is written through here, off the event loop.
import { closeSync, fsyncSync, openSync, promises as fs, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Text handed over in pieces, so a large file never has to exist as one string. */
export type Pieces = string | Buffer | Iterable<string>;

export interface DurableWriteOptions {
  /** The temp file; default FILE.tmp-PID beside the target (same file system, so rename is atomic). */
  readonly tmp?: string;
  /** Skip the directory fsync when the caller does one for many files at once (group commit). */
  readonly syncDir?: boolean;
  /** File mode, default 0600 (state and payloads hold mail addresses). */
  readonly mode?: number;
}

/** Pieces are gathered into writes of about this size; each write lets the event loop run. */
const WRITE_CHUNK = 256 * 1024;

/**
 * Writes `data` to `file` atomically and durably. On failure the temp file is removed (a full
 * disk gets its space back) and the target is left as it was; the error is rethrown.
 */
export async function writeFileDurably(file: string, data: Pieces, options: DurableWriteOptions = {}): Promise<void> {
  const tmp = options.tmp ?? `${file}.tmp-${process.pid}`;
  let fh: fs.FileHandle | null = null;
  try {
    fh = await fs.open(tmp, 'w', options.mode ?? 0o600);
    await writePieces(fh, data);
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(tmp, file);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (options.syncDir !== false) await syncDir(dirname(file));
}

/**
 * writeFileDurably on the calling thread, for a process about to exit (nothing else runs then).
 * Its own temp file, so a write under way on the event loop cannot collide with it.
 */
export function writeFileDurablySync(file: string, data: Pieces, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}-sync`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w', mode);
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : [...data].join(''), 'utf8');
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  const dfd = openSync(dirname(file), 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

async function writePieces(fh: fs.FileHandle, data: Pieces): Promise<void> {
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    await fh.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    return;
  }
  let pending: string[] = [];
  let size = 0;
  for (const piece of data) {
    pending.push(piece);
    size += piece.length;
    if (size >= WRITE_CHUNK) {
      await fh.write(Buffer.from(pending.join(''), 'utf8'));
      pending = [];
      size = 0;
    }
  }
  if (size > 0) await fh.write(Buffer.from(pending.join(''), 'utf8'));
}

/** Makes the directory's entries (a rename, a new file) survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Appends `text` to `file` and fdatasyncs it. `size` is the file's length before, as the
 * caller knows it: on failure (a full disk mid-write) the file is cut back to it, so no torn
 * line is left for the next append to glue onto.
 */
export async function appendDurably(file: string, text: string, size: number, mode = 0o600): Promise<void> {
  const fh = await fs.open(file, 'a', mode);
  try {
    await fh.write(Buffer.from(text, 'utf8'));
    await fh.datasync();
  } catch (err) {
    await fh.truncate(size).catch(() => undefined);
    throw err;
  } finally {
    await fh.close();
  }
}

/** Removes temp files a crash left beside `file` (FILE.tmp-*); at start, before any write. Never fails. */
export function removeStaleTempsSync(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) {
      try { rmSync(join(dir, name), { force: true }); } catch { /* the next start tries again */ }
    }
  }
}

/** The short code of a file-system error for status and log lines: "ENOSPC", or the message. */
export function diskErrorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}
