// The engine's durable state as plain JSON: outages with their waiting clients, and the
// contacts registered at run time. Pending SYNs are not kept: they live seconds, not restarts.

import { formatIPv4, parseIPv4 } from '../net/ipv4';
import { formatMac, parseMac } from '../net/mac';
import type { ContactSource } from './contacts';
import type { Cause } from './decisions';
import type { Engine, OutageView } from './engine';
import { NIL, ServerState, type Evicted } from './outages';

export const STATE_VERSION = 1;

export interface SavedContact {
  client?: string;
  mac?: string;
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
      ...(c.client !== null ? { client: formatIPv4(c.client) } : {}),
      ...(c.mac !== null ? { mac: formatMac(c.mac) } : {}),
      mail: c.mail, registeredAt: c.registeredAt, source: c.source,
    });
  }
  return { version: STATE_VERSION, savedAt: now, outages: engine.outageList(), contacts };
}

/**
 * Loads saved state into a fresh engine. Entries that do not parse, or no longer fit the
 * configured capacities or watch list, are skipped and reported, never fatal.
 */
export function importState(engine: Engine, state: unknown): { restored: number; skipped: string[] } {
  const skipped: string[] = [];
  let restored = 0;
  if (typeof state !== 'object' || state === null || (state as EngineState).version !== STATE_VERSION) {
    return { restored, skipped: ['state file has an unknown version; starting empty'] };
  }
  const s = state as EngineState;
  const causes: Cause[] = ['icmp-unreachable', 'syn-timeout', 'arp-silence', 'neigh-failed'];
  const o = engine.outages;
  const evicted: Evicted[] = [];
  for (const outage of Array.isArray(s.outages) ? s.outages : []) {
    const server = typeof outage?.server === 'string' ? parseIPv4(outage.server) : null;
    const cause = causes.indexOf(outage?.cause);
    if (server === null || cause < 0 || typeof outage.since !== 'number') { skipped.push(`outage ${JSON.stringify(outage?.server)}: malformed`); continue; }
    if (!engine.watches(server)) { skipped.push(`outage ${outage.server}: no longer watched`); continue; }
    if (o.findServer(server) !== NIL) { skipped.push(`outage ${outage.server}: listed twice`); continue; }
    const slot = o.addServer(server, outage.since, cause);
    if (slot === NIL) { skipped.push(`outage ${outage.server}: server table full`); continue; }
    if (outage.state === 'holding' && typeof outage.holdUntil === 'number') {
      // A restart loses the evidence of the hold; the server has to show itself alive again.
      o.serverState[slot] = ServerState.Down;
    }
    restored++;
    for (const c of Array.isArray(outage.clients) ? outage.clients : []) {
      const client = typeof c?.client === 'string' ? parseIPv4(c.client) : null;
      if (client === null || typeof c.firstAttempt !== 'number' || typeof c.lastAttempt !== 'number') {
        skipped.push(`client ${JSON.stringify(c?.client)} of ${outage.server}: malformed`);
        continue;
      }
      if (o.findLink(slot, client) !== NIL) continue;
      const mac = typeof c.mac === 'string' ? parseMac(c.mac) ?? 0 : 0;
      const link = o.addLink(slot, client, c.firstAttempt, mac, evicted);
      o.lastAttempt[link] = c.lastAttempt;
    }
  }
  for (const e of evicted) skipped.push(`client of ${e.server}: table full (${e.reason})`);
  for (const c of Array.isArray(s.contacts) ? s.contacts : []) {
    const client = typeof c?.client === 'string' ? parseIPv4(c.client) : null;
    const mac = typeof c?.mac === 'string' ? parseMac(c.mac) : null;
    if ((client === null && mac === null) || typeof c.mail !== 'string' || typeof c.registeredAt !== 'number') {
      skipped.push(`contact ${JSON.stringify(c?.mail)}: malformed`);
      continue;
    }
    const source: ContactSource = c.source === 'policy' ? 'policy' : 'page';
    engine.contacts.set(client !== null ? { client } : { mac: mac! }, { mail: c.mail, registeredAt: c.registeredAt, source });
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
    const key = c.client !== null ? { client: c.client } : c.mac !== null ? { mac: c.mac } : null;
    if (key !== null) engine.contacts.set(key, { mail: c.mail, registeredAt: now, source: 'config' });
  }
}
