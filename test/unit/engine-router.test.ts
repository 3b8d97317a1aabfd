// Only the router's ICMP errors mark a server down (P3): an error whose IP source is not one of
// the router's addresses, or whose Ethernet source is not the router's MAC where that is known,
// is a client's forgery: counted, never acted on. Both families, through the engine's calls and
// through recordings of the real kernel.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCapture } from '../../src/core';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { MAX_ROUTER_ADDRESSES } from '../../src/engine/router-addresses';
import { ipFromV4, parseIp } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseIPv6 } from '../../src/net/ipv6';
import { parseMac } from '../../src/net/mac';
import { summary } from './decision-summary';
import { routerAddresses } from './router';

const v4 = (s: string): number => parseIPv4(s)!;
const SERVER = v4('198.51.100.10');
const CLIENT = v4('192.0.2.10');
const ROUTER = v4('192.0.2.1');
const ROUTER_MAC = parseMac('02:00:c0:00:02:01')!;
const CLIENT_MAC = parseMac('02:00:c0:00:02:0a')!;
const SERVER6 = '2001:db8:2::10';
const CLIENT6 = '2001:db8:1::10';
const ROUTER6 = '2001:db8:1::1';
const ROUTER6_LL = 'fe80::1';

function setup(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, ...options }, (d) => decisions.push(d));
  // IPv6 addresses where they lie in a frame.
  const bytes = new Uint8Array(18 + 16 * 4);
  const at = (i: number, a: string) => { bytes.set(parseIPv6(a)!, 18 + 16 * i); return 18 + 16 * i; };
  const icmp6 = (t: number, reporter: string, mac: number) => {
    const r = at(0, reporter); const c = at(1, CLIENT6); const s = at(2, SERVER6);
    engine.icmp6Unreachable(t, bytes, r, mac, c, s, 3, 6, 40000, 80);
  };
  const icmp = (t: number, reporter: number, mac: number) => engine.icmpUnreachable(t, reporter, mac, CLIENT, SERVER, 1, 6, 40000, 80);
  return { engine, events: () => decisions.map(summary), icmp, icmp6 };
}

const withMac = (text: string, mac: number) => ({ address: parseIp(text)!, mac });

test('IPv4: an ICMP host unreachable from a client (forged source) changes nothing and is counted', () => {
  const { engine, events, icmp } = setup({ routerAddresses: routerAddresses('192.0.2.1') });
  icmp(100, CLIENT, CLIENT_MAC);
  icmp(101, v4('192.0.2.99'), CLIENT_MAC);
  assert.equal(events(), []);
  assert.not.ok(engine.isDown(ipFromV4(SERVER)));
  assert.equal(engine.counters.icmpForged, { address: 2, mac: 0 });
  assert.is(engine.outages.linkCount, 0);
  assert.equal(engine.checkInvariants(), []);
});

test('IPv4: the router\'s own ICMP error still marks the server down', () => {
  const { engine, events, icmp } = setup({ routerAddresses: [withMac('192.0.2.1', ROUTER_MAC)] });
  icmp(100, ROUTER, ROUTER_MAC);
  assert.equal(events(), ['down 198.51.100.10 icmp-unreachable', 'attempt 198.51.100.10 192.0.2.10']);
  assert.equal(engine.counters.icmpForged, { address: 0, mac: 0 });
});

test('IPv4: the router\'s address from another MAC (a client spoofing the source) is forged', () => {
  const { engine, events, icmp } = setup({ routerAddresses: [withMac('192.0.2.1', ROUTER_MAC)] });
  icmp(100, ROUTER, CLIENT_MAC);
  assert.equal(events(), []);
  assert.equal(engine.counters.icmpForged, { address: 0, mac: 1 });
  // Any MAC of the router will do: Linux may source the error from another interface's address.
  engine.setRouterAddresses([withMac('192.0.2.1', ROUTER_MAC), withMac('198.51.100.1', CLIENT_MAC + 1)]);
  icmp(101, v4('198.51.100.1'), ROUTER_MAC);
  assert.equal(events(), ['down 198.51.100.10 icmp-unreachable', 'attempt 198.51.100.10 192.0.2.10']);
});

test('a link without Ethernet source (raw IP) or no router MAC known (replay): the IP source decides', () => {
  const { events, icmp } = setup({ routerAddresses: routerAddresses('192.0.2.1') });
  icmp(100, ROUTER, CLIENT_MAC);
  assert.equal(events().length, 2);
  const second = setup({ routerAddresses: [withMac('192.0.2.1', ROUTER_MAC)] });
  second.icmp(100, ROUTER, 0);
  assert.equal(second.events().length, 2);
});

test('once the router\'s MACs are known, an address without one of its own (ppp, a configured one) needs a router MAC too', () => {
  const { engine, events, icmp } = setup({ routerAddresses: [withMac('192.0.2.1', ROUTER_MAC), withMac('203.0.113.1', 0)] });
  icmp(100, v4('203.0.113.1'), CLIENT_MAC);
  assert.equal(events(), []);
  assert.equal(engine.counters.icmpForged, { address: 0, mac: 1 });
  icmp(101, v4('203.0.113.1'), ROUTER_MAC);
  assert.equal(events().length, 2);
});

test('IPv6: forged source, forged MAC and the router\'s global and link-local addresses', () => {
  const { engine, events, icmp6 } = setup({ routerAddresses: [withMac(ROUTER6, ROUTER_MAC), withMac(ROUTER6_LL, ROUTER_MAC)] });
  icmp6(100, CLIENT6, CLIENT_MAC);
  icmp6(101, '2001:db8:1::99', CLIENT_MAC);
  icmp6(102, ROUTER6, CLIENT_MAC);
  assert.equal(events(), []);
  assert.equal(engine.counters.icmpForged, { address: 2, mac: 1 });
  icmp6(103, ROUTER6_LL, ROUTER_MAC);
  assert.equal(events(), [`down ${SERVER6} icmp-unreachable`, `attempt ${SERVER6} ${CLIENT6}`]);
  assert.equal(engine.checkInvariants(), []);
});

test('no router address known: every ICMP error is forged, of either family', () => {
  const { engine, events, icmp, icmp6 } = setup();
  icmp(100, ROUTER, ROUTER_MAC);
  icmp6(101, ROUTER6, ROUTER_MAC);
  assert.equal(events(), []);
  assert.equal(engine.counters.icmpForged, { address: 2, mac: 0 });
});

test('the set is replaced whole, fixed in size, and holds its pool references', () => {
  const { engine, events, icmp } = setup({ routerAddresses: routerAddresses('192.0.2.1') });
  engine.setRouterAddresses(routerAddresses('192.0.2.254'));
  icmp(100, ROUTER, 0);
  assert.equal(events(), []);
  assert.equal(engine.router.list(), ['192.0.2.254']);
  const many = Array.from({ length: MAX_ROUTER_ADDRESSES + 3 }, (_, i) => ({ address: ipFromV4(0x0a000000 + i), mac: 0 }));
  // Each address once; the 3 beyond the capacity do not fit, nor do their repeats.
  assert.is(engine.setRouterAddresses([...many, ...many]), 6);
  assert.is(engine.router.size, MAX_ROUTER_ADDRESSES);
  assert.equal(engine.checkInvariants(), []);
  engine.setRouterAddresses([]);
  assert.is(engine.pool.size, 0);
});

test('a recording of the real kernel: the router\'s ICMP counts, and the same frames are forged without it', () => {
  const bytes = readFileSync('test/fixtures/icmp-uncached.pcap');
  const decide = (options: Partial<EngineOptions>) => {
    const decisions: Decision[] = [];
    const engine = new Engine({ ...defaultEngineOptions, ...options }, (d) => decisions.push(d));
    runCapture(bytes, engine);
    return { events: decisions.map(summary), forged: engine.counters.icmpForged };
  };
  const down = ['down 198.51.100.10 icmp-unreachable', 'attempt 198.51.100.10 192.0.2.10'];
  assert.equal(decide({ routerAddresses: [withMac('192.0.2.1', ROUTER_MAC)] }), { events: down, forged: { address: 0, mac: 0 } });
  assert.equal(decide({}), { events: [], forged: { address: 4, mac: 0 } });
  assert.equal(decide({ routerAddresses: [withMac('192.0.2.1', CLIENT_MAC)] }), { events: [], forged: { address: 0, mac: 4 } });
});

test('backsoon replay: --router names the router; without it ICMP is forged and the summary says what to do', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'replay', 'test/fixtures/icmp-uncached.pcap', ...args], { encoding: 'utf8' });
  let run = cli();
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /warning: ICMP errors not from the router, counted as forged and not acted on: 4 by IP source, 0 by Ethernet source; no router address was given: name the router .* with --router ADDRESS/);
  run = cli('--router', '2001:db8:1::1', '--router', '192.0.2.1');
  assert.is(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim().split('\n').map((l) => JSON.parse(l).event), ['down', 'attempt']);
  assert.not.match(run.stderr, /forged/);
  run = cli('--router', '192.0.2.1/24');
  assert.is(run.status, 2);
  assert.match(run.stderr, /--router '192.0.2.1\/24': must be an IPv4 or IPv6 address/);
});

test.run();
