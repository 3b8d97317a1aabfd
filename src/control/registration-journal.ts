// Registrations from the stand-in page, each on disk before the page tells the client "you
// will be told": the state file is written at most once per snapshot_interval, so a
// registration is appended (fdatasync, group-committed) to a journal between two state files.
// At start the journal's records newer than the state file are merged into it. Segments:
// STATE_DIR/registrations.N.jsonl; a state file records the last segment it includes (`cut`),
// and once it is on disk those segments go. Replaying a record twice changes nothing.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { appendDurably, diskErrorCode } from '../disk/durable-write';
import { GroupCommit } from '../disk/group-commit';
import type { DownCause } from '../engine/decisions';
import { STATE_VERSION, type EngineState, type SavedContact } from '../engine/state';

export interface Registration {
  /** Unix seconds. */
  readonly t: number;
  readonly server: string;
  /** The outage it is for, when known, so it can be restored when the state file has not got it yet. */
  readonly since: number | null;
  readonly cause: string | null;
  readonly client: string;
  readonly mac: string | null;
  readonly mail: string;
}

export interface JournalStatus {
  /** Registrations on disk since start, and those refused because they could not be saved. */
  readonly saved: number;
  readonly notSaved: number;
  /** Why the last append failed ("ENOSPC"); null while appending works. */
  readonly error: string | null;
}

const SEGMENT = /^registrations\.(\d+)\.jsonl$/;

export class RegistrationJournal {
  private segment = 0;
  private bytes = 0;
  private saved = 0;
  private notSaved = 0;
  private error: string | null = null;
  /** Why each outage seen starting in this run began: a registration records it with the outage's start. */
  private readonly causes = new Map<string, string>();
  private readonly commit = new GroupCommit<string>((lines) => this.append(lines));

  constructor(private readonly dir: string, private readonly log: (level: 'error' | 'info', message: string) => void) {}

  /**
   * At start: the records of the segments after `cut` (the state file's), oldest first.
   * Older segments are removed; new records go to a fresh segment.
   */
  async open(cut: number): Promise<Registration[]> {
    const records: Registration[] = [];
    let names: string[] = [];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const segments = names.map((n) => ({ n, m: SEGMENT.exec(n) })).filter((s) => s.m !== null)
      .map((s) => ({ name: s.n, number: Number(s.m![1]) })).sort((a, b) => a.number - b.number);
    let last = cut;
    for (const s of segments) {
      last = Math.max(last, s.number);
      if (s.number <= cut) {
        await fs.rm(join(this.dir, s.name), { force: true });
        continue;
      }
      for (const line of (await fs.readFile(join(this.dir, s.name), 'utf8')).split('\n')) {
        const r = parseRecord(line);
        if (r !== null) records.push(r); // a line a crash cut short was never acknowledged
      }
    }
    this.segment = last + 1;
    return records;
  }

  status(): JournalStatus {
    return { saved: this.saved, notSaved: this.notSaved, error: this.error };
  }

  /** An outage began (a 'down' decision): later registrations for it record its cause. */
  outageStarted(server: string, cause: string): void {
    this.causes.set(server, cause);
  }

  outageEnded(server: string): void {
    this.causes.delete(server);
  }

  /** Appends a registration; resolves true once it is on disk, false when it could not be written. */
  async save(r: Omit<Registration, 'cause'>): Promise<boolean> {
    const record: Registration = { ...r, cause: this.causes.get(r.server) ?? null };
    try {
      await this.commit.add(`${JSON.stringify(record)}\n`);
    } catch (err) {
      this.notSaved++;
      if (this.error === null) {
        this.log('error', `cannot save stand-in registrations in ${this.file()}: ${(err as Error).message}; ` +
          'the page tells clients to try again later (free space in the state_dir)');
      }
      this.error = diskErrorCode(err);
      return false;
    }
    this.saved++;
    if (this.error !== null) {
      this.log('info', `stand-in registrations are saved again in ${this.file()}`);
      this.error = null;
    }
    return true;
  }

  /** A state file is being produced now: it holds everything so far; later records go to a new segment. */
  cut(): number {
    const cut = this.segment++;
    this.bytes = 0;
    return cut;
  }

  /** The state file that began at `cut` is on disk: the segments it holds can go. */
  async written(cut: number): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = SEGMENT.exec(name);
      if (m !== null && Number(m[1]) <= cut) await fs.rm(join(this.dir, name), { force: true }).catch(() => undefined);
    }
  }

  private file(): string {
    return join(this.dir, `registrations.${this.segment}.jsonl`);
  }

  private async append(lines: string[]): Promise<void> {
    const text = lines.join('');
    const file = this.file();
    await appendDurably(file, text, this.bytes);
    if (file === this.file()) this.bytes += Buffer.byteLength(text, 'utf8');
  }
}

/**
 * The state file with the journal's records merged in: each client's contact and its link to
 * the outage, the outage itself when the state file has not got it (and the record knows it).
 */
export function withRegistrations(state: EngineState | null, records: readonly Registration[], now: number): EngineState | null {
  if (records.length === 0) return state;
  const merged: EngineState = state ?? { version: STATE_VERSION, savedAt: now, outages: [], contacts: [] };
  const outages = [...merged.outages];
  const contacts: SavedContact[] = [...merged.contacts];
  for (const r of records) {
    const device = r.mac !== null ? { device: r.mac } : {};
    const c = contacts.findIndex((x) => x.client === r.client);
    // Only accepted registrations are journaled: one from another device than the address's was kept beside it, by its MAC.
    const beside = c >= 0 && r.mac !== null && contacts[c].device !== undefined && contacts[c].device !== r.mac;
    const contact: SavedContact = beside
      ? { mac: r.mac!, ...device, mail: r.mail, registeredAt: r.t, source: 'page' }
      : { client: r.client, ...device, mail: r.mail, registeredAt: r.t, source: 'page' };
    const at = beside ? contacts.findIndex((x) => x.mac === r.mac) : c;
    if (at >= 0) contacts[at] = contact;
    else contacts.push(contact);
    let o = outages.findIndex((x) => x.server === r.server);
    if (o < 0) {
      if (r.since === null || r.cause === null) continue; // the address is kept; the outage is unknown
      // Why a cast: the cause comes from a file; importState() checks it against the engine's causes.
      outages.push({ server: r.server, state: 'down', since: r.since, cause: r.cause as DownCause, clients: [] });
      o = outages.length - 1;
    }
    const outage = outages[o];
    if (outage.clients.some((x) => x.client === r.client)) continue;
    outages[o] = { ...outage, clients: [...outage.clients, { client: r.client, firstAttempt: r.t, lastAttempt: r.t, ...(r.mac !== null ? { mac: r.mac } : {}) }] };
  }
  return { ...merged, outages, contacts };
}

function parseRecord(line: string): Registration | null {
  if (line === '') return null;
  try {
    const r = JSON.parse(line) as Partial<Registration>;
    if (typeof r.t !== 'number' || typeof r.server !== 'string' || typeof r.client !== 'string' || typeof r.mail !== 'string') return null;
    return {
      t: r.t, server: r.server, client: r.client, mail: r.mail, mac: typeof r.mac === 'string' ? r.mac : null,
      since: typeof r.since === 'number' ? r.since : null, cause: typeof r.cause === 'string' ? r.cause : null,
    };
  } catch {
    return null;
  }
}
