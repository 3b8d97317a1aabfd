// What `backsoon status` reports: built by the daemon, printed by the CLI, read by rpcd/LuCI.
// Each part has its own typed section; the text status and the metrics render from these types
// (docs/DECISIONS.md, "The status report, part by part": how to add a counter).
import type { NeighbourStats } from '../capture/neighbours';
import type { ProberStats } from '../capture/probes';
import type { IgnoreReason } from '../capture/trap-filter';
import type { EngineCounters, OutageView } from '../engine/engine';
import type { DispatchCounters } from '../notify/targets-dispatch';
import type { OutboxEvent } from '../notify/outbox/types';
import type { DecodeStats } from '../packet/stats';
import type { IsolatedPolicyStats } from '../policy/isolated';
import type { StandInStats } from '../standin/standin';
import type { UbusCounters } from '../ubus/client';
import type { ReloadCounts } from '../daemon/reload';
import type { DirectNoticeCounters } from '../daemon/direct-notices';
import type { JournalStatus } from './registration-journal';
import type { SnapshotStatus } from './snapshot';

export interface CaptureStatus {
  interface: string;
  role: 'client' | 'server';
  received: number;
  dropped: number;
  ifDropped: number;
}

/** How a notice left the outbox: delivered, put back for later, or given up. */
export type DeliveryOutcome = Exclude<OutboxEvent['type'], 'queued'>;

export interface OutboxStatus {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  retries: number;
  /** Notices held in memory only because the disk refused them (they are still sent). */
  unsaved: number;
  /** Why the outbox cannot write ("ENOSPC"), and since when (Unix seconds); null while it can. */
  storageError: string | null;
  storageErrorSince: number | null;
  /** Outcomes since start, by channel (mail, trap, webhook, delegation). */
  outcomes: Record<string, Partial<Record<DeliveryOutcome, number>>>;
}

/** Why a datagram on the trap port did not become a recovery signal (after the filter, the confirm step). */
export type TrapIgnoreReason = IgnoreReason | 'confirmFailed' | 'unconfirmable';

export interface TrapStatus {
  /** Datagrams that reached the port. */
  received: number;
  accepted: number;
  /** SNMPv3 engine-ID discovery requests answered. */
  discoveries: number;
  /** Recovery traps a probe confirmed (option confirm). */
  confirmed: number;
  ignored: Record<TrapIgnoreReason, number>;
  /** Every datagram that did not become (or lead to) a recovery signal: the sum of `ignored`. */
  rejected: number;
}

/** The sections of the parts that run only when configured: absent while the part is off. */
export interface PartSections {
  neighbours?: NeighbourStats;
  probes?: ProberStats;
  traps?: TrapStatus;
  standin?: StandInStats;
  ubus?: UbusCounters;
  policy?: IsolatedPolicyStats;
}

export interface StatusReport extends PartSections {
  version: string;
  pid: number;
  startedAt: number;
  now: number;
  config: string;
  outages: OutageView[];
  waitingClients: number;
  contacts: number;
  outbox: OutboxStatus;
  captures: CaptureStatus[];
  packets: DecodeStats;
  engine: EngineCounters;
  /** Whose ICMP errors count: this host's addresses and router_address (absent from older daemons). */
  routerAddresses?: string[];
  /** The state file (STATE_DIR/state.json). */
  state: SnapshotStatus;
  /** Stand-in registrations saved between two state files (STATE_DIR/registrations.N.jsonl). */
  registrations: JournalStatus;
  tables: { servers: number; serverCapacity: number; links: number; linkCapacity: number; pendingSyns: number; synCapacity: number; synOverflows: number };
  /** P9: the recovery mails to the waiting clients themselves. */
  directNotices: DirectNoticeCounters;
  /** Traps, webhooks and targets mails queued per outage edge. */
  outbound: DispatchCounters;
  control: { badRequests: number };
  reloads: ReloadCounts;
}

/** The sections `backsoon status` prints as "name: counter value, ..." lines, in this order. */
export const COUNTER_SECTIONS = [
  'directNotices', 'outbound', 'control', 'reloads', 'policy', 'neighbours', 'probes', 'traps', 'standin', 'ubus',
] as const satisfies readonly (keyof StatusReport)[];

/** Fails to compile while a part of PartSections is missing from COUNTER_SECTIONS. */
type ListsEveryPart<Missing extends never> = Missing;
export type CounterSectionsComplete = ListsEveryPart<Exclude<keyof PartSections, (typeof COUNTER_SECTIONS)[number]>>;

/** A section's numbers as "path value" pairs ("refused.csrf", 3); other values are left out. */
export function counterEntries(section: object, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [key, value] of Object.entries(section)) {
    if (typeof value === 'number') out.push([prefix + key, value]);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(...counterEntries(value, `${prefix}${key}.`));
  }
  return out;
}
