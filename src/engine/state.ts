// The engine's durable state as plain JSON: outages with their waiting clients (each with the
// MAC it was seen with, which makes it part of a device), and the contacts registered at run
// time. Pending SYNs are not kept: they live seconds, not restarts.
//
// Version 2 holds addresses of both families as text (dotted quad or RFC 5952); version 1
// (IPv4 only, otherwise the same shape) is still read.

import { ipFromV4, parseIp } from '../net/ip';
import { formatMac, parseMac } from '../net/mac';
import type { ContactSource } from './contacts';
import { DOWN_CAUSES, type DownCause } from './decisions';
import type { Engine, OutageView } from './engine';
import { NIL } from './outages';

export const STATE_VERSION = 2;
/** Versions importState reads. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2];

export interface SavedContact {
  client?: string;
  mac?: string;
  /** The MAC of the device a page registration came from (it keeps the registration its own). */
  device?: string;
  mail: string;
  registeredAt: number;
  source: ContactSource;
}

export interface EngineState {
  version: number;
  savedAt: number;
  outages: OutageView[];
  contacts: SavedContact[];
}

export function exportState(engine: Engine, now: number): EngineState {
  const contacts: SavedContact[] = [];
  for (const c of engine.contacts.entries()) {
    if (c.source === 'config') continue; // the configuration brings those back itself
    contacts.push({
      ...(c.client !== null ? { client: c.client } : {}),
      ...(c.mac !== null ? { mac: formatMac(c.mac) } : {}),
      ...(c.deviceMac ? { device: formatMac(c.deviceMac) } : {}),
      mail: c.mail, registeredAt: c.registeredAt, source: c.source,
    });
  }
  return { version: STATE_VERSION, savedAt: now, outages: engine.outageList(), contacts };
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
