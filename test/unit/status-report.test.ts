// The status report, typed part by part: what `backsoon status` prints and what the metrics
// export come from the parts' own sections, and a counter added to a part shows in both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMetrics } from '../../src/control/metrics';
import { metricsFromStatus } from '../../src/control/metrics-from-status';
import { counterEntries, type StatusReport } from '../../src/control/status';
import { formatStatus } from '../../src/control/status-cli';
import type { DecodeStats } from '../../src/packet/stats';
import { sampleReport } from './board-helpers';
import { parseExposition } from './metrics-exposition';

function withParts(): StatusReport {
  return {
    ...sampleReport(),
    traps: {
      received: 9, accepted: 2, discoveries: 1, confirmed: 1,
      ignored: { unknownSource: 3, badCommunity: 2, unknownUser: 0, authFailure: 0, notRecoveryTrap: 1, malformed: 0, confirmFailed: 1, unconfirmable: 0 },
      rejected: 7,
    },
    policy: {
      calls: 7, errors: 1, timeouts: 1, outOfMemory: 0, stackOverflows: 0, invalidResults: 0, unavailable: 0, rebuilds: 0, threadRestarts: 1,
      perHook: { contactFor: { calls: 4, errors: 1 }, shouldNotify: { calls: 3, errors: 0 }, render: { calls: 0, errors: 0 } },
    },
    probes: { rounds: 5, unusable: 0, byMethod: { tcp: { sent: 4, succeeded: 1, failed: 3 }, arp: { sent: 0, succeeded: 0, failed: 0 }, neigh: { sent: 0, succeeded: 0, failed: 0 } } },
  };
}

function sample(text: string, family: string, labels: Record<string, string>): number | undefined {
  const f = parseExposition(text).get(family);
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('nested sections read as "path value" pairs; lists and text are left out', () => {
  assert.equal(counterEntries({ a: 1, b: { c: 2, d: { e: 3 } }, list: [1, 2], name: 'x', none: null }), [['a', 1], ['b.c', 2], ['b.d.e', 3]]);
});

test('the text status prints each part on its own line, with the counters of the typed section', () => {
  const text = formatStatus(withParts());
  assert.match(text, /^backsoon 0\.1\.0, pid 4242, up 2 h 0 min, config \/etc\/config\/backsoon$/m);
  assert.match(text, /^traps: received 9, accepted 2, discoveries 1, confirmed 1, ignored\.unknownSource 3, ignored\.badCommunity 2, .*rejected 7$/m);
  assert.match(text, /^probes: rounds 5, unusable 0, byMethod\.tcp\.sent 4, byMethod\.tcp\.succeeded 1, byMethod\.tcp\.failed 3,/m);
  assert.match(text, /^policy: calls 7, .*perHook\.contactFor\.calls 4, perHook\.contactFor\.errors 1,/m);
  assert.match(text, /^reloads: requested 1, started 1, done 1, refused 0, failed 0$/m);
  assert.match(text, /^ {2}mail: 37 sent, 5 retry, 2 given-up$/m);
  assert.match(text, /^Engine: serversFull 0, flaps 0, /m);
  assert.not.match(text, /^standin:/m, 'a part that is off has no line');
});

test('the metrics come from the typed sections: notices by channel, traps ignored by reason, policy calls by hook', () => {
  const text = renderMetrics(metricsFromStatus(withParts()));
  assert.is(sample(text, 'backsoon_notices_total', { channel: 'mail', result: 'given-up' }), 2);
  assert.is(sample(text, 'backsoon_trap_ignored_total', { reason: 'unknown-source' }), 3);
  assert.is(sample(text, 'backsoon_trap_ignored_total', { reason: 'confirm-failed' }), 1);
  assert.is(sample(text, 'backsoon_policy_calls_total', { hook: 'shouldNotify' }), 3);
  assert.is(sample(text, 'backsoon_policy_errors_total', { hook: 'contactFor' }), 1);
  assert.is(sample(text, 'backsoon_packets_total', { kind: 'fragment' }), 0, 'the label it always had');
  const off = renderMetrics(metricsFromStatus(sampleReport()));
  assert.equal(parseExposition(off).get('backsoon_trap_ignored_total')?.samples, [], 'no trap receiver, no samples');
});

test('a counter added to a part is in status --json, the text and the metrics without another change', () => {
  const r = withParts();
  const packets = { ...r.packets, forgedIcmp: 4 } as DecodeStats;
  const withNew: StatusReport = { ...r, packets, traps: { ...r.traps!, ignored: { ...r.traps!.ignored, replayed: 6 } as NonNullable<StatusReport['traps']>['ignored'] } };
  assert.is(JSON.parse(JSON.stringify(withNew)).traps.ignored.replayed, 6);
  assert.match(formatStatus(withNew), /ignored\.replayed 6/);
  const text = renderMetrics(metricsFromStatus(withNew));
  assert.is(sample(text, 'backsoon_trap_ignored_total', { reason: 'replayed' }), 6);
  assert.is(sample(text, 'backsoon_packets_total', { kind: 'forged-icmp' }), 4);
});

test.run();
