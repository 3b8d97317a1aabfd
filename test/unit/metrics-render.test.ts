// renderMetrics() output, read back by the strict exposition parser in metrics-exposition.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSnapshot } from '../../src/control/metrics';
import { parseExposition, type ParsedFamily } from './metrics-exposition';

const empty: MetricsSnapshot = {
  version: '0.1.0', startTimeSeconds: 1748874600, serversDown: 0, waitingClients: 0, contacts: 0, outboxQueued: 0, outboxUnsaved: 0,
  storageFailing: { outbox: false, state: false },
  detections: {}, recoveries: {}, notices: {}, evictions: {}, evictedByTrust: {}, refusedClients: {}, outagesEvicted: 0, icmpForged: {}, packets: {}, malformedPackets: {}, captures: {},
  tables: {}, policyCalls: {}, policyErrors: {}, trapIgnored: {},
};

const busy: MetricsSnapshot = {
  ...empty,
  serversDown: 2, waitingClients: 17, contacts: 40, outboxQueued: 3, outboxUnsaved: 2,
  storageFailing: { outbox: true, state: false },
  detections: { 'icmp-unreachable': 5, 'syn-timeout': 2 },
  recoveries: { 'arp-reply': 4, trap: 1 },
  notices: { mail: { sent: 12, failed: 1 }, trap: { sent: 2 } },
  evictions: { 'table-full': 7, 'server-cap': 0 },
  evictedByTrust: { unverified: 6, verified: 1 },
  refusedClients: { 'off-network': 300, 'no-contact': 0 },
  outagesEvicted: 2,
  icmpForged: { address: 3, mac: 1 },
  packets: { syn: 1000, 'syn-ack': 990, 'icmp-unreachable': 12 },
  malformedPackets: { truncatedIp: 1 },
  captures: { 'br-lan': { received: 5000, dropped: 3, ifDropped: 0 }, wan: { received: 10, dropped: 0, ifDropped: 1 } },
  tables: { servers: { used: 2, capacity: 1024 }, links: { used: 17, capacity: 0 } },
  policyCalls: { contactFor: 20, render: 12 },
  policyErrors: { contactFor: 1 },
  trapIgnored: { community: 4 },
};

function family(families: Map<string, ParsedFamily>, name: string): ParsedFamily {
  const f = families.get(name);
  assert.ok(f, `family ${name} is missing`);
  return f!;
}

function valueOf(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  return family(families, name).samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

test('an empty snapshot is a valid exposition with every family declared', () => {
  const families = parseExposition(renderMetrics(empty));
  for (const name of [
    'backsoon_servers_down', 'backsoon_waiting_clients', 'backsoon_detections_total', 'backsoon_notices_total',
    'backsoon_pcap_dropped_packets_total', 'backsoon_packets_total', 'backsoon_table_fill_ratio', 'backsoon_table_capacity',
    'backsoon_evictions_total', 'backsoon_policy_errors_total', 'backsoon_trap_ignored_total', 'backsoon_outbox_queued',
    'backsoon_start_time_seconds', 'backsoon_outages_evicted_total', 'backsoon_evicted_clients_total', 'backsoon_refused_clients_total', 'backsoon_icmp_forged_total',
  ]) family(families, name);
  assert.is(valueOf(families, 'backsoon_servers_down'), 0);
  assert.is(valueOf(families, 'backsoon_start_time_seconds'), 1748874600);
  assert.equal(family(families, 'backsoon_detections_total').samples, []);
});

test('types follow the conventions: counters end in _total, the rest are gauges', () => {
  const families = parseExposition(renderMetrics(busy));
  for (const f of families.values()) {
    assert.is(f.type, f.name.endsWith('_total') ? 'counter' : 'gauge', f.name);
    assert.ok(f.help.length > 0, `${f.name} has help`);
    assert.ok(f.name.startsWith('backsoon_'), f.name);
  }
});

test('the snapshot values come out under the right labels', () => {
  const families = parseExposition(renderMetrics(busy));
  assert.is(valueOf(families, 'backsoon_waiting_clients'), 17);
  assert.is(valueOf(families, 'backsoon_outbox_unsaved'), 2);
  assert.is(valueOf(families, 'backsoon_storage_failing', { file: 'outbox' }), 1);
  assert.is(valueOf(families, 'backsoon_storage_failing', { file: 'state' }), 0);
  assert.is(valueOf(families, 'backsoon_detections_total', { cause: 'icmp-unreachable' }), 5);
  assert.is(valueOf(families, 'backsoon_notices_total', { channel: 'mail', result: 'failed' }), 1);
  assert.is(valueOf(families, 'backsoon_notices_total', { channel: 'trap', result: 'sent' }), 2);
  assert.is(valueOf(families, 'backsoon_pcap_dropped_packets_total', { interface: 'br-lan' }), 3);
  assert.is(valueOf(families, 'backsoon_pcap_interface_dropped_packets_total', { interface: 'wan' }), 1);
  assert.is(valueOf(families, 'backsoon_packets_total', { kind: 'syn-ack' }), 990);
  assert.is(valueOf(families, 'backsoon_table_capacity', { table: 'servers' }), 1024);
  assert.is(valueOf(families, 'backsoon_table_fill_ratio', { table: 'servers' }), 2 / 1024);
  // A table of capacity 0 (disabled) reads as empty, not NaN.
  assert.is(valueOf(families, 'backsoon_table_fill_ratio', { table: 'links' }), 0);
  assert.is(valueOf(families, 'backsoon_evictions_total', { reason: 'server-cap' }), 0);
  assert.is(valueOf(families, 'backsoon_outages_evicted_total'), 2);
  assert.is(valueOf(families, 'backsoon_evicted_clients_total', { trust: 'unverified' }), 6);
  assert.is(valueOf(families, 'backsoon_refused_clients_total', { reason: 'off-network' }), 300);
  assert.is(valueOf(families, 'backsoon_icmp_forged_total', { reason: 'address' }), 3);
  assert.is(valueOf(families, 'backsoon_icmp_forged_total', { reason: 'mac' }), 1);
  assert.is(valueOf(families, 'backsoon_policy_errors_total', { hook: 'contactFor' }), 1);
  assert.is(valueOf(families, 'backsoon_trap_ignored_total', { reason: 'community' }), 4);
  assert.is(valueOf(families, 'backsoon_build_info', { version: '0.1.0' }), 1);
});

test('hostile label values are escaped and read back unchanged', () => {
  const hostile = [
    'eth0"} 1\nbacksoon_servers_down 99',
    'back\\slash\\',
    '\\n is not a newline',
    'quote " and \\" mixed',
    'tab\there, cr\rthere',
    'ünïcødé 🚀',
    '',
    '{},="',
  ];
  const captures: Record<string, { received: number; dropped: number; ifDropped: number }> = {};
  hostile.forEach((name, i) => { captures[name] = { received: i, dropped: i + 100, ifDropped: 0 }; });
  const text = renderMetrics({ ...busy, captures, trapIgnored: { [hostile[0]]: 1, [hostile[1]]: 2 }, version: 'v"1\n' });
  const families = parseExposition(text);
  const dropped = family(families, 'backsoon_pcap_dropped_packets_total').samples;
  assert.equal(dropped.map((s) => s.labels.interface).sort(), [...hostile].sort());
  hostile.forEach((name, i) => assert.is(valueOf(families, 'backsoon_pcap_dropped_packets_total', { interface: name }), i + 100));
  assert.is(valueOf(families, 'backsoon_trap_ignored_total', { reason: hostile[1] }), 2);
  assert.is(valueOf(families, 'backsoon_build_info', { version: 'v"1\n' }), 1);
  // The injected line stayed inside the label: the real gauge keeps its value.
  assert.is(valueOf(families, 'backsoon_servers_down'), 2);
});

test('a lone surrogate in a label becomes U+FFFD so the page stays valid UTF-8', () => {
  const families = parseExposition(renderMetrics({ ...empty, packets: { ['bad\ud800kind']: 1 } }));
  assert.is(valueOf(families, 'backsoon_packets_total', { kind: 'bad\ufffdkind' }), 1);
});

test('non-finite and large values use the format\'s spellings', () => {
  const text = renderMetrics({ ...empty, serversDown: NaN, waitingClients: Infinity, contacts: -Infinity, outboxQueued: 1e21 });
  const families = parseExposition(text);
  assert.ok(Number.isNaN(valueOf(families, 'backsoon_servers_down')));
  assert.is(valueOf(families, 'backsoon_waiting_clients'), Infinity);
  assert.is(valueOf(families, 'backsoon_contacts'), -Infinity);
  assert.is(valueOf(families, 'backsoon_outbox_queued'), 1e21);
  assert.match(text, /^backsoon_waiting_clients \+Inf$/m);
});

test('the content type names format 0.0.4', () => {
  assert.is(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
});

// The parser must be able to fail, or the tests above prove nothing.
const broken: Record<string, string> = {
  'no final newline': '# HELP a_total x\n# TYPE a_total counter\na_total 1',
  'unescaped quote': '# HELP a_total x\n# TYPE a_total counter\na_total{k="a"b"} 1\n',
  'bad escape': '# HELP a_total x\n# TYPE a_total counter\na_total{k="a\\tb"} 1\n',
  'second TYPE': '# HELP a_total x\n# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n',
  'sample before TYPE': 'a_total 1\n# HELP a_total x\n# TYPE a_total counter\n',
  'TYPE without HELP': '# TYPE a_total counter\na_total 1\n',
  'counter without _total': '# HELP a x\n# TYPE a counter\na 1\n',
  'gauge with _total': '# HELP a_total x\n# TYPE a_total gauge\na_total 1\n',
  'duplicate series': '# HELP a_total x\n# TYPE a_total counter\na_total{k="1",j="2"} 1\na_total{j="2",k="1"} 2\n',
  'samples apart': '# HELP a_total x\n# TYPE a_total counter\na_total{k="1"} 1\n# HELP b x\n# TYPE b gauge\nb 1\na_total{k="2"} 1\n',
  'bad value': '# HELP a x\n# TYPE a gauge\na one\n',
  'negative counter': '# HELP a_total x\n# TYPE a_total counter\na_total -1\n',
  'reserved label': '# HELP a x\n# TYPE a gauge\na{__name__="x"} 1\n',
  'label twice': '# HELP a x\n# TYPE a gauge\na{k="1",k="2"} 1\n',
  'bad metric name': '# HELP 1a x\n# TYPE 1a gauge\n1a 1\n',
  'two spaces': '# HELP a x\n# TYPE a gauge\na  1\n',
  'empty line': '# HELP a x\n# TYPE a gauge\n\na 1\n',
};
for (const [what, text] of Object.entries(broken)) {
  test(`the strict parser refuses: ${what}`, () => {
    assert.throws(() => parseExposition(text));
  });
}

test('the strict parser accepts the forms the format allows', () => {
  const families = parseExposition('# HELP a x\n# TYPE a gauge\na{k="v",} 1.5e3 1700000000000\n# just a comment\n# HELP b_total y\n# TYPE b_total counter\nb_total +Inf\n');
  assert.is(families.get('a')!.samples[0].value, 1500);
  assert.is(families.get('b_total')!.samples[0].value, Infinity);
});

test.run();
