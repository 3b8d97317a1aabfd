// Decisions handed out a slice at a time (PacedDecisions, as the daemon takes them): the same
// decisions as the engine's listener gets, in the same order, whatever the slices and whatever
// the engine does with its address ids in between.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { PacedDecisions } from '../../src/engine/paced-decisions';
import { OutageEventCollector, type OutageEvent } from '../../src/notify/outbound-edges';
import { parseIp } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { only } from './decision-summary';
import { routerAddresses } from './router';

const SERVER = parseIPv4('198.51.100.10')!;
const OTHER = parseIPv4('198.51.100.20')!;
const ROUTER = parseIPv4('192.0.2.1')!;
const ip = (s: string) => parseIp(s)!;
const OPTIONS: EngineOptions = { ...defaultEngineOptions, maxLinks: 512, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses('192.0.2.1') };

/** One engine with a plain listener, one paced; `feed` runs the same inputs on both. */
function pair(options: EngineOptions = OPTIONS) {
  const plain: Decision[] = [];
  const paced: Decision[] = [];
  let heldCalls = 0;
  const pacing = new PacedDecisions((d) => paced.push(d), () => { heldCalls++; });
  const a = new Engine(options, (d) => plain.push(d));
  const b = new Engine(options, pacing);
  const feed = (f: (e: Engine) => void) => { f(a); f(b); };
  return { plain, paced, pacing, feed, engines: [a, b] as const, heldCalls: () => heldCalls };
}

/** `n` clients 192.0.2.(10+i) wait for SERVER (ICMP unreachable), each seen with its own MAC; some with a contact, one with an IPv6 address too. */
function waiting(e: Engine, n: number): void {
  for (let i = 0; i < n; i++) {
    const client = parseIPv4(`192.0.${2 + (i >> 8)}.${i & 255}`)!;
    if (i % 3 === 0) e.contacts.set({ client: ip(`192.0.${2 + (i >> 8)}.${i & 255}`) }, { mail: `c${i}@example.test`, registeredAt: 0, source: 'page' });
    e.icmpUnreachable(100 + i / 1000, ROUTER, 0, client, SERVER, 1, 6, 40000, 80);
    e.syn(100.5 + i / 1000, client, SERVER, 40001, 80, 7, 0x020000000000 + i);
  }
  e.registerAttempt(101, ip('198.51.100.10'), ip('2001:db8:1::a'), 0x020000000000 + 1);
}

test('a recovery of 300 clients, handed out one decision per slice: the same decisions in the same order as the listener got', () => {
  const p = pair();
  p.feed((e) => waiting(e, 300));
  p.feed((e) => e.recoverySignal(200, ip('198.51.100.10'), 'trap'));
  assert.is(only(p.plain, 'notify').length, 300);
  // What went out at once: everything before the first notice (the recovery itself).
  const first = p.plain.findIndex((d) => d.event === 'notify');
  assert.equal(p.paced, p.plain.slice(0, first), 'decisions before the first notice are not held');
  assert.is(p.pacing.held, p.plain.length - first);
  assert.is(p.heldCalls(), 1, 'told once that a slice is needed');
  let slices = 0;
  while (p.pacing.handOut(() => false) > 0) slices++;
  assert.is(slices + 1, p.plain.length - first, 'one decision per slice');
  assert.equal(p.paced, p.plain);
  const laptop = only(p.paced, 'notify').find((n) => n.addresses.length > 1);
  assert.equal(laptop?.addresses, ['192.0.2.1', '2001:db8:1::a'], 'an IPv6 address as text too');
});

test('address ids the engine reuses before the notices go out do not change them', () => {
  const p = pair();
  p.feed((e) => waiting(e, 40));
  p.feed((e) => e.recoverySignal(200, ip('198.51.100.10'), 'trap'));
  // The recovery gave the 40 clients' ids back; new clients of another server take them now.
  p.feed((e) => {
    for (let i = 0; i < 40; i++) e.icmpUnreachable(201, ROUTER, 0, parseIPv4(`203.0.113.${i}`)!, OTHER, 1, 6, 40000, 80);
  });
  assert.ok(p.pacing.held > 40, 'the notices and the new decisions behind them are held');
  p.pacing.handOut(() => true);
  assert.is(p.pacing.held, 0);
  assert.equal(p.paced, p.plain);
  assert.ok(only(p.paced, 'notify').every((n) => n.client.startsWith('192.0.2.')));
});

test('decisions after a held notice wait behind it; with nothing held they go out at once', () => {
  const p = pair();
  p.feed((e) => waiting(e, 3));
  const before = p.paced.length;
  assert.ok(before > 0 && p.pacing.held === 0, 'downs and attempts went out at once');
  p.feed((e) => e.recoverySignal(200, ip('198.51.100.10'), 'trap'));
  p.feed((e) => e.icmpUnreachable(201, ROUTER, 0, parseIPv4('203.0.113.1')!, OTHER, 1, 6, 40000, 80));
  const down = [...p.plain].reverse().find((d) => d.event === 'down')!;
  assert.is(down.server, '198.51.100.20');
  assert.not.ok(p.paced.includes(down), 'the later down is not handed out before the notices');
  assert.is(p.paced.at(-1)?.event, 'recovered');
  p.pacing.handOut(() => true);
  assert.equal(p.paced, p.plain);
  p.feed((e) => e.icmpUnreachable(202, ROUTER, 0, parseIPv4('203.0.113.2')!, OTHER, 1, 6, 40000, 80));
  assert.is(p.pacing.held, 0);
  assert.equal(p.paced, p.plain, 'after the queue emptied, straight out again');
  assert.is(p.heldCalls(), 1);
});

test('a listener that throws loses nothing: the decision it threw on is out, the rest stay held; whenOut runs all the same', () => {
  const got: Decision[] = [];
  let notices = 0;
  const pacing = new PacedDecisions((d) => {
    // The first and the last of the five notices fail.
    if (d.event === 'notify' && (++notices === 1 || notices === 5)) throw new Error('listener failed');
    got.push(d);
  }, () => undefined);
  const engine = new Engine(OPTIONS, pacing);
  waiting(engine, 5);
  engine.recoverySignal(200, ip('198.51.100.10'), 'trap');
  assert.is(pacing.held, 5);
  assert.throws(() => pacing.handOut(() => true), /listener failed/);
  assert.is(pacing.held, 4);
  let out = 0;
  pacing.whenOut(() => { out++; });
  assert.is(out, 0, 'whenOut waits while decisions are held');
  assert.throws(() => pacing.handOut(() => true), /listener failed/, 'the last one throws');
  assert.is(pacing.held, 0);
  assert.is(out, 1, 'whenOut ran all the same');
  pacing.whenOut(() => { out++; });
  assert.is(out, 2, 'with nothing held, at once');
  assert.is(only(got, 'notify').length, 3);
});

test('a recovery handed out over several turns is still one event with every client for traps, webhooks and delegation', async () => {
  /** Events of a 300-client recovery handed out 20 decisions a turn, the collector's flush deferred by `defer`. */
  const eventsWith = async (defer: (paced: PacedDecisions) => (fn: () => void) => void): Promise<OutageEvent[]> => {
    const events: OutageEvent[] = [];
    let paced: PacedDecisions | null = null;
    const collector = new OutageEventCollector((e) => events.push(e), (err) => { throw err; }, (fn) => defer(paced!)(fn));
    paced = new PacedDecisions((d) => collector.push(d), () => undefined);
    const engine = new Engine(OPTIONS, paced);
    waiting(engine, 300);
    engine.recoverySignal(200, ip('198.51.100.10'), 'trap');
    while (paced.held > 0) {
      await new Promise((r) => setImmediate(r));
      let n = 0;
      paced.handOut(() => ++n < 20);
    }
    await new Promise((r) => setImmediate(r));
    return events.filter((e) => e.kind === 'recovered');
  };
  // The daemon's afterDecisions: after this turn's decisions, and once the held ones are out.
  const recovered = await eventsWith((paced) => (fn) => queueMicrotask(() => paced.whenOut(fn)));
  assert.is(recovered.length, 1);
  assert.is(recovered[0].kind === 'recovered' && recovered[0].clients.length, 300);
  // A plain microtask sends it before the first notice is handed out, and the rest as recoveries of their own.
  assert.ok((await eventsWith(() => queueMicrotask)).length > 1, 'split without whenOut');
});

/** One engine telling every device in the recovery's call, and one telling `tellAtOnce` at once, paced. */
function inPieces(tellAtOnce: number) {
  const plain: Decision[] = [];
  const got: Decision[] = [];
  let heldCalls = 0;
  const pacing = new PacedDecisions((d) => got.push(d), () => { heldCalls++; });
  const a = new Engine(OPTIONS, (d) => plain.push(d));
  const b = new Engine({ ...OPTIONS, tellAtOnce }, pacing);
  return { plain, got, pacing, a, b, heldCalls: () => heldCalls };
}

test('a recovery told in pieces (tellAtOnce): the same decisions in the same order, its outage kept until the last device, whenOut after it', () => {
  const { plain, got, pacing, a, b, heldCalls } = inPieces(32);
  for (const e of [a, b]) { waiting(e, 300); e.recoverySignal(200, ip('198.51.100.10'), 'trap'); }
  assert.ok(b.telling, 'devices are left to tell after the call');
  assert.is(pacing.held, 32, 'the call told the first 32');
  assert.ok(pacing.telling && heldCalls() >= 1, 'and asked for a slice');
  assert.is(b.outages.serverCount, 1, 'the outage stays until its last device is told');
  let out = 0;
  pacing.whenOut(() => { out++; });
  for (let turn = 0; pacing.held > 0 || b.telling || out === 0; turn++) {
    assert.ok(turn < 1000, 'the telling ends');
    pacing.handOut(() => false);
    if (out > 0) assert.ok(pacing.held === 0 && !b.telling, 'whenOut ran only after the last device was told and handed out');
    if (b.telling) b.tellMore(() => false);
  }
  assert.is(out, 1);
  assert.is(only(got, 'notify').length, 300);
  assert.equal(got, plain);
  assert.is(b.outages.serverCount, 0);
  assert.is(b.outages.linkCount, 0);
  assert.equal(b.checkInvariants(), []);
});

test('whatever comes while a recovery is still telling waits for the rest of it: the order is that of a recovery told at once', () => {
  const { plain, got, pacing, a, b } = inPieces(4);
  for (const e of [a, b]) {
    waiting(e, 50);
    e.recoverySignal(200, ip('198.51.100.10'), 'trap');
    // The server fails again at once, and a client tries it: a new outage, not the one being told.
    e.icmpUnreachable(201, ROUTER, 0, parseIPv4('192.0.2.200')!, SERVER, 1, 6, 40000, 80);
  }
  assert.not.ok(b.telling, 'the packet told the rest first');
  assert.equal(b.outageList().map((o) => [o.server, o.clients.map((c) => c.client)]), [['198.51.100.10', ['192.0.2.200']]]);
  pacing.handOut(() => true);
  assert.equal(got, plain);
  assert.equal(plain.slice(-2).map((d) => d.event), ['down', 'attempt']);
  assert.equal(b.checkInvariants(), []);
});

test('while a recovery is still telling, the server counts as back, and packets that decide nothing leave the telling alone', () => {
  const { plain, got, pacing, a, b } = inPieces(4);
  const client = parseIPv4('192.0.2.201')!;
  for (const e of [a, b]) {
    waiting(e, 50);
    e.recoverySignal(200, ip('198.51.100.10'), 'trap');
    e.arpRequest(200.1, ROUTER, OTHER); // the router asks for another host
    e.syn(200.2, client, SERVER, 40100, 80, 99, 0x020000000201); // a new connection to the server, pending
    e.synAck(200.3, SERVER, client, 80, 40100, 100); // and its answer
  }
  assert.ok(b.telling, 'still telling: none of these decided anything');
  assert.not.ok(b.isDown(ip('198.51.100.10')), 'the server is back for whoever asks');
  assert.is(b.downSince(ip('198.51.100.10')), null);
  assert.equal(b.outageList(), [], 'status lists no outage');
  assert.ok(b.telling, 'and asking did not end the telling');
  while (b.telling || pacing.held > 0) { pacing.handOut(() => true); b.tellMore(() => true); }
  pacing.handOut(() => true);
  assert.equal(got, plain);
  assert.equal(b.checkInvariants(), []);
});

test('an engine built on reload shares the queue: its decisions wait behind the old engine\'s notices', () => {
  const got: Decision[] = [];
  const pacing = new PacedDecisions((d) => got.push(d), () => undefined);
  const old = new Engine(OPTIONS, pacing);
  waiting(old, 10);
  old.recoverySignal(200, ip('198.51.100.10'), 'trap');
  const next = new Engine(OPTIONS, pacing);
  next.icmpUnreachable(201, ROUTER, 0, parseIPv4('203.0.113.1')!, OTHER, 1, 6, 40000, 80);
  pacing.handOut(() => true);
  assert.equal(got.slice(-12).map((d) => d.event), [...new Array<string>(10).fill('notify'), 'down', 'attempt']);
  assert.is(only(got, 'notify')[9].client, '192.0.2.9');
});

test('after a burst the held notices\' columns start small again', () => {
  const p = pair();
  p.feed((e) => waiting(e, 500));
  p.feed((e) => e.recoverySignal(200, ip('198.51.100.10'), 'trap'));
  p.pacing.handOut(() => true);
  const columns = (p.pacing as unknown as { notices: { capacity: number } }).notices;
  assert.is(columns.capacity, 64);
  assert.equal(p.paced, p.plain);
});

test.run();
