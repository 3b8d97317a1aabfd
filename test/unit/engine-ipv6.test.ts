// The rules over IPv6: ICMPv6 address unreachable (P3), SYN without SYN/ACK (P4), neighbour
// solicitations unanswered, advertisements and SYN/ACKs from a down server (P8), RST; addresses
// read as 16 bytes where they lie in a frame. And both families in one engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { ipFromV4, parseIp, parseIpPrefix } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseIPv6 } from '../../src/net/ipv6';
import { only, summary } from './decision-summary';
import { routerAddresses } from './router';

const SERVER = '2001:db8:5::10';
const OTHER = '2001:db8:5::20';
const ALICE = '2001:db8:1::a';
const BOB = '2001:db8:1::b';
const ROUTER = 'fe80::1';
const ALICE_MAC = 0x020000000a0a;

/**
 * A frame-like buffer holding the addresses at odd offsets (as in a real frame behind an
 * Ethernet header and a VLAN tag), with what to pass for each.
 */
function frame(...addresses: string[]): { bytes: Uint8Array; at: (a: string) => number } {
  const bytes = new Uint8Array(18 + 16 * addresses.length).fill(0xa5);
  addresses.forEach((a, i) => bytes.set(parseIPv6(a)!, 18 + 16 * i));
  return { bytes, at: (a) => 18 + 16 * addresses.indexOf(a) };
}

function setup(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses(ROUTER, '192.0.2.1'), ...options }, (d) => decisions.push(d));
  const events = () => decisions.map(summary);
  const f = frame(SERVER, OTHER, ALICE, BOB, ROUTER, '::', 'fe80::10', '::ffff:198.51.100.10', 'ff02::1:ff00:10', '2001:db8:7:1::5');
  const at = f.at;
  const b = f.bytes;
  const v6 = {
    icmp: (t: number, client: string, server: string, code = 3) => engine.icmp6Unreachable(t, b, at(ROUTER), 0, at(client), at(server), code, 6, 40000, 80),
    syn: (t: number, client: string, server: string, seq = 1000, mac = 0, sport = 40000) => engine.syn6(t, b, at(client), at(server), sport, 80, seq, mac),
    synAck: (t: number, server: string, client: string, ack = 1001, dport = 40000) => engine.synAck6(t, b, at(server), at(client), 80, dport, ack),
    reset: (t: number, server: string, client: string) => engine.reset6(t, b, at(server), at(client), 80, 40000),
    solicit: (t: number, target: string, sender = ROUTER) => engine.neighbourSolicit(t, b, at(sender), at(target)),
    advert: (t: number, target: string) => engine.neighbourAdvert(t, b, at(target), 0x0200000000aa),
  };
  return { engine, decisions, events, v6 };
}

const ip = (s: string) => parseIp(s)!;

test('P3: ICMPv6 address unreachable (code 3) names the server and the client, addresses as RFC 5952 text', () => {
  const { engine, events, v6 } = setup();
  v6.icmp(100, ALICE, SERVER);
  assert.equal(events(), [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} ${ALICE}`]);
  assert.ok(engine.isDown(ip(SERVER)));
  assert.is(engine.outageList()[0].clients[0].client, ALICE);
  assert.equal(engine.checkInvariants(), []);
});

test('ICMPv6 codes: port unreachable or a filter do not mean down; icmp6Codes chooses', () => {
  const { engine, events, v6 } = setup();
  v6.icmp(100, ALICE, SERVER, 4); // port unreachable: the host is alive
  v6.icmp(100, ALICE, SERVER, 1); // administratively prohibited
  assert.equal(events(), []);
  assert.is(engine.counters.icmpOtherCode, 2);
  v6.icmp(101, ALICE, SERVER, 0); // no route: as IPv4's network unreachable
  assert.equal(events(), [`down ${SERVER} icmp-unreachable`, `attempt ${SERVER} ${ALICE}`]);
  const strict = setup({ icmp6Codes: [3] });
  strict.v6.icmp(100, ALICE, SERVER, 0);
  assert.equal(strict.events(), []);
});

test('P4 over IPv6: a SYN without SYN/ACK for syn_timeout marks the server down; ack = seq + 1 answers', () => {
  const { events, decisions, v6, engine } = setup();
  v6.syn(1000, ALICE, SERVER, 5000, ALICE_MAC);
  v6.syn(1000, BOB, OTHER, 77);
  v6.synAck(1000.01, OTHER, BOB, 78);
  engine.tick(1029.9);
  assert.equal(events(), []);
  engine.tick(1031);
  assert.equal(events(), [`down ${SERVER} syn-timeout`, `attempt ${SERVER} ${ALICE}`]);
  const down = only(decisions, 'down')[0];
  assert.is(down.t, 1030);
  assert.is(down.since, 1000);
  assert.is(only(decisions, 'attempt')[0].mac, '02:00:00:00:0a:0a');
  // later SYNs to the down server register at once (P4)
  v6.syn(1040, BOB, SERVER, 9);
  assert.equal(events().slice(2), [`attempt ${SERVER} ${BOB}`]);
});

test('P8 over IPv6: a SYN/ACK from a down server recovers it and tells its clients', () => {
  const { events, v6 } = setup();
  v6.icmp(100, ALICE, SERVER);
  v6.synAck(150, SERVER, ALICE, 1234, 40001);
  assert.equal(events().slice(2), [`recovered ${SERVER} syn-ack`, `notify ${SERVER} ${ALICE}`]);
});

test('neighbour solicitations unanswered arp_retries times (0.5 s apart) mark the server down (nd-silence); an advertisement brings it back', () => {
  const { engine, events, v6 } = setup({ arpRetries: 3 });
  v6.solicit(1, SERVER);
  v6.solicit(1.2, SERVER); // a copy seen on a second interface: not a retry
  v6.solicit(2, SERVER);
  assert.equal(events(), []);
  v6.solicit(3, SERVER);
  assert.equal(events(), [`down ${SERVER} nd-silence`]);
  v6.icmp(4, ALICE, SERVER);
  v6.advert(10, SERVER);
  assert.equal(events().slice(1), [`attempt ${SERVER} ${ALICE}`, `recovered ${SERVER} nd-advert`, `notify ${SERVER} ${ALICE}`]);
  assert.is(engine.counters.downs['nd-silence'], 1);
  assert.is(engine.counters.recoveries['nd-advert'], 1);
});

test('an advertisement answers the solicitations: the count starts again', () => {
  const { events, v6 } = setup({ arpRetries: 3 });
  v6.solicit(1, SERVER);
  v6.solicit(2, SERVER);
  v6.advert(2.1, SERVER);
  v6.solicit(3, SERVER);
  v6.solicit(4, SERVER);
  assert.equal(events(), []);
  v6.solicit(5, SERVER);
  assert.equal(events(), [`down ${SERVER} nd-silence`]);
});

test('a solicitation from a down server is a sign of life, as an ARP request is', () => {
  const { events, v6 } = setup({ arpRetries: 1 });
  v6.solicit(1, SERVER);
  v6.solicit(5, 'fe80::10', SERVER);
  assert.equal(events(), [`down ${SERVER} nd-silence`, `recovered ${SERVER} nd-advert`]);
});

test('duplicate address detection (from ::) and link-local or multicast targets are not watched servers', () => {
  const { engine, events, v6 } = setup({ arpRetries: 1 });
  v6.solicit(1, SERVER, '::');
  v6.solicit(2, 'fe80::10');
  v6.solicit(3, 'ff02::1:ff00:10');
  v6.syn(4, ALICE, 'fe80::10');
  v6.icmp(5, ALICE, 'fe80::10');
  engine.tick(100);
  assert.equal(events(), []);
  assert.is(engine.counters.ipv6Ignored, 5);
  assert.not.ok(engine.watches(ip('fe80::10')));
  assert.equal(engine.checkInvariants(), []);
});

test('an IPv4-mapped address inside an IPv6 packet never touches the IPv4 server of that address', () => {
  const { engine, events, v6 } = setup();
  engine.markDown(1, ipFromV4(parseIPv4('198.51.100.10')!), 'arp-silence');
  v6.icmp(2, ALICE, '::ffff:198.51.100.10');
  v6.advert(3, '::ffff:198.51.100.10');
  v6.synAck(4, '::ffff:198.51.100.10', ALICE);
  assert.equal(events(), ['down 198.51.100.10 arp-silence']);
  assert.is(engine.counters.ipv6Ignored, 3);
});

test('RST: ends a host-level outage, not a silent service (syn-timeout); an advertisement does not end that either', () => {
  const { engine, events, v6 } = setup();
  v6.syn(0, ALICE, SERVER);
  engine.tick(31);
  v6.reset(32, SERVER, BOB);
  v6.advert(33, SERVER);
  assert.ok(engine.isDown(ip(SERVER)));
  v6.icmp(40, BOB, OTHER);
  v6.reset(41, OTHER, BOB);
  assert.equal(events().slice(-2), [`recovered ${OTHER} reset`, `notify ${OTHER} ${BOB}`]);
});

test('watched servers and networks of both families', () => {
  const { engine, events, v6 } = setup({
    servers: [ip('198.51.100.10'), ip(SERVER)],
    networks: [parseIpPrefix('2001:db8:7::/48')!, parseIpPrefix('203.0.113.0/24')!],
  });
  v6.icmp(1, ALICE, OTHER);
  v6.icmp(1, ALICE, '2001:db8:7:1::5');
  v6.icmp(1, ALICE, SERVER);
  engine.icmpUnreachable(1, parseIPv4('192.0.2.1')!, 0, parseIPv4('192.0.2.9')!, parseIPv4('198.51.100.20')!, 1, 6, 1, 80);
  engine.icmpUnreachable(1, parseIPv4('192.0.2.1')!, 0, parseIPv4('192.0.2.9')!, parseIPv4('203.0.113.5')!, 1, 6, 1, 80);
  assert.equal(events().filter((e) => e.startsWith('down')), [
    'down 2001:db8:7:1::5 icmp-unreachable', `down ${SERVER} icmp-unreachable`, 'down 203.0.113.5 icmp-unreachable',
  ]);
  assert.is(engine.counters.unwatched, 2);
  assert.ok(engine.watches(ip('2001:db8:7:ffff::1')));
  assert.not.ok(engine.watches(ip('2001:db8:8::1')));
});

test('signals from outside the packet path take an address of either family', () => {
  const { engine, events } = setup();
  engine.neighbour(10, ip(SERVER), 'FAILED');
  assert.ok(engine.registerAttempt(11, ip(SERVER), ip(ALICE), 0));
  assert.ok(engine.registerAttempt(11, ip(SERVER), ip('192.0.2.10'), 0));
  assert.is(engine.downSince(ip(SERVER)), 10);
  engine.neighbour(12, ip(SERVER), 'REACHABLE');
  assert.equal(events(), [
    `down ${SERVER} neigh-failed`, `attempt ${SERVER} ${ALICE}`, `attempt ${SERVER} 192.0.2.10`,
    `recovered ${SERVER} neigh-reachable`, `notify ${SERVER} ${ALICE}`, `notify ${SERVER} 192.0.2.10`,
  ]);
  engine.markDown(20, ip(OTHER), 'nd-silence');
  engine.recoverySignal(21, ip(OTHER), 'trap');
  assert.equal(events().slice(-2), [`down ${OTHER} nd-silence`, `recovered ${OTHER} trap`]);
  assert.is(engine.downSince(ip(OTHER)), null);
  assert.is(engine.pool.size, engine.router.size, 'every address is released once nothing holds it (but the router\'s)');
});

test('both families under random traffic: tables, pool and reference counts stay consistent', () => {
  const { engine, v6 } = setup({ maxLinks: 12, maxLinksPerServer: 5, maxServers: 3, maxPendingSyns: 10, hold: 3, maxAttemptAge: 400, purgeInterval: 50 });
  let seed = 11;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const servers6 = [SERVER, OTHER];
  const clients6 = [ALICE, BOB];
  const servers4 = [0xc633640a, 0xc6336414, 0xc633641e];
  const clients4 = Array.from({ length: 12 }, (_, i) => 0xc0000201 + i);
  let t = 0;
  for (let i = 0; i < 60_000; i++) {
    t += rnd() * 2;
    const r = rnd();
    if (r < 0.15) v6.syn(t, pick(clients6), pick(servers6), Math.floor(rnd() * 3), 0, 40000 + Math.floor(rnd() * 3));
    else if (r < 0.2) v6.synAck(t, pick(servers6), pick(clients6), Math.floor(rnd() * 3), 40000 + Math.floor(rnd() * 3));
    else if (r < 0.25) v6.icmp(t, pick(clients6), pick(servers6));
    else if (r < 0.3) v6.solicit(t, pick(servers6));
    else if (r < 0.32) v6.advert(t, pick(servers6));
    else if (r < 0.34) v6.reset(t, pick(servers6), pick(clients6));
    else if (r < 0.5) engine.syn(t, pick(clients4), pick(servers4), 40000, 80, Math.floor(rnd() * 3), rnd() < 0.5 ? 0x0200000000 + i : 0);
    else if (r < 0.55) engine.synAck(t, pick(servers4), pick(clients4), 80, 40000, Math.floor(rnd() * 4));
    else if (r < 0.62) engine.icmpUnreachable(t, 0xc0000201, 0, pick(clients4), pick(servers4), 1, 6, 40000, 80);
    else if (r < 0.68) engine.arpRequest(t, 0xc6336401, pick(servers4));
    else if (r < 0.7) engine.arpReply(t, pick(servers4), 1);
    else if (r < 0.72) engine.registerAttempt(t, ip(pick(servers6)), ip(pick([...clients6, '192.0.2.77'])), 0x0200000000ff);
    else if (r < 0.73) engine.contacts.set({ client: ip(pick(clients6)) }, { mail: 'x@example.org', registeredAt: t, source: 'page' });
    else engine.tick(t);
    if (i % 5000 === 0) assert.equal(engine.checkInvariants(), [], `after ${i} operations`);
  }
  assert.equal(engine.checkInvariants(), []);
  assert.ok(engine.counters.notices > 0 && engine.counters.expired > 0 && engine.counters.downs['nd-silence'] > 0);
});

test.run();
