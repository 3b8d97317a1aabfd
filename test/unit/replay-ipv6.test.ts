// The detectors over captures of the real Linux kernel over IPv6 (test/fixtures/ipv6, see its
// README): what an admin replaying such a capture must see, as for IPv4 in replay-fixtures.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { runCapture } from '../../src/core';
import { malformedTotal } from '../../src/packet/stats';
import { only, summary as summaryOf } from './decision-summary';
import { routerAddresses } from './router';

const SERVER = '2001:db8:2::10';
const C = '2001:db8:1::10';
const C1 = '2001:db8:1::11';

function replay(name: string, options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('2001:db8:1::1', '2001:db8:2::1'), ...options }, (d) => decisions.push(d));
  const { stats } = runCapture(readFileSync(`test/fixtures/ipv6/${name}`), engine);
  assert.is(malformedTotal(stats), 0, `${name}: no malformed frames`);
  return { decisions, summary: decisions.map(summaryOf), engine };
}

test('IPv6, server not cached: the router\'s ICMPv6 address unreachable names server and client (P3)', () => {
  assert.equal(replay('uncached.pcap').summary, [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} ${C}`]);
});

test('IPv6 server side of the same outage: neighbour solicitations unanswered mark it down', () => {
  assert.equal(replay('uncached-server-side.pcap').summary, [`down ${SERVER} nd-silence`]);
});

test('IPv6, server cached: down once the router gives up on the stale entry', () => {
  assert.equal(replay('cached.pcap').summary, [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} ${C}`]);
});

test('IPv6, server cached, server side: the unicast reachability probes count as solicitations; the pending SYN is the attempt', () => {
  assert.equal(replay('cached-server-side.pcap').summary, [`down ${SERVER} nd-silence`, `attempt ${SERVER} ${C}`]);
});

test('IPv6 whole story on a client-side interface: down, both clients, the SYN/ACK, one notice each under one outage id', () => {
  const { summary, decisions } = replay('outage-client-side.pcap');
  assert.equal(summary, [
    `down ${SERVER} icmp-unreachable`, `attempt ${SERVER} ${C}`, `attempt ${SERVER} ${C1}`,
    `recovered ${SERVER} syn-ack`, `notify ${SERVER} ${C}`, `notify ${SERVER} ${C1}`,
  ]);
  const notices = only(decisions, 'notify');
  assert.ok(notices.every((n) => n.outage === notices[0].outage));
  assert.equal(notices.map((n) => n.addresses), [[C], [C1]], 'two machines (two MACs): two devices');
});

test('IPv6 whole story on "any" (SLL2, every packet seen twice): one outage, each client once, recovered', () => {
  const { summary } = replay('outage-any.pcap');
  assert.equal(summary.filter((s) => s.startsWith('attempt')), [`attempt ${SERVER} ${C}`, `attempt ${SERVER} ${C1}`]);
  assert.is(summary.filter((s) => s.startsWith('down')).length, 1);
  assert.ok(summary.some((s) => s.startsWith(`recovered ${SERVER}`)));
});

test('IPv6 whole story on the server side: solicitations unanswered, then the advertisement without a link-layer option (P8)', () => {
  assert.equal(replay('outage-server-side.pcap').summary, [
    `down ${SERVER} nd-silence`, `attempt ${SERVER} ${C}`, `recovered ${SERVER} nd-advert`, `notify ${SERVER} ${C}`,
  ]);
});

test('IPv6 silent service: down after syn_timeout, the SYN/ACK brings it back (P4)', () => {
  const { summary, decisions } = replay('silent-service.pcap');
  assert.equal(summary, [`down ${SERVER} syn-timeout`, `attempt ${SERVER} ${C}`, `recovered ${SERVER} syn-ack`, `notify ${SERVER} ${C}`]);
  const down = only(decisions, 'down')[0];
  assert.is(Math.round(down.t - down.since), 30);
});

test.run();
