// The engine's state file (version 2: both families, the MACs that make devices) and what is
// still read of version 1; outages that no longer fit end with a decision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions, type EngineOptions } from '../../src/engine/engine';
import { exportState, importState, STATE_VERSION } from '../../src/engine/state';
import { parseIp } from '../../src/net/ip';
import { only, summary } from './decision-summary';
import { routerAddresses } from './router';

const ip = (s: string) => parseIp(s)!;

function engineWith(options: Partial<EngineOptions> = {}) {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxPendingSyns: 64, routerAddresses: routerAddresses('192.0.2.1'), ...options }, (d) => decisions.push(d));
  return { engine, decisions };
}

/** What `backsoon` 0.1 wrote (state version 1, IPv4 only), byte for byte in shape. */
const VERSION_1 = {
  version: 1,
  savedAt: 1795000100,
  outages: [
    {
      server: '198.51.100.10', state: 'down', since: 1795000000, cause: 'icmp-unreachable',
      clients: [
        { client: '192.0.2.10', firstAttempt: 1795000000, lastAttempt: 1795000050, mac: '02:00:c0:00:02:0a' },
        { client: '192.0.2.11', firstAttempt: 1795000010, lastAttempt: 1795000010 },
      ],
    },
    { server: '198.51.100.20', state: 'holding', since: 1795000020, cause: 'syn-timeout', holdUntil: 1795000200, clients: [] },
  ],
  contacts: [
    { client: '192.0.2.11', mail: 'bob@example.org', registeredAt: 1795000030, source: 'page' },
    { mac: '02:00:c0:00:02:0a', mail: 'alice@example.org', registeredAt: 1795000031, source: 'policy' },
  ],
};

test('a version 1 file still imports: outages, clients with their MACs, contacts; a holding server comes back down', () => {
  const { engine, decisions } = engineWith();
  const r = importState(engine, VERSION_1, 1795000200);
  assert.equal(r, { restored: 2, skipped: [] });
  assert.equal(decisions, [], 'restoring decides nothing new');
  const list = engine.outageList();
  assert.equal(list.map((o) => [o.server, o.state, o.cause]), [['198.51.100.10', 'down', 'icmp-unreachable'], ['198.51.100.20', 'down', 'syn-timeout']]);
  assert.equal(list[0].clients, VERSION_1.outages[0].clients);
  assert.equal(engine.contacts.lookup(ip('192.0.2.11'), 0)?.mail, 'bob@example.org');
  assert.equal(engine.contacts.lookup(ip('192.0.2.99'), 0x0200c000020a)?.mail, 'alice@example.org');
  engine.recoverySignal(1795000300, ip('198.51.100.10'), 'trap');
  assert.equal(only(decisions, 'notify').map((n) => [n.client, n.contact]), [['192.0.2.10', 'alice@example.org'], ['192.0.2.11', 'bob@example.org']]);
  assert.equal(engine.checkInvariants(), []);
});

test('version 2 round trip: both families, device MACs and contacts survive; a device is still one notice after a restart', () => {
  const { engine } = engineWith();
  engine.markDown(100, ip('2001:db8:5::10'), 'nd-silence');
  engine.registerAttempt(101, ip('2001:db8:5::10'), ip('2001:db8:1::a'), 0x02000000000a);
  engine.registerAttempt(102, ip('2001:db8:5::10'), ip('192.0.2.10'), 0x02000000000a);
  engine.registerAttempt(103, ip('2001:db8:5::10'), ip('2001:db8:1::b'), 0);
  engine.markDown(104, ip('198.51.100.10'), 'arp-silence');
  engine.contacts.set({ client: ip('2001:db8:1::a') }, { mail: 'kim@example.org', registeredAt: 101, source: 'page' });
  const saved = JSON.parse(JSON.stringify(exportState(engine, 200)));
  assert.is(saved.version, STATE_VERSION);
  assert.is(STATE_VERSION, 2);
  assert.equal(saved.outages[0].clients.map((c: { client: string; mac?: string }) => [c.client, c.mac ?? null]), [
    ['2001:db8:1::a', '02:00:00:00:00:0a'], ['192.0.2.10', '02:00:00:00:00:0a'], ['2001:db8:1::b', null],
  ]);
  assert.equal(saved.contacts, [{ client: '2001:db8:1::a', mail: 'kim@example.org', registeredAt: 101, source: 'page' }]);

  const next = engineWith();
  assert.equal(importState(next.engine, saved, 300), { restored: 2, skipped: [] });
  assert.equal(next.engine.outageList(), engine.outageList());
  next.engine.recoverySignal(400, ip('2001:db8:5::10'), 'probe');
  assert.equal(only(next.decisions, 'notify').map((n) => [n.addresses, n.contact ?? null]), [
    [['2001:db8:1::a', '192.0.2.10'], 'kim@example.org'], [['2001:db8:1::b'], null],
  ]);
  assert.equal(next.engine.checkInvariants(), []);
});

test('an outage that no longer fits the server table ends with expired (evicted); clients that do not fit are expired too', () => {
  const big = engineWith();
  for (let i = 1; i <= 3; i++) {
    big.engine.markDown(100 + i, ip(`198.51.100.${i}`), 'arp-silence');
    big.engine.registerAttempt(110 + i, ip(`198.51.100.${i}`), ip(`192.0.2.${i}`), 0);
    big.engine.registerAttempt(120 + i, ip(`198.51.100.${i}`), ip(`192.0.2.${10 + i}`), 0);
  }
  const saved = exportState(big.engine, 200);
  const small = engineWith({ maxServers: 2, maxLinks: 3 });
  const r = importState(small.engine, saved, 300);
  assert.is(r.restored, 2);
  assert.equal(r.skipped, ['outage 198.51.100.3: server table full (reported as expired, evicted)', '1 waiting clients: tables full (reported as expired)']);
  assert.equal(small.decisions.map(summary), [
    // Unverified clients go newest first: the one restored last makes room.
    'expired 198.51.100.2 192.0.2.2 table-full',
    'expired 198.51.100.3 evicted',
  ]);
  const evicted = small.decisions[1];
  assert.equal(evicted, { t: 300, event: 'expired', server: '198.51.100.3', cause: 'evicted', since: 103, outage: '198.51.100.3@103' });
  assert.is(small.engine.counters.outagesEvicted, 1);
  assert.equal(small.engine.checkInvariants(), []);
});

test('entries that do not parse, are no longer watched or appear twice are skipped and said; an unknown version starts empty', () => {
  const { engine } = engineWith({ servers: [ip('198.51.100.10'), ip('2001:db8:5::10')] });
  const r = importState(engine, {
    version: 2, savedAt: 0,
    outages: [
      { server: '198.51.100.10', state: 'down', since: 1, cause: 'arp-silence', clients: [{ client: 'nonsense', firstAttempt: 1, lastAttempt: 1 }] },
      { server: '198.51.100.10', state: 'down', since: 1, cause: 'arp-silence', clients: [] },
      { server: '198.51.100.99', state: 'down', since: 1, cause: 'arp-silence', clients: [] },
      { server: '2001:db8:5::10', state: 'down', since: 1, cause: 'flap', clients: [] },
      { server: 'fe80::1', state: 'down', since: 1, cause: 'nd-silence', clients: [] },
    ],
    contacts: [{ mail: 'nobody@example.org', registeredAt: 1, source: 'page' }],
  }, 10);
  assert.equal(r, {
    restored: 1,
    skipped: [
      'client "nonsense" of 198.51.100.10: malformed',
      'outage 198.51.100.10: listed twice',
      'outage 198.51.100.99: no longer watched',
      'outage "2001:db8:5::10": malformed',
      'outage fe80::1: no longer watched',
      'contact "nobody@example.org": malformed',
    ],
  });
  assert.equal(importState(engineWith().engine, { version: 3 }, 0), { restored: 0, skipped: ['state file has an unknown version; starting empty'] });
});

test.run();
