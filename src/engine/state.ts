// The engine's durable state as plain JSON: outages with their waiting clients (each with the
// MAC it was seen with, which makes it part of a device), and the contacts registered at run
// time. Pending SYNs are not kept: they live seconds, not restarts.
//
// Version 2 holds addresses of both families as text (dotted quad or RFC 5952); version 1
// (IPv4 only, otherwise the same shape) is still read.

import { ipFromV4, parseIp } from '../net/ip';
import { parseMac } from '../net/mac';
import type { ContactSource } from './contacts';
import { DOWN_CAUSES, type DownCause } from './decisions';
import type { Engine, OutageView } from './engine';
import type { ContactsCopy, OutagesCopy, SavedContact } from './state-copy';
import { NIL } from './outages';

export const STATE_VERSION = 2;
/** Versions importState reads. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2];

export type { SavedContact } from './state-copy';

export interface EngineState {
  version: number;
  savedAt: number;
  outages: OutageView[];
  contacts: SavedContact[];
}

export function exportState(engine: Engine, now: number): EngineState {
  return new StateCopy(engine, now, {}).toJSON();
}

/**
 * The state at one instant, taken in a few milliseconds, and written later: `jsonPieces()`
 * yields the text of `toJSON()` piece by piece (an outage header, a client, a contact), so a
 * writer can let the event loop run between them. `extra` is added at the top level, last.
 */
export class StateCopy<Extra extends Record<string, number> = Record<never, number>> {
  private readonly outages: OutagesCopy;
  private readonly contacts: ContactsCopy;

  constructor(engine: Engine, private readonly savedAt: number, readonly extra: Extra) {
    this.outages = engine.copyOutages();
    this.contacts = engine.contacts.copy();
  }

  toJSON(): EngineState & Extra {
    return { version: STATE_VERSION, savedAt: this.savedAt, outages: this.outages.views(), contacts: [...this.contacts.saved()], ...this.extra };
  }

  /** Joined, exactly JSON.stringify(this.toJSON()). */
  *jsonPieces(): Generator<string> {
    yield `{"version":${STATE_VERSION},"savedAt":${JSON.stringify(this.savedAt)},"outages":[`;
    for (let i = 0; i < this.outages.length; i++) {
      const head = JSON.stringify(this.outages.head(i)); // ends in "clients":[]}
      yield `${i > 0 ? ',' : ''}${head.slice(0, -2)}`;
      let first = true;
      for (const c of this.outages.clientsOf(i)) {
        yield `${first ? '' : ','}${JSON.stringify(c)}`;
        first = false;
      }
      yield ']}';
    }
    yield '],"contacts":[';
    let first = true;
    for (const c of this.contacts.saved()) {
      yield `${first ? '' : ','}${JSON.stringify(c)}`;
      first = false;
    }
    yield ']';
    for (const [key, value] of Object.entries(this.extra)) yield `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
    yield '}';
  }
}

/**
 * Loads saved state into a fresh engine at time `now`. Entries that do not parse, or no longer
 * fit the configured watch list, are skipped and reported, never fatal. An outage that no
 * longer fits the server table is reported by the engine as expired (cause 'evicted'), and
 * waiting clients that do not fit are evicted as at run time: both are decisions, so whoever
 * acted on the outage learns it ended.
 */
export function importState(engine: Engine, state: unknown, now: number): { restored: number; skipped: string[] } {
  const skipped: string[] = [];
  let restored = 0;
  if (typeof state !== 'object' || state === null || !READABLE_VERSIONS.includes((state as EngineState).version)) {
    return { restored, skipped: ['state file has an unknown version; starting empty'] };
  }
  const s = state as EngineState;
  const evictedBefore = engine.counters.evictions['table-full'] + engine.counters.evictions['server-cap'];
  for (const outage of Array.isArray(s.outages) ? s.outages : []) {
    const server = typeof outage?.server === 'string' ? parseIp(outage.server) : null;
    const cause = DOWN_CAUSES.includes(outage?.cause) ? outage.cause as DownCause : null;
    if (server === null || cause === null || typeof outage.since !== 'number') { skipped.push(`outage ${JSON.stringify(outage?.server)}: malformed`); continue; }
    if (!engine.watches(server)) { skipped.push(`outage ${outage.server}: no longer watched`); continue; }
    // A restart loses the evidence of a hold; a holding server has to show itself alive again.
    const slot = engine.restoreOutage(now, server, outage.since, cause);
    if (slot === 'duplicate') { skipped.push(`outage ${outage.server}: listed twice`); continue; }
    if (slot === NIL) { skipped.push(`outage ${outage.server}: server table full (reported as expired, evicted)`); continue; }
    restored++;
    for (const c of Array.isArray(outage.clients) ? outage.clients : []) {
      const client = typeof c?.client === 'string' ? parseIp(c.client) : null;
      if (client === null || typeof c.firstAttempt !== 'number' || typeof c.lastAttempt !== 'number') {
        skipped.push(`client ${JSON.stringify(c?.client)} of ${outage.server}: malformed`);
        continue;
      }
      const mac = typeof c.mac === 'string' ? parseMac(c.mac) ?? 0 : 0;
      engine.restoreClient(now, slot, client, c.firstAttempt, c.lastAttempt, mac);
    }
  }
  const evicted = engine.counters.evictions['table-full'] + engine.counters.evictions['server-cap'] - evictedBefore;
  if (evicted > 0) skipped.push(`${evicted} waiting clients: tables full (reported as expired)`);
  for (const c of Array.isArray(s.contacts) ? s.contacts : []) {
    const client = typeof c?.client === 'string' ? parseIp(c.client) : null;
    const mac = typeof c?.mac === 'string' ? parseMac(c.mac) : null;
    if ((client === null && mac === null) || typeof c.mail !== 'string' || typeof c.registeredAt !== 'number') {
      skipped.push(`contact ${JSON.stringify(c?.mail)}: malformed`);
      continue;
    }
    const source: ContactSource = c.source === 'policy' ? 'policy' : 'page';
    const device = typeof c.device === 'string' ? parseMac(c.device) ?? 0 : 0;
    engine.contacts.set(client !== null ? { client } : { mac: mac! },
      { mail: c.mail, registeredAt: c.registeredAt, source, ...(device !== 0 ? { deviceMac: device } : {}) });
  }
  return { restored, skipped };
}

/** Contacts set up in advance (73) from the configuration. */
export function seedContacts(
  engine: Engine,
  contacts: readonly { client: number | null; mac: number | null; mail: string }[],
  now: number,
): void {
  engine.contacts.dropConfigured();
  for (const c of contacts) {
    const key = c.client !== null ? { client: ipFromV4(c.client) } : c.mac !== null ? { mac: c.mac } : null;
    if (key !== null) engine.contacts.set(key, { mail: c.mail, registeredAt: now, source: 'config' });
  }
}
