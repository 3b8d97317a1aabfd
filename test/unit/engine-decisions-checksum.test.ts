// The engine's decisions over bench/decode.ts's worst-case capture (27 % of packets change the
// tables, half of them over IPv6) are pinned by a checksum: a change made for speed must decide
// exactly the same, in the same order. A second run with small tables and short timers walks
// the rarer paths (SYN timeouts, evictions, holds, purges, dual-stack servers, contacts).
// When a change is meant to decide differently, say why in its commit and update the sums.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSyntheticCapture } from '../../bench/decode';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { parseIp, parseIpPrefix, type IpAddress } from '../../src/net/ip';
import { FrameDecoder } from '../../src/packet/dispatch';

const ROUTER_MAC = 0x02000000fe01;
const capture = buildSyntheticCapture({ packets: 40_000, ipv6Share: 0.5, seed: 7 });

function address(text: string): IpAddress {
  const ip = parseIp(text);
  if (ip === null) throw new Error(`'${text}' is not an address`);
  return ip;
}

/**
 * Every decision as JSON, in order, hashed; with the number of decisions and of notices. With
 * `tellAtOnce`, a recovery tells the rest of its devices one by one between frames (tellMore),
 * as the daemon does between its turns, or at the next frame.
 */
function replay(options: Partial<EngineOptions>, prepare: (engine: Engine) => void = () => {}): string {
  const hash = createHash('sha256');
  let decisions = 0;
  let notices = 0;
  const engine = new Engine({
    ...defaultEngineOptions,
    routerAddresses: ['203.0.113.1', '2001:db8:1::1'].map((text) => ({ address: address(text), mac: ROUTER_MAC })),
    ...options,
  }, (d) => {
    decisions++;
    if (d.event === 'notify') notices++;
    hash.update(JSON.stringify(d)).update('\n');
  });
  prepare(engine);
  const decoder = new FrameDecoder(engine);
  const { file, offsets, lengths, times, linktype } = capture;
  let pieces = 0;
  for (let i = 0; i < offsets.length; i++) {
    decoder.frame(linktype, file, offsets[i], lengths[i], times[i]);
    for (let k = i % 3; k > 0 && engine.telling; k--) { engine.tellMore(() => false); pieces++; }
  }
  engine.tick(times[times.length - 1] + 60);
  if ((options.tellAtOnce ?? 0) > 0) assert.ok(pieces > 0, 'some recoveries were told in pieces');
  assert.equal(engine.checkInvariants(), []);
  return `${decisions} decisions, ${notices} notices, ${hash.digest('hex').slice(0, 16)}`;
}

test('defaults: the same decisions over the mixed worst-case capture', () => {
  assert.is(replay({}), '8936 decisions, 2593 notices, 25610b74979d37c5');
});

/** The small-tables run: tiny tables and short timers walk the rarer paths. */
const SMALL_TABLES_SUM = '11271 decisions, 387 notices, 00b588b2f3f4735a';

function smallTablesOptions(tellAtOnce: number): Partial<EngineOptions> {
  return {
    tellAtOnce,
    synTimeout: 0.002, arpRetries: 2, maxAttemptAge: 0.008, purgeInterval: 0.003, hold: 0.0005,
    maxServers: 160, maxLinks: 96, maxLinksPerServer: 3, maxPendingSyns: 200, maxContacts: 64,
    clientNetworks: ['192.0.2.0/25', '2001:db8:1::/112'].map((text) => parseIpPrefix(text)!),
    serverGroups: [['198.51.100.5', '2001:db8:2::5'], ['198.51.100.9', '2001:db8:2::9']].map((texts) => texts.map(address)),
  };
}

function smallTablesPrepare(engine: Engine): void {
  for (let n = 1; n < 40; n += 3) {
    engine.contacts.set({ client: address(`192.0.2.${n}`) }, { mail: `v4-${n}@example.org`, registeredAt: 0, source: 'config' });
    engine.contacts.set({ client: address(`2001:db8:1::${n.toString(16)}`) }, { mail: `v6-${n % 2 ? n : n + 1}@example.org`, registeredAt: 0, source: 'config' });
  }
  engine.bound(0, address('192.0.2.7'));
  engine.bound(0, address('2001:db8:1::8'));
}

test('small tables and short timers: the same decisions', () => {
  assert.is(replay(smallTablesOptions(0), smallTablesPrepare), SMALL_TABLES_SUM);
});

test('told in pieces (tellAtOnce 1 and 3, the rest between frames): the same decisions as told at once', () => {
  for (const tellAtOnce of [1, 3]) assert.is(replay({ tellAtOnce }), '8936 decisions, 2593 notices, 25610b74979d37c5', `tellAtOnce ${tellAtOnce}`);
  // Small tables without a hold time (a recovery that ends a hold is told whole).
  const atOnce = replay({ ...smallTablesOptions(0), hold: 0 }, smallTablesPrepare);
  assert.is(replay({ ...smallTablesOptions(1), hold: 0 }, smallTablesPrepare), atOnce, 'small tables, tellAtOnce 1');
});

test.run();
