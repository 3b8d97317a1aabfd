import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipFromV4, parseIp, parseIpPrefix } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import type { Decision } from '../../src/engine/decisions';
import { summary } from './decision-summary';
import { lanNetworks } from '../../src/daemon/lan-networks';
import { ISSUE_FLOOD, replaySynFlood } from './synflood-replay';
import { routerAddresses } from './router';

const ip = (s: string): number => parseIPv4(s)!;
const SERVER = ip('198.51.100.10');
const ROUTER = ip('192.0.2.1');
const MAC = 0x02005e000001;

function setup(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses('192.0.2.1'), ...options }, (d) => decisions.push(d));
  return { engine, expired: () => decisions.filter((d) => d.event === 'expired').map(summary) };
}

/** Registers `client` on SERVER (down by ICMP) at `t`, its attempt seen from `mac`. */
function tries(engine: Engine, t: number, client: string, mac = MAC): void {
  if (!engine.isDown(ipFromV4(SERVER))) engine.markDown(t, ipFromV4(SERVER), 'icmp-unreachable');
  engine.registerAttempt(t, ipFromV4(SERVER), ipFromV4(ip(client)), mac);
}

test('unverified clients go newest first, so the client that tried before a flood stays', () => {
  const { engine, expired } = setup({ maxLinksPerServer: 3 });
  tries(engine, 1, '192.0.2.10');
  for (let i = 0; i < 5; i++) tries(engine, 2 + i, `192.0.2.${100 + i}`);
  assert.equal(expired(), [
    'expired 198.51.100.10 192.0.2.101 server-cap',
    'expired 198.51.100.10 192.0.2.102 server-cap',
    'expired 198.51.100.10 192.0.2.103 server-cap',
  ]);
  assert.equal(engine.outageList()[0].clients.map((c) => c.client), ['192.0.2.10', '192.0.2.100', '192.0.2.104']);
  assert.equal(engine.counters.evicted, { verified: 0, unverified: 3 });
  assert.equal(engine.checkInvariants(), []);
});

test('after a recovery of 3,000 clients the indexes the burst left sparse are renewed once, and the engine goes on', () => {
  const { engine } = setup({ maxLinks: 4096, maxLinksPerServer: 4096 });
  for (let i = 0; i < 3000; i++) tries(engine, 1, `10.0.${i >> 8}.${i & 255}`);
  assert.is(engine.outageList()[0].clients.length, 3000);
  assert.is(engine.renewSparseIndexes(), 0, 'the clients still wait: nothing is sparse');
  engine.recoverySignal(2, ipFromV4(SERVER), 'trap');
  engine.tick(3);
  assert.equal(engine.outageList(), []);
  assert.ok(engine.renewSparseIndexes() > 0, 'the pool and link indexes are renewed');
  assert.is(engine.renewSparseIndexes(), 0, 'once per burst');
  assert.equal(engine.checkInvariants(), []);
  tries(engine, 10, '10.0.0.1');
  tries(engine, 11, '10.0.0.2');
  tries(engine, 12, '10.0.0.1');
  assert.equal(engine.outageList()[0].clients.map((c) => c.client), ['10.0.0.1', '10.0.0.2']);
  assert.equal(engine.checkInvariants(), []);
});

test('a client bound by the neighbour table, an ARP reply with its MAC or a contact is evicted last', () => {
  const { engine, expired } = setup({ maxLinksPerServer: 4 });
  engine.bound(0, ipFromV4(ip('192.0.2.20')));
  engine.arpReply(0, ip('192.0.2.21'), MAC);
  engine.contacts.set({ client: ipFromV4(ip('192.0.2.22')) }, { mail: 'c@example.org', registeredAt: 0, source: 'config' });
  tries(engine, 1, '192.0.2.20');
  tries(engine, 2, '192.0.2.21');
  tries(engine, 3, '192.0.2.22');
  for (let i = 0; i < 3; i++) tries(engine, 4 + i, `192.0.2.${100 + i}`);
  // Only forged sources went; with none left, the oldest verified client goes.
  assert.equal(expired(), ['expired 198.51.100.10 192.0.2.100 server-cap', 'expired 198.51.100.10 192.0.2.101 server-cap']);
  engine.bound(7, ipFromV4(ip('192.0.2.102')));
  tries(engine, 8, '192.0.2.103');
  assert.equal(expired().slice(2), ['expired 198.51.100.10 192.0.2.20 server-cap']);
  assert.equal(engine.counters.evicted, { verified: 1, unverified: 2 });
  assert.equal(engine.checkInvariants(), []);
});

test('an ARP reply that binds the address to another MAC than the attempt came from verifies nothing', () => {
  const { engine, expired } = setup({ maxLinksPerServer: 2 });
  tries(engine, 1, '192.0.2.30');
  engine.arpReply(1.5, ip('192.0.2.31'), MAC + 7);
  tries(engine, 2, '192.0.2.31');
  tries(engine, 3, '192.0.2.32');
  assert.equal(expired(), ['expired 198.51.100.10 192.0.2.31 server-cap']);
});

test('a client verified after it registered is promoted when it comes up for eviction, not evicted', () => {
  const { engine, expired } = setup({ maxLinksPerServer: 2 });
  tries(engine, 1, '192.0.2.40');
  tries(engine, 2, '192.0.2.41');
  engine.bound(3, ipFromV4(ip('192.0.2.41')));
  tries(engine, 4, '192.0.2.42');
  assert.equal(expired(), ['expired 198.51.100.10 192.0.2.40 server-cap']);
  assert.equal(engine.counters.evicted, { verified: 0, unverified: 1 });
  assert.equal(engine.checkInvariants(), []);
});

test('a client outside the client networks is never registered and is counted; inside, of either family, it is', () => {
  const { engine } = setup({ clientNetworks: [parseIpPrefix('192.0.2.0/24')!, parseIpPrefix('2001:db8:1::/64')!] });
  engine.icmpUnreachable(1, ROUTER, 0, ip('203.0.113.5'), SERVER, 1, 6, 1, 80);
  engine.syn(2, ip('203.0.113.6'), SERVER, 1000, 80, 1, 0);
  engine.icmpUnreachable(3, ROUTER, 0, ip('192.0.2.50'), SERVER, 1, 6, 1, 80);
  engine.registerAttempt(4, ipFromV4(SERVER), parseIp('2001:db8:2::1')!, 0);
  engine.registerAttempt(5, ipFromV4(SERVER), parseIp('2001:db8:1::1')!, 0);
  assert.equal(engine.outageList()[0].clients.map((c) => c.client), ['192.0.2.50', '2001:db8:1::1']);
  assert.is(engine.counters.refusedOffNetwork, 3);
  assert.is(engine.syns.pending, 0);
  assert.equal(engine.checkInvariants(), []);
});

test('client networks replaced at run time (a prefix that came after the start): new clients of it count, those waiting stay', () => {
  const { engine } = setup({ clientNetworks: [parseIpPrefix('192.0.2.0/24')!] });
  engine.icmpUnreachable(1, ROUTER, 0, ip('192.0.2.50'), SERVER, 1, 6, 1, 80);
  engine.registerAttempt(2, ipFromV4(SERVER), parseIp('2001:db8:7::10')!, 0);
  assert.is(engine.counters.refusedOffNetwork, 1, 'the new prefix is not a client network yet');
  engine.setClientNetworks([parseIpPrefix('2001:db8:7::/64')!]);
  engine.registerAttempt(3, ipFromV4(SERVER), parseIp('2001:db8:7::10')!, 0);
  engine.registerAttempt(4, ipFromV4(SERVER), parseIp('192.0.2.51')!, 0);
  assert.equal(engine.outageList()[0].clients.map((c) => c.client), ['192.0.2.50', '2001:db8:7::10']);
  assert.is(engine.counters.refusedOffNetwork, 2);
  assert.equal(engine.checkInvariants(), []);
});

test('a neighbour binding outside the client networks is not kept', () => {
  const { engine } = setup({ clientNetworks: [parseIpPrefix('192.0.2.0/24')!] });
  engine.bound(1, ipFromV4(ip('203.0.113.5')));
  engine.arpReply(1, ip('203.0.113.6'), MAC);
  assert.is(engine.bindings.size, 0);
  engine.arpReply(1, ip('192.0.2.6'), MAC);
  assert.is(engine.bindings.size, 1);
  assert.equal(engine.checkInvariants(), []);
});

test('a full pending-SYN table keeps the SYN that came first: a flood of unverified SYNs is not recorded', () => {
  const { engine } = setup({ maxPendingSyns: 4, synTimeout: 30 });
  engine.syn(0, ip('192.0.2.10'), SERVER, 40000, 80, 1, MAC);
  for (let i = 0; i < 10; i++) engine.syn(1 + i, ip(`192.0.2.${100 + i}`), SERVER, 40000, 80, 1, MAC);
  assert.is(engine.syns.overflows, 7);
  engine.tick(30);
  assert.equal(engine.outageList()[0].clients[0].client, '192.0.2.10');
  assert.equal(engine.checkInvariants(), []);
});

test('550k SYNs from 524k forged sources of the client network: the clients of before, bound or known are still told', () => {
  const r = replaySynFlood(ISSUE_FLOOD);
  assert.ok(r.told.has('10.15.255.1'), 'the pre-flood client is told');
  assert.ok(r.told.has('10.15.255.2'), 'the client the neighbour table knows is told');
  assert.ok(r.told.has('10.15.255.3'), 'the client with a contact is told');
  const c = r.engine.counters;
  assert.is(r.waitingBeforeRecovery, defaultEngineOptions.maxLinksPerServer);
  assert.is(c.evicted.verified, 0);
  assert.is(c.evicted.unverified, c.attempts - defaultEngineOptions.maxLinksPerServer);
  assert.ok(c.evicted.unverified > 300_000, `evicted unverified: ${c.evicted.unverified}`);
  assert.is(c.evicted.unverified, c.evictions['server-cap'] + c.evictions['table-full']);
  assert.equal(r.engine.checkInvariants(), []);
});

test('the same flood from outside the client network registers none of it and counts every SYN', () => {
  const r = replaySynFlood({ ...ISSUE_FLOOD, syns: 100_000, firstSource: ip('172.16.0.0') });
  assert.ok(r.told.has('10.15.255.1'));
  assert.is(r.engine.counters.refusedOffNetwork, 100_000);
  assert.is(r.engine.counters.evicted.unverified, 0);
  assert.equal(r.told.size, 3);
});

test("the default client networks are the client-side devices' networks, host bits cleared, of both families, link-local left out", () => {
  const interfaces = {
    'br-lan': [
      { address: '192.168.1.1', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '192.168.1.1/24' },
      { address: 'fd00:1::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: 'fd00:1::1/64', scopeid: 0 },
      { address: '2001:db8:c::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: '2001:db8:c::1/64', scopeid: 0 },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: 'fe80::1/64', scopeid: 5 },
    ],
    wan: [{ address: '203.0.113.2', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '203.0.113.2/24' }],
  } as const;
  assert.equal(lanNetworks(['br-lan'], interfaces as never).map((n) => n.text), ['192.168.1.0/24', 'fd00:1::/64', '2001:db8:c::/64']);
  assert.equal(lanNetworks([], interfaces as never), []);
});

test.run();
