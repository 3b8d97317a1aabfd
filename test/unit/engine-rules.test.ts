import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipFromV4, parseIpPrefix } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { DOWN_CAUSES, EXPIRY_CAUSES, RECOVERY_CAUSES, type Decision, type DecisionSink } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { only, summary } from './decision-summary';
import { routerAddresses } from './router';

const ip = (s: string): number => parseIPv4(s)!;
const SERVER = ip('198.51.100.10');
const OTHER_SERVER = ip('198.51.100.20');
const ALICE = ip('192.0.2.10');
const BOB = ip('192.0.2.11');
const ROUTER = ip('192.0.2.1');

function setup(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses('192.0.2.1'), ...options }, (d) => decisions.push(d));
  const events = () => decisions.map(summary);
  return { engine, decisions, events };
}

test('P3: ICMP host unreachable names the server and the client', () => {
  const { engine, events, decisions } = setup();
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  assert.equal(events(), ['down 198.51.100.10 icmp-unreachable', 'attempt 198.51.100.10 192.0.2.10']);
  assert.is(decisions[0].t, 100);
  assert.ok(engine.isDown(ipFromV4(SERVER)));
});

test('P5: a client already waiting is not added twice', () => {
  const { engine, events } = setup();
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(101, ROUTER, 0, ALICE, SERVER, 1, 6, 40001, 80);
  engine.icmpUnreachable(102, ROUTER, 0, BOB, SERVER, 1, 6, 40000, 80);
  assert.equal(events(), [
    'down 198.51.100.10 icmp-unreachable',
    'attempt 198.51.100.10 192.0.2.10',
    'attempt 198.51.100.10 192.0.2.11',
  ]);
  assert.is(engine.outages.linkCount, 2);
  assert.is(engine.outageList()[0].clients[0].lastAttempt, 101);
});

test('ICMP codes that come from a live host (port unreachable) or a filter do not mean down', () => {
  const { engine, events } = setup();
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 3, 17, 5000, 53);
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 13, 6, 5000, 80);
  assert.equal(events(), []);
  assert.is(engine.counters.icmpOtherCode, 2);
});

test('P4: a SYN without SYN/ACK for syn_timeout marks the server down from the SYN on', () => {
  const { engine, events, decisions } = setup();
  engine.syn(1000, ALICE, SERVER, 40000, 80, 5000, 0);
  engine.syn(1001, ALICE, SERVER, 40000, 80, 5000, 0); // retransmission keeps the first time
  engine.tick(1029.9);
  assert.equal(events(), []);
  engine.tick(1031);
  assert.equal(events(), ['down 198.51.100.10 syn-timeout', 'attempt 198.51.100.10 192.0.2.10']);
  assert.is(decisions[0].t, 1030);
  assert.is(only(decisions, 'down')[0].since, 1000);
  assert.is(engine.outageList()[0].clients[0].firstAttempt, 1000);
});

test('P4: a SYN/ACK with ack = seq + 1 answers the SYN; a wrong ack does not', () => {
  const { engine, events } = setup();
  engine.syn(1000, ALICE, SERVER, 40000, 80, 0xffffffff, 0);
  engine.synAck(1000.01, SERVER, ALICE, 80, 40000, 0); // seq + 1 wraps
  engine.syn(1000, BOB, SERVER, 40000, 80, 77, 0);
  engine.synAck(1000.01, SERVER, BOB, 80, 40000, 77);
  engine.tick(2000);
  assert.equal(events(), ['down 198.51.100.10 syn-timeout', 'attempt 198.51.100.10 192.0.2.11']);
});

test('P4: later SYNs to a down server register their clients at once', () => {
  const { engine, events } = setup();
  engine.syn(1000, ALICE, SERVER, 40000, 80, 1, 0);
  engine.tick(1030);
  engine.syn(1040, BOB, SERVER, 40000, 80, 9, 0x020000000001);
  assert.equal(events().slice(2), ['attempt 198.51.100.10 192.0.2.11']);
  assert.is(engine.outageList()[0].clients[1].mac, '02:00:00:00:00:01');
});

test('syn_timeout is taken from the options', () => {
  const { engine, events } = setup({ synTimeout: 5 });
  engine.syn(10, ALICE, SERVER, 40000, 80, 1, 0);
  engine.tick(15);
  assert.equal(events(), ['down 198.51.100.10 syn-timeout', 'attempt 198.51.100.10 192.0.2.10']);
});

test('ARP silence: arp_retries unanswered requests mark the server down; a reply resets the count', () => {
  const { engine, events } = setup({ arpRetries: 3 });
  engine.arpRequest(1, ROUTER, SERVER);
  engine.arpRequest(2, ROUTER, SERVER);
  engine.arpReply(2.1, SERVER, 0x020000000002);
  engine.arpRequest(3, ROUTER, SERVER);
  engine.arpRequest(4, ROUTER, SERVER);
  assert.equal(events(), []);
  engine.arpRequest(5, ROUTER, SERVER);
  assert.equal(events(), ['down 198.51.100.10 arp-silence']);
});

test('P8 + P9: an ARP reply from a down server recovers it and notifies every waiting client once', () => {
  const { engine, events, decisions } = setup();
  engine.contacts.set({ client: ipFromV4(ALICE) }, { mail: 'alice@example.org', registeredAt: 0, source: 'config' });
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(110, ROUTER, 0, BOB, SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(111, ROUTER, 0, BOB, OTHER_SERVER, 1, 6, 40000, 80);
  engine.arpReply(200, SERVER, 0x020000000002);
  assert.equal(events().slice(5), [
    'recovered 198.51.100.10 arp-reply',
    'notify 198.51.100.10 192.0.2.10',
    'notify 198.51.100.10 192.0.2.11',
  ]);
  const alice = only(decisions, 'notify').find((d) => d.client === '192.0.2.10')!;
  assert.is(alice.contact, 'alice@example.org');
  assert.is(alice.since, 100);
  assert.is(alice.firstAttempt, 100);
  assert.is(alice.outage, '198.51.100.10@100');
  const bob = only(decisions, 'notify').find((d) => d.client === '192.0.2.11')!;
  assert.is(bob.contact, undefined);
  // The server and its clients are gone; the other outage stays.
  assert.not.ok(engine.isDown(ipFromV4(SERVER)));
  assert.ok(engine.isDown(ipFromV4(OTHER_SERVER)));
  assert.is(engine.outages.linkCount, 1);
  engine.arpReply(201, SERVER, 0x020000000002);
  assert.is(decisions.length, 8, 'a second reply tells nobody again');
});

test('P8: a SYN/ACK from a down server recovers it', () => {
  const { engine, events } = setup();
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.synAck(150, SERVER, ALICE, 80, 40001, 1234);
  assert.equal(events().slice(2), ['recovered 198.51.100.10 syn-ack', 'notify 198.51.100.10 192.0.2.10']);
});

test('a RST ends a host-level outage but not a silent service (syn-timeout)', () => {
  const { engine, events } = setup();
  engine.syn(0, ALICE, SERVER, 40000, 80, 1, 0);
  engine.tick(31);
  engine.reset(32, SERVER, BOB, 80, 40000);
  assert.equal(events(), ['down 198.51.100.10 syn-timeout', 'attempt 198.51.100.10 192.0.2.10']);
  engine.icmpUnreachable(40, ROUTER, 0, BOB, OTHER_SERVER, 1, 6, 40000, 80);
  engine.reset(41, OTHER_SERVER, BOB, 80, 40000);
  assert.equal(events().slice(-2), ['recovered 198.51.100.20 reset', 'notify 198.51.100.20 192.0.2.11']);
});

test('a silent service (syn-timeout) is not ended by ARP or neighbour signs of the host, only by SYN/ACK, trap or probe', () => {
  const { engine, events } = setup();
  engine.syn(0, ALICE, SERVER, 40000, 80, 1, 0);
  engine.tick(31);
  engine.arpReply(32, SERVER, 1);
  engine.neighbour(33, ipFromV4(SERVER), 'REACHABLE');
  assert.ok(engine.isDown(ipFromV4(SERVER)));
  engine.recoverySignal(34, ipFromV4(SERVER), 'probe');
  assert.equal(events().slice(2), ['recovered 198.51.100.10 probe', 'notify 198.51.100.10 192.0.2.10']);
});

test('P7: a trap or a probe recovers a down server; a signal for a server that is up does nothing', () => {
  const { engine, events } = setup();
  engine.recoverySignal(10, ipFromV4(SERVER), 'trap');
  assert.equal(events(), []);
  engine.icmpUnreachable(100, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.recoverySignal(120, ipFromV4(SERVER), 'trap');
  assert.equal(events().slice(2), ['recovered 198.51.100.10 trap', 'notify 198.51.100.10 192.0.2.10']);
});

test('P10: an attempt much older than the recovery is skipped', () => {
  const { engine, events } = setup({ maxAttemptAge: 3600, purgeInterval: 1e9 });
  engine.icmpUnreachable(0, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(3000, ROUTER, 0, BOB, SERVER, 1, 6, 40000, 80);
  engine.recoverySignal(5000, ipFromV4(SERVER), 'trap');
  assert.equal(events().slice(3), [
    'recovered 198.51.100.10 trap',
    'expired 198.51.100.10 192.0.2.10 stale-at-recovery',
    'notify 198.51.100.10 192.0.2.11',
  ]);
});

test('P10: the periodic purge drops registrations older than max_attempt_age', () => {
  const { engine, events } = setup({ maxAttemptAge: 100, purgeInterval: 10 });
  engine.tick(0);
  engine.icmpUnreachable(1, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(50, ROUTER, 0, BOB, SERVER, 1, 6, 40000, 80);
  engine.tick(105);
  assert.equal(events().slice(3), ['expired 198.51.100.10 192.0.2.10 max-attempt-age']);
  assert.is(engine.outages.linkCount, 1);
  assert.ok(engine.isDown(ipFromV4(SERVER)), 'the server stays down');
});

test('hold: notices wait until the server has stayed up for the hold time; a flap cancels them', () => {
  const { engine, events } = setup({ hold: 60 });
  engine.icmpUnreachable(0, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  engine.arpReply(10, SERVER, 1);
  engine.tick(50);
  assert.equal(events().length, 2);
  engine.icmpUnreachable(55, ROUTER, 0, BOB, SERVER, 1, 6, 40000, 80); // down again inside the hold
  assert.equal(events().slice(2), ['down 198.51.100.10 icmp-unreachable flap', 'attempt 198.51.100.10 192.0.2.11']);
  engine.arpReply(100, SERVER, 1);
  engine.tick(159);
  assert.equal(events().length, 4);
  engine.tick(161);
  assert.equal(events().slice(4), ['recovered 198.51.100.10 arp-reply', 'notify 198.51.100.10 192.0.2.10', 'notify 198.51.100.10 192.0.2.11']);
  assert.is(engine.counters.flaps, 1);
});

test('only configured servers and networks are watched', () => {
  const { engine, events } = setup({ servers: [ipFromV4(SERVER)], networks: [parseIpPrefix('203.0.113.0/24')!] });
  engine.icmpUnreachable(1, ROUTER, 0, ALICE, OTHER_SERVER, 1, 6, 40000, 80);
  engine.icmpUnreachable(1, ROUTER, 0, ALICE, ip('203.0.113.5'), 1, 6, 40000, 80);
  engine.icmpUnreachable(1, ROUTER, 0, ALICE, SERVER, 1, 6, 40000, 80);
  assert.equal(events().filter((e) => e.startsWith('down')), ['down 203.0.113.5 icmp-unreachable', 'down 198.51.100.10 icmp-unreachable']);
  assert.is(engine.counters.unwatched, 1);
});

test('require_contact: only clients with a known address are registered (P5 variant)', () => {
  const { engine, events } = setup({ requireContact: true });
  engine.contacts.set({ mac: 0x020000000009 }, { mail: 'bob@example.org', registeredAt: 0, source: 'config' });
  engine.syn(0, ALICE, SERVER, 1, 80, 1, 0);
  engine.syn(0, BOB, SERVER, 1, 80, 1, 0x020000000009);
  engine.tick(30);
  assert.equal(events(), ['down 198.51.100.10 syn-timeout', 'attempt 198.51.100.10 192.0.2.11']);
  assert.is(engine.counters.refusedNoContact, 1);
});

test('a full pool evicts the newest unverified registration and says so; a server cap takes its own', () => {
  const { engine, events } = setup({ maxLinks: 4, maxLinksPerServer: 3 });
  for (let i = 0; i < 4; i++) engine.icmpUnreachable(i, ROUTER, 0, ALICE + i, SERVER, 1, 6, 1, 80);
  assert.ok(events().includes('expired 198.51.100.10 192.0.2.12 server-cap'));
  engine.icmpUnreachable(10, ROUTER, 0, BOB + 10, OTHER_SERVER, 1, 6, 1, 80);
  engine.icmpUnreachable(11, ROUTER, 0, BOB + 11, OTHER_SERVER, 1, 6, 1, 80);
  assert.ok(events().includes('expired 198.51.100.20 192.0.2.21 table-full'));
  assert.is(engine.outages.linkCount, 4);
  assert.equal(engine.outages.checkInvariants(), []);
  assert.is(engine.counters.evictions['server-cap'], 1);
  assert.is(engine.counters.evictions['table-full'], 1);
  assert.equal(engine.counters.evicted, { verified: 0, unverified: 2 });
});

test('a full server table makes room by dropping a server nobody waits for, and says its outage ended (expired, evicted)', () => {
  const { engine, events, decisions } = setup({ maxServers: 2, arpRetries: 1 });
  engine.arpRequest(1, ROUTER, ip('198.51.100.1'));
  engine.icmpUnreachable(2, ROUTER, 0, ALICE, SERVER, 1, 6, 1, 80);
  engine.icmpUnreachable(3, ROUTER, 0, ALICE, OTHER_SERVER, 1, 6, 1, 80);
  assert.equal(engine.outageList().map((o) => o.server), ['198.51.100.10', '198.51.100.20']);
  assert.equal(events().slice(3, 5), ['expired 198.51.100.1 evicted', 'down 198.51.100.20 icmp-unreachable']);
  assert.equal(decisions[3], { t: 3, event: 'expired', server: '198.51.100.1', cause: 'evicted', since: 1, outage: '198.51.100.1@1' });
  assert.is(engine.counters.outagesEvicted, 1);
  assert.not.ok(engine.isDown(ipFromV4(ip('198.51.100.1'))));
  engine.icmpUnreachable(4, ROUTER, 0, ALICE, ip('198.51.100.30'), 1, 6, 1, 80);
  assert.is(engine.counters.serversFull, 1);
});

test('a numeric sink gets the same decisions as numbers: pool ids valid during the call, cause indexes', () => {
  const lines: string[] = [];
  const objects: Decision[] = [];
  const options = { ...defaultEngineOptions, maxServers: 1, arpRetries: 1, routerAddresses: routerAddresses('192.0.2.1') };
  let engine: Engine | null = null;
  const text = (id: number) => engine!.pool.format(id);
  const sink: DecisionSink = {
    down: (t, s, cause, since, flap) => lines.push(`${t} down ${text(s)} ${DOWN_CAUSES[cause]} ${since} ${flap}`),
    attempt: (t, s, c, mac) => lines.push(`${t} attempt ${text(s)} ${text(c)} ${mac}`),
    recovered: (t, s, cause, since) => lines.push(`${t} recovered ${text(s)} ${RECOVERY_CAUSES[cause]} ${since}`),
    notify: (t, s, since, d) => lines.push(`${t} notify ${text(s)} ${since} ${[...d.addresses.subarray(0, d.count)].map(text).join(',')} ${d.firstAttempt} ${d.lastAttempt}`),
    expired: (t, s, c, cause) => lines.push(`${t} expired ${text(s)} ${text(c)} ${EXPIRY_CAUSES[cause]}`),
    evicted: (t, s, since) => lines.push(`${t} evicted ${text(s)} ${since}`),
  };
  const drive = (e: Engine) => {
    e.arpRequest(1, ROUTER, OTHER_SERVER);
    e.icmpUnreachable(2, ROUTER, 0, ALICE, SERVER, 1, 6, 1, 80);
    e.syn(3, BOB, SERVER, 1, 80, 1, 0x020000000001);
    e.arpReply(4, SERVER, 1);
  };
  engine = new Engine(options, sink);
  drive(engine);
  drive(new Engine(options, (d) => objects.push(d)));
  assert.equal(lines, [
    '1 down 198.51.100.20 arp-silence 1 false',
    '2 evicted 198.51.100.20 1',
    '2 down 198.51.100.10 icmp-unreachable 2 false',
    '2 attempt 198.51.100.10 192.0.2.10 0',
    '3 attempt 198.51.100.10 192.0.2.11 2199023255553',
    '4 recovered 198.51.100.10 arp-reply 2',
    '4 notify 198.51.100.10 2 192.0.2.10 2 2',
    '4 notify 198.51.100.10 2 192.0.2.11 3 3',
  ]);
  assert.equal(objects.map((d) => `${d.t} ${d.event}`), lines.map((l) => l.split(' ').slice(0, 2).join(' ').replace('evicted', 'expired')));
  assert.equal(engine.checkInvariants(), []);
});

test('the same input gives the same decisions', () => {
  const run = () => {
    const { engine, decisions } = setup();
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 2000; t += rnd()) {
      const client = ALICE + Math.floor(rnd() * 5);
      const server = SERVER + Math.floor(rnd() * 3);
      const r = rnd();
      if (r < 0.5) engine.syn(t, client, server, 1000, 80, 1, 0);
      else if (r < 0.6) engine.icmpUnreachable(t, ROUTER, 0, client, server, 1, 6, 1000, 80);
      else if (r < 0.62) engine.arpReply(t, server, 1);
      else engine.tick(t);
    }
    return JSON.stringify(decisions);
  };
  const first = run();
  assert.ok(first.length > 1000);
  assert.is(run(), first);
});

test.run();
