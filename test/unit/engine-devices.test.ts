// A client is a device, not an address (P9 with IPv6): addresses seen with one MAC are told
// once, listing them all; a contact for any of them, or for the MAC, covers the device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { importState } from '../../src/engine/state';
import { parseIp } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseIPv6 } from '../../src/net/ipv6';
import { only, summary } from './decision-summary';
import { routerAddresses } from './router';

const SERVER = parseIPv4('198.51.100.10')!;
const SERVER6 = '2001:db8:5::10';
const LAPTOP_V4 = parseIPv4('192.0.2.10')!;
const LAPTOP_STABLE = '2001:db8:1::a';
const LAPTOP_TEMPORARY = '2001:db8:1::8a1c:3f07';
const PHONE_V4 = parseIPv4('192.0.2.11')!;
const LAPTOP_MAC = 0x02000000000a;
const ROUTER = parseIPv4('192.0.2.1')!;
const ip = (s: string) => parseIp(s)!;

function setup(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses('192.0.2.1'), ...options }, (d) => decisions.push(d));
  const bytes = new Uint8Array(64);
  bytes.set(parseIPv6(SERVER6)!, 0);
  /** A SYN over IPv6 from `client` (seen with `mac`) to SERVER6. */
  const syn6 = (t: number, client: string, mac: number) => {
    bytes.set(parseIPv6(client)!, 16);
    engine.syn6(t, bytes, 16, 0, 40000, 443, 1, mac);
  };
  return { engine, decisions, syn6 };
}

/**
 * The laptop (one MAC) waits for the server from its IPv4 address and two IPv6 addresses; the
 * phone from one IPv4 address. Waiting clients are kept per server entry whatever their family
 * (a server known by addresses of both families is one entry once its configuration says so),
 * so the IPv6 attempts are registered on the entry directly, as the stand-in does.
 */
function laptopTriesThreeAddresses(options: Partial<EngineOptions> = {}) {
  const h = setup(options);
  const { engine } = h;
  engine.icmpUnreachable(100, ROUTER, 0, LAPTOP_V4, SERVER, 1, 6, 40000, 443);
  engine.syn(101, LAPTOP_V4, SERVER, 40001, 443, 7, LAPTOP_MAC); // its MAC, seen in the retry
  engine.registerAttempt(102, ip('198.51.100.10'), ip(LAPTOP_STABLE), LAPTOP_MAC);
  engine.icmpUnreachable(105, ROUTER, 0, PHONE_V4, SERVER, 1, 6, 40000, 443);
  engine.registerAttempt(110, ip('198.51.100.10'), ip(LAPTOP_TEMPORARY), LAPTOP_MAC);
  return h;
}

test('a laptop that tried from IPv4 and two IPv6 addresses gets one notify listing all three', () => {
  const { engine, decisions } = laptopTriesThreeAddresses();
  engine.arpReply(200, SERVER, 0x0200c633640a);
  const notices = only(decisions, 'notify');
  assert.is(notices.length, 2, 'the laptop once, the phone once');
  const laptop = notices[0];
  assert.is(laptop.client, '192.0.2.10', 'known by the first address it tried from');
  assert.equal(laptop.addresses, ['192.0.2.10', LAPTOP_STABLE, LAPTOP_TEMPORARY]);
  assert.is(laptop.mac, '02:00:00:00:00:0a');
  assert.is(laptop.firstAttempt, 100);
  assert.is(laptop.lastAttempt, 110);
  assert.equal(notices[1].addresses, ['192.0.2.11']);
  assert.is(engine.counters.notices, 2);
  assert.is(engine.counters.attempts, 4, 'each address was still registered on its own (P5)');
});

test('a contact registered for one of its addresses covers the others', () => {
  const { engine, decisions } = laptopTriesThreeAddresses();
  engine.contacts.set({ client: ip(LAPTOP_TEMPORARY) }, { mail: 'kim@example.org', registeredAt: 105, source: 'page' });
  engine.arpReply(200, SERVER, 0x0200c633640a);
  const laptop = only(decisions, 'notify')[0];
  assert.is(laptop.contact, 'kim@example.org');
  assert.is(only(decisions, 'notify')[1].contact, undefined, 'the phone is another device');
  assert.is(engine.counters.noContact, 1);
});

test('a contact by MAC covers every address of the device', () => {
  const { engine, decisions } = laptopTriesThreeAddresses();
  engine.contacts.set({ mac: LAPTOP_MAC }, { mail: 'kim@example.org', registeredAt: 0, source: 'config' });
  engine.arpReply(200, SERVER, 0x0200c633640a);
  assert.is(only(decisions, 'notify')[0].contact, 'kim@example.org');
});

test('require_contact: a device known by its MAC is let in from any address', () => {
  const { engine, decisions } = laptopTriesThreeAddresses({ requireContact: true });
  assert.is(decisions.filter((d) => d.event === 'attempt').length, 0);
  engine.contacts.set({ mac: LAPTOP_MAC }, { mail: 'kim@example.org', registeredAt: 0, source: 'config' });
  engine.registerAttempt(120, ip('198.51.100.10'), ip(LAPTOP_TEMPORARY), LAPTOP_MAC);
  assert.equal(decisions.filter((d) => d.event === 'attempt').map(summary), [`attempt 198.51.100.10 ${LAPTOP_TEMPORARY}`]);
});

test('over IPv6 alone: temporary addresses of one device (one MAC) make one notice', () => {
  const { engine, decisions, syn6 } = setup();
  syn6(0, LAPTOP_STABLE, LAPTOP_MAC);
  syn6(5, LAPTOP_TEMPORARY, LAPTOP_MAC);
  syn6(6, '2001:db8:1::b', 0x02000000000b);
  engine.tick(40);
  const bytes = new Uint8Array(32);
  bytes.set(parseIPv6(SERVER6)!, 0);
  bytes.set(parseIPv6(LAPTOP_STABLE)!, 16);
  engine.synAck6(41, bytes, 0, 16, 443, 40000, 2);
  assert.equal(only(decisions, 'notify').map((n) => n.addresses), [[LAPTOP_STABLE, LAPTOP_TEMPORARY], ['2001:db8:1::b']]);
});

test('a device is known by the address that tried first, whatever order its addresses were registered in', () => {
  const { engine, decisions } = setup();
  importState(engine, {
    version: 2, savedAt: 300, contacts: [],
    outages: [{
      server: '198.51.100.10', state: 'down', since: 40, cause: 'arp-silence', clients: [
        { client: '192.0.2.10', firstAttempt: 100, lastAttempt: 120, mac: '02:00:00:00:00:0a' },
        { client: LAPTOP_TEMPORARY, firstAttempt: 70, lastAttempt: 70, mac: '02:00:00:00:00:0a' },
        { client: LAPTOP_STABLE, firstAttempt: 50, lastAttempt: 90, mac: '02:00:00:00:00:0a' },
      ],
    }],
  }, 300);
  engine.recoverySignal(400, ip('198.51.100.10'), 'trap');
  const [laptop] = only(decisions, 'notify');
  assert.is(laptop.client, LAPTOP_STABLE);
  assert.equal(laptop.addresses, [LAPTOP_STABLE, LAPTOP_TEMPORARY, '192.0.2.10']);
  assert.equal([laptop.firstAttempt, laptop.lastAttempt], [50, 120]);
});

test('clients without a MAC are one device per address', () => {
  const { engine, decisions } = setup();
  engine.icmpUnreachable(100, ROUTER, 0, LAPTOP_V4, SERVER, 1, 6, 40000, 443);
  engine.registerAttempt(101, ip('198.51.100.10'), ip(LAPTOP_STABLE), 0);
  engine.registerAttempt(102, ip('198.51.100.10'), ip(LAPTOP_TEMPORARY), 0);
  engine.recoverySignal(200, ip('198.51.100.10'), 'trap');
  assert.equal(only(decisions, 'notify').map((n) => n.addresses), [['192.0.2.10'], [LAPTOP_STABLE], [LAPTOP_TEMPORARY]]);
});

test('a MAC seen with two IPv4 addresses is a router\'s (traffic after a hop), not one device: each address is told', () => {
  const { engine, decisions } = setup();
  const ROUTER_MAC = 0x0200c6336401;
  engine.syn(0, LAPTOP_V4, SERVER, 40000, 80, 1, ROUTER_MAC);
  engine.syn(1, PHONE_V4, SERVER, 40000, 80, 1, ROUTER_MAC);
  engine.tick(31);
  engine.registerAttempt(32, ip('198.51.100.10'), ip(LAPTOP_STABLE), ROUTER_MAC);
  engine.recoverySignal(40, ip('198.51.100.10'), 'probe');
  assert.equal(only(decisions, 'notify').map((n) => n.addresses), [['192.0.2.10'], ['192.0.2.11'], [LAPTOP_STABLE]]);
  assert.ok(only(decisions, 'notify').every((n) => n.mac === '02:00:c6:33:64:01'));
});

test('a client that claims the laptop\'s MAC and tries first does not take its notice: addresses with different mail addresses are not one device', () => {
  const { engine, decisions, syn6 } = setup();
  const MALLORY = '2001:db8:5::666';
  engine.contacts.set({ client: ip(LAPTOP_STABLE) }, { mail: 'kim@example.org', registeredAt: 0, source: 'page' });
  engine.contacts.set({ client: ip(MALLORY) }, { mail: 'mallory@example.net', registeredAt: 0, source: 'page' });
  syn6(0, MALLORY, LAPTOP_MAC); // first, with the laptop's MAC
  syn6(5, LAPTOP_STABLE, LAPTOP_MAC);
  syn6(6, LAPTOP_TEMPORARY, LAPTOP_MAC);
  engine.tick(40);
  engine.recoverySignal(50, ip(SERVER6), 'probe');
  const notices = only(decisions, 'notify');
  assert.equal(notices.map((n) => [n.addresses, n.contact]), [
    [[MALLORY], 'mallory@example.net'], [[LAPTOP_STABLE], 'kim@example.org'], [[LAPTOP_TEMPORARY], undefined],
  ]);
});

test('addresses of one MAC with the same mail address (or one known) stay one device', () => {
  const { engine, decisions, syn6 } = setup();
  engine.contacts.set({ client: ip(LAPTOP_STABLE) }, { mail: 'kim@example.org', registeredAt: 0, source: 'page' });
  engine.contacts.set({ client: ip(LAPTOP_TEMPORARY) }, { mail: 'kim@example.org', registeredAt: 1, source: 'page' });
  syn6(0, LAPTOP_STABLE, LAPTOP_MAC);
  syn6(5, LAPTOP_TEMPORARY, LAPTOP_MAC);
  syn6(6, '2001:db8:1::c', LAPTOP_MAC);
  engine.tick(40);
  engine.recoverySignal(50, ip(SERVER6), 'probe');
  assert.equal(only(decisions, 'notify').map((n) => [n.addresses, n.contact]), [
    [[LAPTOP_STABLE, LAPTOP_TEMPORARY, '2001:db8:1::c'], 'kim@example.org'],
  ]);
});

test('P10 for a device: told when any of its addresses tried recently; all its addresses expire together otherwise', () => {
  const { engine, decisions } = setup({ maxAttemptAge: 3600, purgeInterval: 1e9 });
  engine.icmpUnreachable(0, ROUTER, 0, LAPTOP_V4, SERVER, 1, 6, 40000, 443);
  engine.syn(1, LAPTOP_V4, SERVER, 40001, 443, 7, LAPTOP_MAC);
  engine.registerAttempt(2, ip('198.51.100.10'), ip(LAPTOP_STABLE), LAPTOP_MAC);
  engine.registerAttempt(3000, ip('198.51.100.10'), ip(LAPTOP_TEMPORARY), LAPTOP_MAC);
  engine.icmpUnreachable(10, ROUTER, 0, PHONE_V4, SERVER, 1, 6, 40000, 443);
  engine.contacts.set({ mac: 0x02000000000b }, { mail: 'x@example.org', registeredAt: 0, source: 'config' });
  engine.recoverySignal(5000, ip('198.51.100.10'), 'trap');
  const after = decisions.slice(decisions.findIndex((d) => d.event === 'recovered'));
  assert.equal(after.map(summary), [
    'recovered 198.51.100.10 trap',
    'notify 198.51.100.10 192.0.2.10',
    'expired 198.51.100.10 192.0.2.11 stale-at-recovery',
  ]);
  assert.equal(only(after, 'notify')[0].addresses, ['192.0.2.10', LAPTOP_STABLE, LAPTOP_TEMPORARY]);
});

test('an ICMP error answering a pending SYN keeps the MAC the SYN was seen with (either family)', () => {
  const { engine, syn6 } = setup();
  engine.syn(100, LAPTOP_V4, SERVER, 40001, 443, 7, LAPTOP_MAC);
  engine.icmpUnreachable(101, ROUTER, 0, LAPTOP_V4, SERVER, 1, 6, 40001, 443);
  assert.is(engine.waitingMac(ip('198.51.100.10'), ip('192.0.2.10')), LAPTOP_MAC);
  syn6(100, LAPTOP_STABLE, LAPTOP_MAC);
  const bytes = new Uint8Array(64);
  bytes.set(parseIPv6('2001:db8:1::1')!, 0);
  bytes.set(parseIPv6(LAPTOP_STABLE)!, 16);
  bytes.set(parseIPv6(SERVER6)!, 32);
  engine.setRouterAddresses([{ address: ip('2001:db8:1::1'), mac: 0 }]);
  engine.icmp6Unreachable(101, bytes, 0, 0, 16, 32, 3, 6, 40000, 443);
  assert.is(engine.waitingMac(ip(SERVER6), ip(LAPTOP_STABLE)), LAPTOP_MAC);
  assert.equal(engine.checkInvariants(), []);
});

// ---- A dual-stack server: two addresses of one server (config: sections with the same name) ----

const DUAL = { serverGroups: [[ip('198.51.100.10'), ip(SERVER6)]] };

/** The laptop's SYNs go unanswered at both addresses of the server: two outages (syn-timeout). */
function laptopTriesBothFamilies(options: Partial<EngineOptions> = {}) {
  const h = setup({ ...DUAL, synTimeout: 10, ...options });
  h.engine.syn(100, LAPTOP_V4, SERVER, 40001, 443, 7, LAPTOP_MAC);
  h.syn6(100.2, LAPTOP_STABLE, LAPTOP_MAC);
  h.engine.syn(101, PHONE_V4, SERVER, 40002, 443, 9, 0x02000000000b);
  h.engine.tick(115);
  assert.equal(h.engine.outageList().map((o) => o.server).sort(), ['198.51.100.10', SERVER6]);
  return h;
}

test('dual-stack server: the SYN/ACK at one address ends both outages, and the laptop that tried both is told once', () => {
  const { engine, decisions } = laptopTriesBothFamilies();
  engine.synAck(200, SERVER, PHONE_V4, 443, 40002, 10);
  assert.equal(only(decisions, 'recovered').map((d) => `${d.server} ${d.cause}`), ['198.51.100.10 syn-ack', `${SERVER6} syn-ack`]);
  const notices = only(decisions, 'notify');
  assert.equal(notices.map((n) => [n.server, n.addresses]), [
    ['198.51.100.10', ['192.0.2.10', LAPTOP_STABLE]],
    ['198.51.100.10', ['192.0.2.11']],
  ]);
  assert.equal(engine.outageList(), []);
  assert.is(engine.counters.notices, 2);
  assert.equal(engine.checkInvariants(), []);
});

test('dual-stack server: the IPv6 address recovering first tells the laptop under the IPv6 outage, once', () => {
  const { engine, decisions } = laptopTriesBothFamilies();
  const bytes = new Uint8Array(32);
  bytes.set(parseIPv6(SERVER6)!, 0);
  bytes.set(parseIPv6(LAPTOP_STABLE)!, 16);
  engine.synAck6(200, bytes, 0, 16, 443, 40000, 2);
  const notices = only(decisions, 'notify');
  assert.equal(notices.map((n) => [n.server, n.addresses]), [
    [SERVER6, ['192.0.2.10', LAPTOP_STABLE]],
    ['198.51.100.10', ['192.0.2.11']],
  ]);
  assert.equal(engine.outageList(), []);
});

test('dual-stack server: a host-level sign at one address does not end a silent service at the other', () => {
  const h = setup({ ...DUAL, synTimeout: 10 });
  const { engine, decisions } = h;
  engine.icmpUnreachable(100, ROUTER, 0, LAPTOP_V4, SERVER, 1, 6, 40000, 443); // host gone on IPv4
  h.syn6(100.2, LAPTOP_STABLE, LAPTOP_MAC);
  engine.tick(115); // the IPv6 service silent: syn-timeout
  engine.arpReply(200, SERVER, 0x0200c633640a);
  assert.equal(only(decisions, 'recovered').map((d) => d.server), ['198.51.100.10']);
  assert.equal(engine.outageList().map((o) => o.server), [SERVER6], 'the silent IPv6 service is still down');
  assert.equal(engine.checkInvariants(), []);
});

test('dual-stack server with a hold time: an address holding recovers with the one whose hold ends first, once', () => {
  const { engine, decisions } = laptopTriesBothFamilies({ hold: 30 });
  engine.synAck(200, SERVER, PHONE_V4, 443, 40002, 10);
  const bytes = new Uint8Array(32);
  bytes.set(parseIPv6(SERVER6)!, 0);
  bytes.set(parseIPv6(LAPTOP_STABLE)!, 16);
  engine.synAck6(210, bytes, 0, 16, 443, 40000, 2);
  engine.tick(229);
  assert.equal(only(decisions, 'recovered'), []);
  engine.tick(231);
  assert.equal(only(decisions, 'recovered').map((d) => d.server), ['198.51.100.10', SERVER6]);
  assert.is(only(decisions, 'notify').length, 2);
  engine.tick(300);
  assert.is(only(decisions, 'recovered').length, 2, 'the second hold ended with the first');
  assert.equal(engine.checkInvariants(), []);
});

test('without a server group the two addresses stay two servers: the laptop is told per address', () => {
  const { engine, decisions } = laptopTriesBothFamilies({ serverGroups: [] });
  engine.synAck(200, SERVER, PHONE_V4, 443, 40002, 10);
  assert.equal(only(decisions, 'recovered').map((d) => d.server), ['198.51.100.10']);
  assert.equal(engine.outageList().map((o) => o.server), [SERVER6]);
});

test.run();
