// An append-only file written durably through one descriptor kept open: each append is one
// write and one fdatasync. appendDurably (durable-write.ts) opens and closes the file for every
// append, four trips to libuv's threads in place of two; the outbox's ledger appends once per
// group commit, thousands of times in a large recovery (docs/PERFORMANCE.md, "The ledger's
// appends").
import { close, fdatasync, ftruncate, open, write } from 'node:fs';
import { fsCall } from './fs-callback';

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
      for (let done = 0; done < bytes.length;) done += await fsCall<number>((cb) => write(fd, bytes, done, bytes.length - done, null, cb));
      await fsCall<void>((cb) => fdatasync(fd, cb));
      if (this.closed) await this.closeIfCurrent(opened, fd);
    } catch (err) {
      await fsCall<void>((cb) => ftruncate(fd, size, cb)).catch(() => undefined);
      await this.closeIfCurrent(opened, fd);
      throw err;
    }
  }

  /** Closes `fd` and forgets it, unless reopen() has taken it over (it closes it then). */
  private async closeIfCurrent(opened: Promise<number>, fd: number): Promise<void> {
    if (this.fd !== opened) return;
    this.fd = null;
    await fsCall<void>((cb) => close(fd, cb)).catch(() => undefined);
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
  return fsCall<number>((cb) => open(file, 'a', mode, cb));
}
