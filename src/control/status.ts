// What `backsoon status` reports: built by the daemon, printed by the CLI, read by rpcd/LuCI.
import type { EngineCounters, OutageView } from '../engine/engine';
import type { DecodeStats } from '../packet/stats';
import type { JournalStatus } from './registration-journal';
import type { SnapshotStatus } from './snapshot';

export interface CaptureStatus {
  interface: string;
  role: 'client' | 'server';
  received: number;
  dropped: number;
  ifDropped: number;
}

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
}

export interface StatusReport {
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
  /** Other parts' counters by name (traps, probes, stand-in, policy...). */
  extra: Record<string, Record<string, number>>;
  tables: { servers: number; serverCapacity: number; links: number; linkCapacity: number; pendingSyns: number; synCapacity: number; synOverflows: number };
}
