// Reads messages back from the outbox's batch files through descriptors kept open while a file
// is being sent from. A recovery sends a batch's messages one after another: opening, reading
// and closing the file for each (three trips to libuv's threads and a FileHandle each) cost
// ~110 us of CPU per message, one read on an open descriptor ~35 (docs/PERFORMANCE.md, "Recovery
// to mail"). At most MAX_OPEN files stay open, the least recently read one is closed first; a
// file's descriptor is closed when the file is done (forget) and at closeAll.
import { close, open, read } from 'node:fs';
import { fsCall } from '../../disk/fs-callback';

/** Descriptors open at once: a few batches are sent from at a time, 256 messages each. */
const MAX_OPEN = 8;

interface OpenFile {
  readonly fd: Promise<number>;
  /** Reads under way: a retired file is closed only after the last one. */
  reads: number;
  retired: boolean;
}

export class BatchReader {
  /** By path; Map order is the order of last use. */
  private readonly files = new Map<string, OpenFile>();

  /** `length` bytes of `path` at `offset` as UTF-8 (fewer when the file is shorter). */
  async read(path: string, offset: number, length: number): Promise<string> {
    const f = this.use(path);
    f.reads++;
    try {
      const fd = await f.fd;
      const buffer = Buffer.allocUnsafe(length);
      const got = await fsCall<number>((cb) => read(fd, buffer, 0, length, offset, cb));
      return buffer.toString('utf8', 0, got);
    } catch (err) {
      // A file that could not be opened is not kept: the next read tries again.
      if (this.files.get(path) === f) this.drop(path);
      throw err;
    } finally {
      f.reads--;
      if (f.retired && f.reads === 0) closeFile(f);
    }
  }

  /** The file is done (removed, or about to be): its descriptor goes. */
  forget(path: string): void {
    if (this.files.has(path)) this.drop(path);
  }

  closeAll(): void {
    for (const path of [...this.files.keys()]) this.drop(path);
  }

  /** Descriptors open now (for tests). */
  get openCount(): number {
    return this.files.size;
  }

  private use(path: string): OpenFile {
    let f = this.files.get(path);
    if (f !== undefined) {
      this.files.delete(path);
      this.files.set(path, f);
      return f;
    }
    const fd = fsCall<number>((cb) => open(path, 'r', cb));
    fd.catch(() => undefined); // reported by the read that waits for it
    f = { fd, reads: 0, retired: false };
    this.files.set(path, f);
    if (this.files.size > MAX_OPEN) this.drop(this.files.keys().next().value as string);
    return f;
  }

  private drop(path: string): void {
    const f = this.files.get(path)!;
    this.files.delete(path);
    f.retired = true;
    if (f.reads === 0) closeFile(f);
  }
}

function closeFile(f: OpenFile): void {
  f.fd.then((fd) => close(fd, () => undefined), () => undefined);
}
