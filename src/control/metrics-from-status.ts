// The Prometheus view of a status report: one source of numbers for `backsoon status`,
// `backsoon metrics` and the metrics listener.
import type { MetricsSnapshot } from './metrics';
import type { DecodeStats } from '../packet/stats';
import type { StatusReport } from './status';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Counters by reason with the reasons as label values: `badCommunity` becomes `bad-community`. */
function kebabKeys<K extends string>(counts: Readonly<Partial<Record<K, number>>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries<number | undefined>(counts)) if (v !== undefined) out[kebab(k)] = v;
  return out;
}

export function metricsFromStatus(r: StatusReport): MetricsSnapshot {
  const p = r.packets;
  const e = r.engine;
  const captures: Record<string, { received: number; dropped: number; ifDropped: number }> = {};
  for (const c of r.captures) captures[c.interface] = { received: c.received, dropped: c.dropped, ifDropped: c.ifDropped };
  const hooks = Object.entries(r.policy?.perHook ?? {});
  return {
    version: r.version,
    startTimeSeconds: r.startedAt,
    serversDown: r.outages.length,
    waitingClients: r.waitingClients,
    contacts: r.contacts,
    outboxQueued: r.outbox.queued,
    outboxUnsaved: r.outbox.unsaved,
    storageFailing: { outbox: r.outbox.storageError !== null, state: r.state.error !== null, registrations: r.registrations.error !== null },
    detections: { ...e.downs },
    recoveries: { ...e.recoveries },
    notices: r.outbox.outcomes,
    // A pending SYN pushed out of a full table is a registration that can no longer happen.
    evictions: { ...e.dropped, 'pending-syn-overflow': r.tables.synOverflows ?? 0 },
    // Absent from the report of a daemon older than the counter.
    evictedByTrust: e.evicted ?? { verified: 0, unverified: 0 },
    refusedClients: { 'off-network': e.refusedOffNetwork ?? 0, 'no-contact': e.refusedNoContact },
    outagesEvicted: e.outagesEvicted ?? 0,
    // Absent from the report of a daemon older than the counter.
    icmpForged: { ...(e.icmpForged ?? { address: 0, mac: 0 }) },
    packets: packetKinds(p),
    malformedPackets: kebabKeys(p.malformed),
    captures,
    tables: {
      servers: { used: r.tables.servers, capacity: r.tables.serverCapacity },
      links: { used: r.tables.links, capacity: r.tables.linkCapacity },
      'pending-syns': { used: r.tables.pendingSyns, capacity: r.tables.synCapacity },
    },
    policyCalls: Object.fromEntries(hooks.map(([hook, h]) => [hook, h.calls])),
    policyErrors: Object.fromEntries(hooks.map(([hook, h]) => [hook, h.errors])),
    trapIgnored: kebabKeys(r.traps?.ignored ?? {}),
  };
}

/** Decoded frames by kind: every outcome counter of DecodeStats, so a new one is exported as it lands. */
function packetKinds(p: DecodeStats): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k !== 'frames' && typeof v === 'number') kinds[KIND_LABELS[k] ?? kebab(k)] = v;
  }
  return kinds;
}

/** Labels older than the rule "the counter's name in kebab case". */
const KIND_LABELS: Readonly<Record<string, string>> = { fragments: 'fragment' };
