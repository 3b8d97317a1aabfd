// What the daemon gets by feeding every engine decision to OutageDispatcher: per outage edge,
// the SNMP notifications, the webhook POSTs and (on recovery, for list notify 'server'/'nms')
// the targets mails, all in the durable outbox. The real engine and outbox; no transport is
// attached, so the messages stay on disk where the test reads them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig } from '../../src/config/types';
import { parseIPv4 } from '../../src/net/ipv4';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { Outbox } from '../../src/notify/outbox/outbox';
import { checkOutboundText } from '../../src/notify/targets-config';
import { OutageDispatcher, type DispatchConfig } from '../../src/notify/targets-dispatch';
import { ipFromV4 } from '../../src/net/ip';
import { routerAddresses } from './router';

const ip = (s: string) => parseIPv4(s)!;
const T0 = 1_795_000_000;

const outbound = checkOutboundText(`
config webhook
	option url 'https://hooks.example.test/backsoon'
	option secret 'a long random shared secret'
	list event 'down'
	list event 'recovered'
	list event 'notify'

config trap_target
	option address '192.0.2.200'
	option inform '1'

config trap_target
	option address '192.0.2.201'
	list event 'recovered'
`, 'backsoon', 'OpenWrt');

const servers: ServerConfig[] = [{
  section: 'www', name: 'www.example.test', address: ip('198.51.100.10'), agentAddresses: [], notify: ['direct', 'server', 'nms'],
  mailbox: 'notify@www.example.test', probe: [], standin: false, standinPorts: [80],
}];

const config: DispatchConfig = {
  servers,
  mail: { host: '127.0.0.1', port: 25, tls: 'none', user: null, password: null, from: 'backsoon@router.example.test', heloName: null, nms: 'nms@example.test' },
  webhooks: outbound.config!.webhooks,
  snmpOut: outbound.config!.snmpOut,
};

test('one outage of a configured server: traps, webhooks and targets mails, each once', async () => {
  assert.equal(outbound.errors, []);
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-dispatch-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const logs: string[] = [];
  const dispatcher = new OutageDispatcher({ outbox: () => outbox, config: () => config, log: (l, m) => logs.push(`${l}: ${m}`) });
  try {
    const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1') }, (d) => dispatcher.push(d));
    engine.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.7'), ip('198.51.100.10'), 1, 6, 40000, 80);
    engine.icmpUnreachable(T0 + 3, ip('192.0.2.1'), 0, ip('192.0.2.8'), ip('198.51.100.10'), 1, 6, 40001, 80);
    engine.recoverySignal(T0 + 600, ipFromV4(ip('198.51.100.10')), 'trap');
    await dispatcher.settle();
    assert.equal(logs, []);

    // The queue's batch files hold one message per line.
    const keys = readdirSync(join(dir, 'queue'))
      .flatMap((f) => readFileSync(join(dir, 'queue', f), 'utf8').split('\n').filter((l) => l !== ''))
      .map((l) => (JSON.parse(l) as { key: string }).key).sort();
    const outage = `198.51.100.10@${T0}`;
    const url = 'https://hooks.example.test/backsoon';
    assert.equal(keys, [
      `targets:nms@example.test|${outage}`,
      `targets:notify@www.example.test|${outage}`,
      `trap:192.0.2.200:162|down|${outage}`,
      `trap:192.0.2.200:162|recovered|${outage}`,
      `trap:192.0.2.201:162|recovered|${outage}`,
      `webhook:${url}|down|${outage}`,
      `webhook:${url}|notify|${outage}|192.0.2.7`,
      `webhook:${url}|notify|${outage}|192.0.2.8`,
      `webhook:${url}|recovered|${outage}`,
    ].sort());
    assert.equal(dispatcher.counters, { delegation: 2, traps: 3, webhooks: 4, duplicates: 0, problems: 0 });

    // on the channels attach() serves (not attached here: 192.0.2.x and the hook are not ours to reach)
    assert.equal(Object.keys(outbox.stats().channels).sort(), ['mail', 'trap', 'webhook']);

    // the same decisions replayed (a restart that restores state and re-emits): all duplicates
    const again = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1') }, (d) => dispatcher.push(d));
    again.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.7'), ip('198.51.100.10'), 1, 6, 40000, 80);
    again.icmpUnreachable(T0 + 3, ip('192.0.2.1'), 0, ip('192.0.2.8'), ip('198.51.100.10'), 1, 6, 40001, 80);
    again.recoverySignal(T0 + 600, ipFromV4(ip('198.51.100.10')), 'trap');
    await dispatcher.settle();
    assert.equal(dispatcher.counters, { delegation: 2, traps: 3, webhooks: 4, duplicates: 9, problems: 0 });
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an outage forgotten to make room (expired, evicted): its end goes to the traps that want it, no targets mail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-dispatch-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const dispatcher = new OutageDispatcher({ outbox: () => outbox, config: () => config, log: () => {} });
  try {
    // One server fits: the second outage pushes out the first, which nobody waits for.
    const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1'), maxServers: 1 }, (d) => dispatcher.push(d));
    engine.markDown(T0, ipFromV4(ip('198.51.100.10')), 'neigh-failed');
    engine.markDown(T0 + 5, ipFromV4(ip('198.51.100.20')), 'neigh-failed');
    await dispatcher.settle();
    // The queue's batch files hold one message per line.
    const keys = readdirSync(join(dir, 'queue'))
      .flatMap((f) => readFileSync(join(dir, 'queue', f), 'utf8').split('\n').filter((l) => l !== ''))
      .map((l) => (JSON.parse(l) as { key: string }).key).sort();
    const url = 'https://hooks.example.test/backsoon';
    assert.equal(keys, [
      `trap:192.0.2.200:162|down|198.51.100.10@${T0}`,
      `trap:192.0.2.200:162|down|198.51.100.20@${T0 + 5}`,
      `trap:192.0.2.200:162|expired|198.51.100.10@${T0}`,
      // this webhook lists its events without 'expired'
      `webhook:${url}|down|198.51.100.10@${T0}`,
      `webhook:${url}|down|198.51.100.20@${T0 + 5}`,
    ]);
    assert.is(dispatcher.counters.delegation, 0, 'nobody is to be told: no targets mail');
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a server without delegation and without outbound sections: nothing is queued', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-dispatch-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const dispatcher = new OutageDispatcher({
    outbox: () => outbox, log: () => {},
    config: () => ({ servers: [], mail: null, webhooks: [], snmpOut: null }),
  });
  try {
    const engine = new Engine({ ...defaultEngineOptions, routerAddresses: routerAddresses('192.0.2.1') }, (d) => dispatcher.push(d));
    engine.icmpUnreachable(T0, ip('192.0.2.1'), 0, ip('192.0.2.7'), ip('198.51.100.10'), 1, 6, 40000, 80);
    engine.recoverySignal(T0 + 600, ipFromV4(ip('198.51.100.10')), 'trap');
    await dispatcher.settle();
    assert.is(outbox.stats().queued, 0);
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
