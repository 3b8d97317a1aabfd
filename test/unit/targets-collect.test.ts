// The engine reports one decision per client; delegation mail, traps and webhooks report one
// event per outage edge. These tests drive the real engine and check the events a daemon gets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIPv4, parseIPv4 } from '../../src/net/ipv4';
import type { Decision } from '../../src/engine/decisions';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { OutageEventCollector, type OutageEvent } from '../../src/notify/targets-collect';
import { ipFromV4 } from '../../src/net/ip';
import { routerAddresses } from './router';

const ip = (s: string) => parseIPv4(s)!;
const SERVER = ip('198.51.100.10');
const OTHER = ip('198.51.100.20');
const T0 = 1_795_000_000;

function wired(options = {}) {
  const events: OutageEvent[] = [];
  let pending: (() => void) | null = null;
  // flush by hand, where a daemon's microtask would: the test sees exactly one job's decisions
  const collector = new OutageEventCollector((e) => events.push(e), (err) => { throw err; }, (fn) => { pending = fn; });
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1'), ...options }, (d) => { decisions.push(d); collector.push(d); });
  const endOfJob = () => { const fn = pending; pending = null; fn?.(); };
  return { engine, events, decisions, endOfJob, collector };
}

test('a down edge counts the clients registered with it; a recovery lists every client told', () => {
  const { engine, events, endOfJob } = wired();
  // P4: two clients' SYNs go unanswered; the timeout declares the server down with both
  engine.syn(T0, ip('192.0.2.7'), SERVER, 40000, 80, 1000, 0x02005e100001);
  engine.syn(T0 + 1, ip('192.0.2.8'), SERVER, 40001, 80, 2000, 0);
  engine.tick(T0 + 31);
  endOfJob();
  assert.is(events.length, 1);
  const down = events[0];
  assert.is(down.kind, 'down');
  assert.is(down.kind === 'down' && down.waitingClients, 2);
  assert.is(down.server, '198.51.100.10');
  assert.is(down.outage, `198.51.100.10@${down.since}`);

  engine.icmpUnreachable(T0 + 40, ip('192.0.2.1'), 0, ip('192.0.2.9'), SERVER, 1, 6, 40002, 80);
  endOfJob();
  assert.is(events.length, 1, 'a further attempt is no new edge');

  engine.recoverySignal(T0 + 100, ipFromV4(SERVER), 'trap');
  endOfJob();
  assert.is(events.length, 2);
  const up = events[1];
  assert.is(up.kind, 'recovered');
  if (up.kind !== 'recovered') return;
  assert.is(up.outage, down.outage, 'both edges carry the same outage id');
  assert.is(up.t, T0 + 100);
  assert.is(up.cause, 'trap');
  assert.equal(up.clients.map((c) => c.client).sort(), ['192.0.2.7', '192.0.2.8', '192.0.2.9']);
  assert.is(up.clients.find((c) => c.client === '192.0.2.7')?.mac, '02:00:5e:10:00:01');
});

test('two servers in one job make two events; a flap during hold is not a new down', () => {
  const { engine, events, endOfJob } = wired({ hold: 10 });
  engine.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.7'), SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.8'), OTHER, 1, 6, 40001, 80);
  endOfJob();
  assert.equal(events.map((e) => `${e.kind} ${e.server} ${e.kind === 'down' ? e.waitingClients : ''}`),
    ['down 198.51.100.10 1', 'down 198.51.100.20 1']);
  engine.arpReply(T0 + 50, SERVER, 0);     // holding
  engine.icmpUnreachable(T0 + 52, ip('192.0.2.1'), 0, ip('192.0.2.7'), SERVER, 1, 6, 40000, 80); // flap
  endOfJob();
  assert.is(events.length, 2);
  engine.arpReply(T0 + 60, SERVER, 0);
  engine.tick(T0 + 71);
  endOfJob();
  assert.equal(events.slice(2).map((e) => `${e.kind} ${e.server}`), ['recovered 198.51.100.10']);
});

test('clients too old at recovery are counted as stale, not listed (P10)', () => {
  const { engine, events, endOfJob } = wired({ maxAttemptAge: 60 });
  engine.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.7'), SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(T0 + 100, ip('192.0.2.1'), 0, ip('192.0.2.8'), SERVER, 1, 6, 40001, 80);
  engine.arpReply(T0 + 120, SERVER, 0);
  endOfJob();
  const up = events.find((e) => e.kind === 'recovered');
  assert.ok(up && up.kind === 'recovered');
  assert.equal(up.kind === 'recovered' && up.clients.map((c) => c.client), ['192.0.2.8']);
  assert.is(up.kind === 'recovered' && up.stale, 1);
});

test('an outage pushed out of a full server table ends with an expired event carrying its id', () => {
  const { engine, events, endOfJob } = wired({ maxServers: 1, arpRetries: 1 });
  engine.arpRequest(T0, ip('198.51.100.1'), OTHER); // ARP silence: down, nobody waiting
  endOfJob();
  engine.icmpUnreachable(T0 + 5, ip('192.0.2.1'), 0, ip('192.0.2.7'), SERVER, 1, 6, 40000, 80);
  endOfJob();
  assert.equal(events.map((e) => `${e.kind} ${e.server}`), ['down 198.51.100.20', 'expired 198.51.100.20', 'down 198.51.100.10']);
  const expired = events[1];
  assert.ok(expired.kind === 'expired');
  assert.equal(expired, { kind: 'expired', t: T0 + 5, server: '198.51.100.20', since: T0, cause: 'evicted', outage: events[0].outage });
});

test('a sink that throws does not stop the other events', () => {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const c = new OutageEventCollector((e) => { seen.push(e.server); if (seen.length === 1) throw new Error('boom'); }, (e) => errors.push(e), () => {});
  c.push({ t: 1, event: 'down', server: '198.51.100.1', since: 1, cause: 'arp-silence', flap: false });
  c.push({ t: 1, event: 'down', server: '198.51.100.2', since: 1, cause: 'arp-silence', flap: false });
  c.flush();
  assert.equal(seen, ['198.51.100.1', '198.51.100.2']);
  assert.is(errors.length, 1);
});

test('the default flush runs after the current job, as the engine emits a whole edge at once', async () => {
  const events: OutageEvent[] = [];
  const c = new OutageEventCollector((e) => events.push(e));
  const since = T0;
  c.push({ t: T0 + 5, event: 'recovered', server: formatIPv4(SERVER), since, outage: `198.51.100.10@${since}`, cause: 'trap' });
  c.push({ t: T0 + 5, event: 'notify', server: formatIPv4(SERVER), client: '192.0.2.7', addresses: ['192.0.2.7'], since, firstAttempt: T0 + 1, lastAttempt: T0 + 2, outage: `198.51.100.10@${since}` });
  assert.is(events.length, 0);
  await Promise.resolve();
  assert.is(events.length, 1);
  assert.is(events[0].kind === 'recovered' && events[0].clients.length, 1);
});

test.run();
