// Prometheus text exposition format 0.0.4, rendered from a plain snapshot of the daemon's
// counters. Every family is always written with its HELP and TYPE, so a scrape shows the
// whole set even before anything has happened; label values come from the outside (interface
// names, trap reasons) and are escaped.

/** Counts by one label value, e.g. detections by cause. */
export type CountsBy = Readonly<Record<string, number>>;

export interface CaptureCounts {
  /** Packets libpcap handed over. */
  readonly received: number;
  /** Dropped by libpcap (buffer full). */
  readonly dropped: number;
  /** Dropped by the interface or driver. */
  readonly ifDropped: number;
}

export interface TableFill {
  readonly used: number;
  readonly capacity: number;
}

export interface MetricsSnapshot {
  readonly version: string;
  /** Unix seconds when the daemon started. */
  readonly startTimeSeconds: number;
  readonly serversDown: number;
  readonly waitingClients: number;
  /** Known client mail addresses (73/74). */
  readonly contacts: number;
  readonly outboxQueued: number;
  /** Notices in memory only (the disk refused them). */
  readonly outboxUnsaved: number;
  /** Files the daemon keeps (outbox, state, registrations), by name: whether writing them fails now. */
  readonly storageFailing: Readonly<Record<string, boolean>>;
  /** Outages detected, by cause (icmp-unreachable, syn-timeout, arp-silence, ...). */
  readonly detections: CountsBy;
  /** Outages ended, by cause (arp-reply, syn-ack, trap, probe, ...). */
  readonly recoveries: CountsBy;
  /** Notices by channel (mail, trap, webhook, delegation), then by result (sent, failed, ...). */
  readonly notices: Readonly<Record<string, CountsBy>>;
  /** Client registrations dropped, by reason (table-full, server-cap, max-attempt-age, ...). */
  readonly evictions: CountsBy;
  /** The table-full and server-cap evictions, by the trust of the client that went (verified, unverified). */
  readonly evictedByTrust: CountsBy;
  /** Attempts never registered, by reason (off-network, no-contact). */
  readonly refusedClients: CountsBy;
  /** Outages forgotten without a recovery to make room in a full server table. */
  readonly outagesEvicted: number;
  /** ICMP errors not from the router, not acted on, by what gave them away (address, mac). */
  readonly icmpForged: CountsBy;
  /** Decoded frames, by kind (syn, syn-ack, reset, icmp-unreachable, arp, ignored, ...). */
  readonly packets: CountsBy;
  /** Frames refused by the decoder, by reason. */
  readonly malformedPackets: CountsBy;
  /** Capture counters, by interface name. */
  readonly captures: Readonly<Record<string, CaptureCounts>>;
  /** Fixed-capacity tables (servers, links, pending-syns, contacts), by name. */
  readonly tables: Readonly<Record<string, TableFill>>;
  /** Policy hook calls and failures, by hook. */
  readonly policyCalls: CountsBy;
  readonly policyErrors: CountsBy;
  /** SNMP traps not acted on, by reason (community, unknown-source, ...). */
  readonly trapIgnored: CountsBy;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type MetricType = 'counter' | 'gauge';
type Sample = { readonly labels: Readonly<Record<string, string>>; readonly value: number };

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string, samples: readonly Sample[]): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) this.lines.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function renderMetrics(s: MetricsSnapshot): string {
  const out = new Exposition();
  const one = (value: number): Sample[] => [{ labels: {}, value }];
  out.family('backsoon_build_info', 'gauge', 'Always 1; the version label says which backsoon runs.', [{ labels: { version: s.version }, value: 1 }]);
  out.family('backsoon_start_time_seconds', 'gauge', 'When the daemon started, Unix seconds.', one(s.startTimeSeconds));
  out.family('backsoon_servers_down', 'gauge', 'Servers currently in the outage table.', one(s.serversDown));
  out.family('backsoon_waiting_clients', 'gauge', 'Clients waiting to be told that their server is back.', one(s.waitingClients));
  out.family('backsoon_contacts', 'gauge', 'Client mail addresses known (configuration and stand-in page).', one(s.contacts));
  out.family('backsoon_outbox_queued', 'gauge', 'Notices queued in the outbox, not yet delivered.', one(s.outboxQueued));
  out.family('backsoon_outbox_unsaved', 'gauge', 'Notices held in memory only because the disk refused them (still sent).', one(s.outboxUnsaved));
  out.family('backsoon_storage_failing', 'gauge', '1 while writing this file of the state_dir fails (a full disk), else 0.',
    Object.entries(s.storageFailing).map(([file, failing]) => ({ labels: { file }, value: failing ? 1 : 0 })));
  out.family('backsoon_detections_total', 'counter', 'Outages detected, by cause.', by('cause', s.detections));
  out.family('backsoon_recoveries_total', 'counter', 'Outages ended, by what showed the server was back.', by('cause', s.recoveries));
  out.family('backsoon_notices_total', 'counter', 'Notices handled, by channel and result.', byTwo('channel', 'result', s.notices));
  out.family('backsoon_evictions_total', 'counter', 'Client registrations dropped, by reason.', by('reason', s.evictions));
  out.family('backsoon_evicted_clients_total', 'counter',
    'Waiting clients pushed out of a full table, by trust: unverified ones (never seen as a real host) go first.', by('trust', s.evictedByTrust));
  out.family('backsoon_refused_clients_total', 'counter', 'Attempts never registered, by reason.', by('reason', s.refusedClients));
  out.family('backsoon_outages_evicted_total', 'counter', 'Outages forgotten without a recovery to make room in a full server table.', one(s.outagesEvicted));
  out.family('backsoon_icmp_forged_total', 'counter',
    "ICMP destination-unreachable errors not acted on because the router did not send them, by what showed it: " +
    "address (IP source not one of the router's), mac (Ethernet source not the router's).", by('reason', s.icmpForged));
  out.family('backsoon_packets_total', 'counter', 'Captured frames decoded, by kind.', by('kind', s.packets));
  out.family('backsoon_malformed_packets_total', 'counter', 'Captured frames refused by the decoder, by reason.', by('reason', s.malformedPackets));
  const captures = Object.entries(s.captures);
  out.family('backsoon_pcap_received_packets_total', 'counter', 'Packets libpcap delivered, by interface.',
    captures.map(([iface, c]) => ({ labels: { interface: iface }, value: c.received })));
  out.family('backsoon_pcap_dropped_packets_total', 'counter', 'Packets libpcap dropped (buffer full), by interface.',
    captures.map(([iface, c]) => ({ labels: { interface: iface }, value: c.dropped })));
  out.family('backsoon_pcap_interface_dropped_packets_total', 'counter', 'Packets the interface or its driver dropped, by interface.',
    captures.map(([iface, c]) => ({ labels: { interface: iface }, value: c.ifDropped })));
  const tables = Object.entries(s.tables);
  out.family('backsoon_table_entries', 'gauge', 'Entries in use in each fixed-capacity table.',
    tables.map(([table, t]) => ({ labels: { table }, value: t.used })));
  out.family('backsoon_table_capacity', 'gauge', 'Capacity of each fixed-capacity table (set in UCI).',
    tables.map(([table, t]) => ({ labels: { table }, value: t.capacity })));
  out.family('backsoon_table_fill_ratio', 'gauge', 'Entries in use over capacity, 0 to 1.',
    tables.map(([table, t]) => ({ labels: { table }, value: t.capacity > 0 ? t.used / t.capacity : 0 })));
  out.family('backsoon_policy_calls_total', 'counter', 'Operator policy hook calls, by hook.', by('hook', s.policyCalls));
  out.family('backsoon_policy_errors_total', 'counter', 'Policy hook calls whose result was not used (threw, timed out, invalid...), by hook.', by('hook', s.policyErrors));
  out.family('backsoon_trap_ignored_total', 'counter', 'SNMP traps received and not acted on, by reason.', by('reason', s.trapIgnored));
  return out.text();
}

function by(label: string, counts: CountsBy): Sample[] {
  return Object.entries(counts).map(([value, count]) => ({ labels: { [label]: value }, value: count }));
}

function byTwo(first: string, second: string, counts: Readonly<Record<string, CountsBy>>): Sample[] {
  const samples: Sample[] = [];
  for (const [a, inner] of Object.entries(counts)) {
    for (const [b, count] of Object.entries(inner)) samples.push({ labels: { [first]: a, [second]: b }, value: count });
  }
  return samples;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Label values: backslash, double quote and line feed are escaped; nothing else may be. */
export function escapeLabelValue(value: string): string {
  return wellFormed(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Lone surrogates cannot be written as UTF-8; a scraper would reject the whole page. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
