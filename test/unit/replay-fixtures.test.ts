// The detectors over captures of the real Linux kernel (test/fixtures, see its README):
// what an admin replaying such a capture must see.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { runCapture } from '../../src/core';
import { malformedTotal } from '../../src/packet/stats';
import { only, summary as summaryOf } from './decision-summary';
import { routerAddresses } from './router';

const SERVER = '198.51.100.10';

function replay(name: string, options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1', '198.51.100.1'), ...options }, (d) => decisions.push(d));
  const { stats } = runCapture(readFileSync(`test/fixtures/${name}`), engine);
  assert.is(malformedTotal(stats), 0, `${name}: no malformed frames`);
  const summary = decisions.map(summaryOf);
  return { decisions, summary, engine, stats };
}

test('server MAC not cached: the router\'s ICMP host unreachable names server and client (P3)', () => {
  const { summary, engine } = replay('icmp-uncached.pcap');
  assert.equal(summary, [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} 192.0.2.10`]);
  assert.is(engine.outageList()[0].clients.length, 1);
});

test('server side of the same outage: unanswered ARP requests mark it down', () => {
  const { summary } = replay('icmp-uncached-server-side.pcap');
  assert.equal(summary, [`down ${SERVER} arp-silence`]);
});

test('server MAC cached: detection waits for the kernel to give up on the stale entry', () => {
  const { summary, decisions } = replay('icmp-cached.pcap');
  assert.equal(summary, [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} 192.0.2.10`]);
  const down = only(decisions, 'down')[0];
  assert.ok(down.t > down.since - 1);
});

test('whole story on a client-side interface: two clients wait, the SYN/ACK brings the notices (P8, P9)', () => {
  const { summary, decisions } = replay('outage-client-side.pcap');
  assert.equal(summary, [
    `down ${SERVER} icmp-unreachable`,
    `attempt ${SERVER} 192.0.2.10`,
    `attempt ${SERVER} 192.0.2.11`,
    `recovered ${SERVER} syn-ack`,
    `notify ${SERVER} 192.0.2.10`,
    `notify ${SERVER} 192.0.2.11`,
  ]);
  const notices = decisions.filter((d) => d.event === 'notify');
  assert.ok(notices.every((n) => n.outage === notices[0].outage && n.since! <= n.firstAttempt!));
});

test('whole story captured on "any" (SLL2, every packet seen twice): one outage, each client once', () => {
  const { summary } = replay('outage-any.pcap');
  assert.equal(summary, [
    `down ${SERVER} arp-silence`,
    `attempt ${SERVER} 192.0.2.10`,
    `attempt ${SERVER} 192.0.2.11`,
    `recovered ${SERVER} arp-reply`,
    `notify ${SERVER} 192.0.2.10`,
    `notify ${SERVER} 192.0.2.11`,
  ]);
});

test('whole story on the server-side interface: ARP silence, then the ARP reply (P8)', () => {
  const { summary } = replay('outage-server-side.pcap');
  assert.equal(summary.filter((s) => !s.startsWith('attempt')), [`down ${SERVER} arp-silence`, `recovered ${SERVER} arp-reply`, `notify ${SERVER} 192.0.2.10`]);
});

test('a silent service: SYNs unanswered for syn_timeout (30 s) mean down; the SYN/ACK means back (P4)', () => {
  const { summary, decisions } = replay('silent-service.pcap');
  assert.equal(summary, [`down ${SERVER} syn-timeout`, `attempt ${SERVER} 192.0.2.10`, `recovered ${SERVER} syn-ack`, `notify ${SERVER} 192.0.2.10`]);
  const down = only(decisions, 'down')[0];
  assert.is(Math.round(down.t - down.since), 30);
  // With a syn_timeout longer than the silence, nothing is concluded.
  assert.equal(replay('silent-service.pcap', { synTimeout: 60 }).summary, []);
});

test('backsoon replay prints one JSON object per decision and a summary on stderr', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'replay', 'test/fixtures/outage-client-side.pcap', '--router', '192.0.2.1'], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => l.event), ['down', 'attempt', 'attempt', 'recovered', 'notify', 'notify']);
  assert.equal(Object.keys(lines[0]).slice(0, 4), ['t', 'event', 'server', 'cause']);
  assert.type(lines[0].t, 'number');
  const { stats } = replay('outage-client-side.pcap');
  assert.ok(run.stderr.includes(`${stats.frames} packets; ${stats.syn} SYN, ${stats.synAck} SYN/ACK`), run.stderr);
  assert.match(run.stderr, /decisions: 1 down, 2 attempt, 1 recovered, 2 notify, 0 expired/);
});

test('backsoon replay: a missing file, a file that is not a capture, and bad options exit 2 with a message', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'replay', ...args], { encoding: 'utf8' });
  let run = cli('/nonexistent.pcap');
  assert.is(run.status, 2);
  assert.match(run.stderr, /cannot read '\/nonexistent.pcap': ENOENT/);
  run = cli('package.json');
  assert.is(run.status, 2);
  assert.match(run.stderr, /package.json: byte 0/);
  run = cli('test/fixtures/icmp-uncached.pcap', '--syn-timeout', 'zero');
  assert.is(run.status, 2);
  assert.match(run.stderr, /must be a positive number/);
});

test.run();
