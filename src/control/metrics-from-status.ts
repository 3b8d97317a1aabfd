// The Prometheus view of a status report: one source of numbers for `backsoon status`,
// `backsoon metrics` and the metrics listener.
import type { MetricsSnapshot } from './metrics';
import type { StatusReport } from './status';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function metricsFromStatus(r: StatusReport): MetricsSnapshot {
  const p = r.packets;
  const e = r.engine;
  const captures: Record<string, { received: number; dropped: number; ifDropped: number }> = {};
  for (const c of r.captures) captures[c.interface] = { received: c.received, dropped: c.dropped, ifDropped: c.ifDropped };
  const malformed: Record<string, number> = {};
  for (const [k, v] of Object.entries(p.malformed)) malformed[kebab(k)] = v;
  const trapIgnored: Record<string, number> = {};
  const traps = r.extra.traps ?? {};
  for (const k of ['unknownSource', 'badCommunity', 'unknownUser', 'authFailure', 'notRecoveryTrap', 'malformed', 'confirmFailed', 'unconfirmable']) {
    if (k in traps) trapIgnored[kebab(k)] = traps[k];
  }
  const policy = r.extra.policy ?? {};
  const policyCalls: Record<string, number> = {};
  const policyErrors: Record<string, number> = {};
  for (const [k, v] of Object.entries(policy)) {
    const m = /^(calls|errors):(.+)$/.exec(k);
    if (m) (m[1] === 'calls' ? policyCalls : policyErrors)[m[2]] = v;
  }
  const notices: Record<string, Record<string, number>> = {};
  for (const [k, v] of Object.entries(r.extra.outboxEvents ?? {})) {
    const [channel, result] = k.split(':');
    (notices[channel] ??= {})[result] = v;
  }
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
    notices,
    // A pending SYN pushed out of a full table is a registration that can no longer happen.
    evictions: { ...e.dropped, 'pending-syn-overflow': r.tables.synOverflows ?? 0 },
    // Absent from the report of a daemon older than the counter.
    outagesEvicted: e.outagesEvicted ?? 0,
    // Absent from the report of a daemon older than the counter.
    icmpForged: { ...(e.icmpForged ?? { address: 0, mac: 0 }) },
    packets: {
      syn: p.syn, 'syn-ack': p.synAck, reset: p.reset, 'icmp-unreachable': p.icmpUnreachable, arp: p.arp,
      neighbour: p.neighbour, ignored: p.ignored, fragment: p.fragments, 'unsupported-link': p.unsupportedLink,
    },
    malformedPackets: malformed,
    captures,
    tables: {
      servers: { used: r.tables.servers, capacity: r.tables.serverCapacity },
      links: { used: r.tables.links, capacity: r.tables.linkCapacity },
      'pending-syns': { used: r.tables.pendingSyns, capacity: r.tables.synCapacity },
    },
    policyCalls,
    policyErrors,
    trapIgnored,
  };
}
