// An append-only file written durably through one descriptor kept open: each append is one
// write and one fdatasync. appendDurably (durable-write.ts) opens and closes the file for every
// append, four trips to libuv's threads in place of two; the outbox's ledger appends once per
// group commit, thousands of times in a large recovery (docs/PERFORMANCE.md, "The ledger's
// appends").
import { close, fdatasync, ftruncate, open, write } from 'node:fs';

export class DurableAppender {
  private fd: Promise<number> | null = null;
  /** The append under way: a descriptor is closed only after it (a closed number can be reused). */
  private current: Promise<unknown> = Promise.resolve();
  /** After close(), an append still works but leaves nothing open. */
  private closed = false;

  constructor(private readonly file: string, private readonly mode = 0o600) {}

  /**
   * Appends `text` and fdatasyncs it. `size` is the file's length before, as the caller knows
   * it: on failure (a full disk mid-write) the file is cut back to it, so no torn line is left
   * for the next append to glue onto, and the descriptor is closed (the next append opens the
   * file again). Appends must not overlap: the caller runs one at a time (a group commit).
   */
  append(text: string, size: number): Promise<void> {
    const done = this.appendNow(text, size);
    this.current = done.catch(() => undefined);
    return done;
  }

  private async appendNow(text: string, size: number): Promise<void> {
    const opened = this.fd ??= openAppend(this.file, this.mode);
    let fd: number;
    try {
      fd = await opened;
    } catch (err) {
      if (this.fd === opened) this.fd = null;
      throw err;
    }
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let done = 0; done < bytes.length;) done += await call<number>((cb) => write(fd, bytes, done, bytes.length - done, null, cb));
      await call<void>((cb) => fdatasync(fd, cb));
      if (this.closed && this.fd === opened) {
        this.fd = null;
        await call<void>((cb) => close(fd, cb)).catch(() => undefined);
      }
    } catch (err) {
      await call<void>((cb) => ftruncate(fd, size, cb)).catch(() => undefined);
      if (this.fd === opened) { this.fd = null; close(fd, () => undefined); }
      throw err;
    }
  }

  /**
   * The file was replaced (renamed over) or removed: the next append opens it by name again.
   * The old descriptor is closed once the append under way (if any) is done with it.
   */
  reopen(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) void this.current.then(() => fd).then((n) => close(n, () => undefined), () => undefined);
  }

  /** Closes the descriptor (after the append under way); a later append opens and closes its own. */
  close(): void {
    this.closed = true;
    this.reopen();
  }
}

function openAppend(file: string, mode: number): Promise<number> {
  return call<number>((cb) => open(file, 'a', mode, cb));
}

/** A node:fs callback call as a promise (cheaper than fs/promises' FileHandle for a bare descriptor). */
function call<T>(start: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => { if (err) reject(err); else resolve(value as T); }));
}
