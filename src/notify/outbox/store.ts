// The outbox on disk: one file per message under DIR/queue, written as tmp file + fsync +
// rename + directory fsync, so a message either exists whole or not at all. Files are written
// once and never rewritten (retry state lives in memory): one write per notice is all the
// flash of a router pays. Unreadable files are moved to DIR/corrupt, never fatal.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { syncDir, writeFileDurably } from '../../disk/durable-write';
import { GroupCommit } from './group-commit';

export interface StoredMessage {
  readonly id: string;
  readonly channel: string;
  /** At most one message per key, ever (see ledger.ts). */
  readonly key: string;
  /** ms since the epoch; the max-age limit counts from here. */
  readonly createdAt: number;
  /** Channel-specific, JSON. */
  readonly payload: unknown;
}

export interface CorruptFile {
  readonly name: string;
  readonly reason: string;
}

const FORMAT = 1;
const NAME = /^[A-Za-z0-9_-]{1,100}\.json$/;
const MAX_FILE = 1 << 20;

export class OutboxStore {
  readonly queueDir: string;
  readonly tmpDir: string;
  readonly corruptDir: string;
  private readonly queueSync: GroupCommit<void>;

  constructor(readonly dir: string) {
    this.queueDir = join(dir, 'queue');
    this.tmpDir = join(dir, 'tmp');
    this.corruptDir = join(dir, 'corrupt');
    this.queueSync = new GroupCommit<void>(() => syncDir(this.queueDir));
  }

  /** Creates the directories and drops tmp files of writes a crash cut short (never acknowledged). */
  async open(): Promise<void> {
    for (const d of [this.dir, this.queueDir, this.tmpDir, this.corruptDir]) {
      await fs.mkdir(d, { recursive: true, mode: 0o700 });
    }
    for (const name of await fs.readdir(this.tmpDir)) await fs.rm(join(this.tmpDir, name), { force: true });
  }

  /** Resolves once the message survives a power cut. */
  async write(message: StoredMessage): Promise<void> {
    const body = JSON.stringify({ v: FORMAT, ...message });
    const name = `${message.id}.json`;
    await writeFileDurably(join(this.queueDir, name), body, { tmp: join(this.tmpDir, name), syncDir: false });
    await this.queueSync.add();
  }

  /** No directory sync: a removal lost to a crash is caught by the ledger on the next start. */
  async remove(id: string): Promise<void> {
    await fs.rm(join(this.queueDir, `${id}.json`), { force: true });
  }

  async load(): Promise<{ messages: StoredMessage[]; corrupt: CorruptFile[] }> {
    const messages: StoredMessage[] = [];
    const corrupt: CorruptFile[] = [];
    for (const name of (await fs.readdir(this.queueDir)).sort()) {
      const reason = await this.readOne(name, messages);
      if (reason !== null) {
        corrupt.push({ name, reason });
        await this.moveAside(name);
      }
    }
    return { messages, corrupt };
  }

  private async readOne(name: string, into: StoredMessage[]): Promise<string | null> {
    if (!NAME.test(name)) return 'not an outbox file name';
    const path = join(this.queueDir, name);
    let text: string;
    try {
      const st = await fs.stat(path);
      if (!st.isFile()) return 'not a regular file';
      if (st.size > MAX_FILE) return `larger than ${MAX_FILE} bytes`;
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      return `unreadable: ${(err as Error).message}`;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return text.length === 0 ? 'empty' : 'not JSON';
    }
    const problem = messageProblem(data, name.slice(0, -'.json'.length));
    if (problem !== null) return problem;
    const m = data as StoredMessage;
    into.push({ id: m.id, channel: m.channel, key: m.key, createdAt: m.createdAt, payload: m.payload });
    return null;
  }

  private async moveAside(name: string): Promise<void> {
    let target = join(this.corruptDir, name);
    try {
      await fs.access(target);
      target = `${target}.${Date.now()}`;
    } catch {
      // no file of that name yet
    }
    await fs.rename(join(this.queueDir, name), target);
  }
}

function messageProblem(data: unknown, id: string): string | null {
  if (typeof data !== 'object' || data === null) return 'not a JSON object';
  const m = data as Record<string, unknown>;
  if (m.v !== FORMAT) return `format ${JSON.stringify(m.v)} is not ${FORMAT}`;
  if (m.id !== id) return 'id does not match the file name';
  if (typeof m.channel !== 'string' || m.channel === '') return 'no channel';
  if (typeof m.key !== 'string' || m.key === '') return 'no dedup key';
  if (typeof m.createdAt !== 'number' || !Number.isFinite(m.createdAt)) return 'no creation time';
  if (!('payload' in m)) return 'no payload';
  return null;
}
