// The outbox on disk: messages written in batches, one file per batch under DIR/queue (JSON
// lines), each file written once as temp file + fsync + rename + directory fsync, so a batch
// exists whole or not at all, and 10,000 notices queued together cost a few dozen fsyncs, not
// 10,000. Files are never rewritten: retry state lives in memory, and a file is removed once
// every message in it is finished (its outcome durable in the ledger). Payloads are read back
// from the file when a message is sent, not kept in memory (batch-reader.ts keeps the files
// being sent from open). Unreadable files and lines are moved to DIR/corrupt, never fatal.
// Files of the one-message-per-file format (ID.json) that an older version left are read too.
import { nodeCrypto } from '../../node-crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../../disk/durable-write';
import { BatchReader } from './batch-reader';

export interface MessageMeta {
  readonly id: string;
  readonly channel: string;
  /** At most one message per key, ever (see ledger.ts). */
  readonly key: string;
  /** ms since the epoch; the max-age limit counts from here. */
  readonly createdAt: number;
}

/** Where a message's line is: its batch file in DIR/queue, byte offset and length. */
export interface Location {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

export interface LoadedMessage {
  readonly meta: MessageMeta;
  readonly at: Location;
}

export interface CorruptFile {
  readonly name: string;
  readonly reason: string;
}

const FORMAT = 2;
const LEGACY_FORMAT = 1;
const BATCH = /^[A-Za-z0-9_-]{1,100}\.jsonl$/;
const LEGACY = /^[A-Za-z0-9_-]{1,100}\.json$/;
/** One message; a longer line is damage, not a notice. */
const MAX_LINE = 1 << 20;
const MAX_FILE = 256 << 20;

interface BatchFile {
  /** Messages in it not yet finished. */
  live: number;
  /** Every key in it: the ledger keeps these until the file is gone (see ledger.ts, pin). */
  readonly keys: string[];
}

/** The line of one message, as written; throws when the payload is not JSON. */
export function messageLine(meta: MessageMeta, payload: unknown): string {
  const line = JSON.stringify({ v: FORMAT, id: meta.id, channel: meta.channel, key: meta.key, createdAt: meta.createdAt, payload });
  if (Buffer.byteLength(line, 'utf8') >= MAX_LINE) throw new Error(`message ${meta.key} is larger than ${MAX_LINE} bytes`);
  return `${line}\n`;
}

export class OutboxStore {
  readonly queueDir: string;
  readonly tmpDir: string;
  readonly corruptDir: string;
  private readonly files = new Map<string, BatchFile>();
  private readonly reader = new BatchReader();
  private seq = 0;

  /** `forget(keys)`: called with a removed file's keys, which no file holds any more. */
  constructor(readonly dir: string, private readonly forget: (keys: readonly string[]) => void = () => {}) {
    this.queueDir = join(dir, 'queue');
    this.tmpDir = join(dir, 'tmp');
    this.corruptDir = join(dir, 'corrupt');
  }

  /** Creates the directories and drops tmp files of writes a crash cut short (never acknowledged). */
  async open(): Promise<void> {
    for (const d of [this.dir, this.queueDir, this.tmpDir, this.corruptDir]) {
      await fs.mkdir(d, { recursive: true, mode: 0o700 });
    }
    for (const name of await fs.readdir(this.tmpDir)) await fs.rm(join(this.tmpDir, name), { force: true });
  }

  /** Files on disk now (for status and tests). */
  get fileCount(): number {
    return this.files.size;
  }

  /**
   * Writes the lines (from messageLine) as one new batch file; resolves with where each one is
   * once the file survives a power cut. On failure nothing is left behind and nothing is known.
   */
  async writeBatch(lines: readonly string[], keys: readonly string[]): Promise<Location[]> {
    const name = `${Date.now().toString(36)}-${(this.seq++).toString(36)}-${nodeCrypto().randomBytes(3).toString('hex')}.jsonl`;
    const at: Location[] = [];
    let offset = 0;
    for (const line of lines) {
      const length = Buffer.byteLength(line, 'utf8');
      at.push({ file: name, offset, length });
      offset += length;
    }
    await writeFileDurably(join(this.queueDir, name), lines, { tmp: join(this.tmpDir, name) });
    this.files.set(name, { live: lines.length, keys: [...keys] });
    return at;
  }

  /** The payload of the message at `at`. Throws when the file cannot be read or the line is not the message. */
  async readPayload(at: Location, id: string): Promise<unknown> {
    const text = await this.reader.read(join(this.queueDir, at.file), at.offset, at.length);
    const record = parseRecord(text, LEGACY.test(at.file) ? id : null);
    if (typeof record === 'string' || record.meta.id !== id) throw new Error(`queue/${at.file} at ${at.offset}: not message ${id}`);
    return record.payload;
  }

  /** One message of the file at `at` is finished; the file goes when all of them are. */
  async release(at: Location): Promise<void> {
    const file = this.files.get(at.file);
    if (file === undefined) return;
    file.live--;
    if (file.live > 0) return;
    this.files.delete(at.file);
    const path = join(this.queueDir, at.file);
    this.reader.forget(path);
    // No directory sync: a removal a crash undoes is caught by the ledger at the next start.
    await fs.rm(path, { force: true });
    this.forget(file.keys);
  }

  /** Closes the files kept open for reading; the files themselves stay. */
  close(): void {
    this.reader.closeAll();
  }

  /** Every message on disk, in the order written; unreadable files and lines go to corrupt/. */
  async load(): Promise<{ messages: LoadedMessage[]; corrupt: CorruptFile[] }> {
    const messages: LoadedMessage[] = [];
    const corrupt: CorruptFile[] = [];
    for (const name of (await fs.readdir(this.queueDir)).sort()) {
      const found: LoadedMessage[] = [];
      const problems = await this.readFile(name, found);
      if (problems.whole !== null) {
        corrupt.push({ name, reason: problems.whole });
        await this.moveAside(name);
        continue;
      }
      for (const p of problems.lines) corrupt.push({ name: `${name}:${p.line}`, reason: p.reason });
      if (problems.lines.length > 0) await this.copyAside(name);
      if (found.length === 0) {
        await fs.rm(join(this.queueDir, name), { force: true });
        continue;
      }
      this.files.set(name, { live: found.length, keys: found.map((m) => m.meta.key) });
      messages.push(...found);
    }
    return { messages, corrupt };
  }

  private async readFile(name: string, into: LoadedMessage[]): Promise<{ whole: string | null; lines: { line: number; reason: string }[] }> {
    const legacy = LEGACY.test(name);
    if (!legacy && !BATCH.test(name)) return { whole: 'not an outbox file name', lines: [] };
    let buffer: Buffer;
    try {
      const st = await fs.stat(join(this.queueDir, name));
      if (!st.isFile()) return { whole: 'not a regular file', lines: [] };
      if (st.size > (legacy ? MAX_LINE : MAX_FILE)) return { whole: `larger than ${legacy ? MAX_LINE : MAX_FILE} bytes`, lines: [] };
      buffer = await fs.readFile(join(this.queueDir, name));
    } catch (err) {
      return { whole: `unreadable: ${(err as Error).message}`, lines: [] };
    }
    if (legacy) {
      const record = parseRecord(buffer.toString('utf8'), name.slice(0, -'.json'.length));
      if (typeof record === 'string') return { whole: record, lines: [] };
      into.push({ meta: record.meta, at: { file: name, offset: 0, length: buffer.length } });
      return { whole: null, lines: [] };
    }
    const lines: { line: number; reason: string }[] = [];
    let offset = 0;
    for (let n = 1; offset < buffer.length; n++) {
      const end = buffer.indexOf(0x0a, offset);
      const next = end < 0 ? buffer.length : end + 1;
      const record = parseRecord(buffer.toString('utf8', offset, next), null);
      if (typeof record === 'string') lines.push({ line: n, reason: record });
      else into.push({ meta: record.meta, at: { file: name, offset, length: next - offset } });
      offset = next;
    }
    return { whole: null, lines };
  }

  private async moveAside(name: string): Promise<void> {
    await fs.rename(join(this.queueDir, name), await this.asideName(name));
  }

  /** A file with some unreadable lines keeps serving its good ones; a copy goes aside for a look. */
  private async copyAside(name: string): Promise<void> {
    await fs.copyFile(join(this.queueDir, name), await this.asideName(name)).catch(() => undefined);
  }

  private async asideName(name: string): Promise<string> {
    const target = join(this.corruptDir, name);
    try {
      await fs.access(target);
      return `${target}.${Date.now()}`;
    } catch {
      return target; // no file of that name yet
    }
  }
}

/** A message record, or why the text is not one. `id`: the name a legacy file must carry. */
function parseRecord(text: string, id: string | null): { meta: MessageMeta; payload: unknown } | string {
  if (text.trim() === '') return 'empty';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof data !== 'object' || data === null) return 'not a JSON object';
  const m = data as Record<string, unknown>;
  const format = id === null ? FORMAT : LEGACY_FORMAT;
  if (m.v !== format) return `format ${JSON.stringify(m.v)} is not ${format}`;
  if (typeof m.id !== 'string' || m.id === '' || (id !== null && m.id !== id)) return id === null ? 'no id' : 'id does not match the file name';
  if (typeof m.channel !== 'string' || m.channel === '') return 'no channel';
  if (typeof m.key !== 'string' || m.key === '') return 'no dedup key';
  if (typeof m.createdAt !== 'number' || !Number.isFinite(m.createdAt)) return 'no creation time';
  if (!('payload' in m)) return 'no payload';
  return { meta: { id: m.id, channel: m.channel, key: m.key, createdAt: m.createdAt }, payload: m.payload };
}
