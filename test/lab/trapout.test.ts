// backsoon's own notifications to a management station: the real engine's outage edges go
// through the collector, the durable outbox and net-snmp to Net-SNMP's snmptrapd (started here
// on 127.0.0.1 and a free high port, BACKSOON-MIB loaded), which must decode them by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SnmpOutConfig, SnmpUser, TrapTargetConfig } from '../../src/config/types';
import { parseIPv4 } from '../../src/net/ipv4';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { Outbox, type OutboxEvent } from '../../src/notify/outbox/outbox';
import { OutageEventCollector, type OutageEvent } from '../../src/notify/outbound-edges';
import { queueOutbound } from '../../src/notify/outbound';
import { TRAP_CHANNEL, trapChannel, trapMessages } from '../../src/notify/trap-out';
import { Snmptrapd } from './trapout-snmptrapd';
import { ipFromV4 } from '../../src/net/ip';

const ENGINE_ID = '80007ed9050102030405060708';
const user: SnmpUser = {
  name: 'backsoon', level: 'authPriv', authProtocol: 'sha', authKey: 'auth pass phrase', privProtocol: 'aes', privKey: 'priv pass phrase',
};
const receiverConf = [
  'authCommunity log public',
  `createUser -e 0x${ENGINE_ID} backsoon SHA "auth pass phrase" AES "priv pass phrase"`,
  'authUser log backsoon',
  // one line per notification: who sent it (community or user), where from, then the varbinds
  'format2 NOTIFICATION %P|%b|%v\\n',
];
const ip = (s: string) => parseIPv4(s)!;
const T0 = 1_795_000_000;

interface Wired {
  outbox: Outbox;
  events: OutboxEvent[];
  snmpOut: SnmpOutConfig;
  close(): Promise<void>;
}

async function wire(targets: TrapTargetConfig[], informTimeout = 1): Promise<Wired> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-trap-outbox-'));
  const events: OutboxEvent[] = [];
  const outbox = await Outbox.open({
    dir, log: () => {}, onEvent: (e) => events.push(e), backoff: { initialMs: 300, maxMs: 600, jitter: 0 },
  });
  const wired: Wired = {
    outbox, events,
    snmpOut: { enterpriseOid: '1.3.6.1.4.1.32473', engineId: ENGINE_ID, informTimeout, targets },
    async close() { await outbox.close(); rmSync(dir, { recursive: true, force: true }); },
  };
  outbox.registerChannel(TRAP_CHANNEL, trapChannel(() => wired.snmpOut, () => 4200));
  return wired;
}

const target = (port: number, over: Partial<TrapTargetConfig> = {}): TrapTargetConfig => ({
  address: '127.0.0.1', port, version: '2c', community: 'public', inform: false, user: null, events: ['down', 'recovered'], ...over,
});

/** Drives the real engine through one outage of 198.51.100.10 with three waiting clients. */
function outage(): OutageEvent[] {
  const events: OutageEvent[] = [];
  const collector = new OutageEventCollector((e) => events.push(e), (err) => { throw err; }, () => {});
  const engine = new Engine({ ...defaultEngineOptions }, (d) => collector.push(d));
  for (const [i, client] of ['192.0.2.7', '192.0.2.8', '192.0.2.9'].entries()) engine.syn(T0 + i, ip(client), ip('198.51.100.10'), 40000 + i, 80, 1000 + i, 0);
  engine.tick(T0 + 31);
  collector.flush();
  engine.recoverySignal(T0 + 723, ipFromV4(ip('198.51.100.10')), 'trap');
  collector.flush();
  return events;
}

let trapd: Snmptrapd;
test.before(async () => {
  trapd = await Snmptrapd.create({ conf: receiverConf });
  await trapd.start();
});
test.after(async () => {
  await trapd?.dispose();
});

const lines = (from: number) => trapd.output.slice(from).split('\n').filter((l) => l.startsWith('NOTIFICATION '));

test('down and recovered, v2c and v3 authPriv traps: snmptrapd decodes every one by name', async () => {
  const from = trapd.output.length;
  const w = await wire([target(trapd.port), target(trapd.port, { address: 'localhost', version: '3', user })]);
  try {
    const [down, recovered] = outage();
    for (const e of [down, recovered]) {
      const r = await queueOutbound(w.outbox, trapMessages(w.snmpOut, e, 'www.example.test'));
      assert.equal(r, { queued: 2, duplicate: 0, problems: [] });
    }
    await w.outbox.settled();
    assert.is(w.outbox.stats().sent, 4);
    await trapd.waitForOutput(/(NOTIFICATION [^\n]*\n[\s\S]*){4}/, from);
    const got = lines(from);
    assert.is(got.length, 4);
    const v2 = got.filter((l) => /SNMP v2c, community public\|/.test(l));
    const v3 = got.filter((l) => /SNMP v3, user backsoon, context \|/.test(l));
    assert.is(v2.length, 2);
    assert.is(v3.length, 2);
    for (const group of [v2, v3]) {
      const d = group.find((l) => l.includes('OID: BACKSOON-MIB::backsoonServerDown'));
      const r = group.find((l) => l.includes('OID: BACKSOON-MIB::backsoonServerRecovered'));
      assert.ok(d && r, group.join('\n'));
      assert.match(d!, /BACKSOON-MIB::backsoonServerInetAddressType\.0 = INTEGER: ipv4\(1\)\|?/);
      assert.match(d!, /BACKSOON-MIB::backsoonServerInetAddress\.0 = Hex-STRING: C6 33 64 0A/);
      assert.match(d!, /BACKSOON-MIB::backsoonServerName\.0 = STRING: www\.example\.test/);
      assert.match(d!, /BACKSOON-MIB::backsoonOutageStart\.0 = STRING: 2026-11-18,11:6:40\.0,\+0:0/);
      assert.match(d!, /BACKSOON-MIB::backsoonWaitingClients\.0 = Gauge32: 3 clients/);
      assert.match(d!, /BACKSOON-MIB::backsoonCause\.0 = STRING: syn-timeout/);
      assert.ok(!d!.includes('backsoonOutageEnd'));
      assert.match(r!, /BACKSOON-MIB::backsoonOutageEnd\.0 = STRING: 2026-11-18,11:18:43\.0,\+0:0/);
      assert.match(r!, /BACKSOON-MIB::backsoonWaitingClients\.0 = Gauge32: 3 clients/);
      assert.match(r!, /BACKSOON-MIB::backsoonCause\.0 = STRING: trap/);
      const id = (l: string) => /backsoonOutageId\.0 = STRING: (\S+)/.exec(l)?.[1];
      assert.is(id(d!), '198.51.100.10@1795000000');
      assert.is(id(r!), id(d!), 'the two notifications of one outage pair up');
      assert.match(r!, /SNMPv2-MIB::sysUpTime\.0 = Timeticks: \(4200\)/);
    }
    // queued again (a replayed decision): the outbox refuses the duplicates, nothing more is sent
    const again = await queueOutbound(w.outbox, trapMessages(w.snmpOut, outage()[1], 'www.example.test'));
    assert.equal(again, { queued: 0, duplicate: 2, problems: [] });
  } finally {
    await w.close();
  }
});

test('an IPv6 server goes out as InetAddressType ipv6(2) and its 16 octets, decoded by name', async () => {
  const from = trapd.output.length;
  const w = await wire([target(trapd.port, { events: ['down'] })]);
  try {
    const [down] = outage();
    const server = '2001:db8:0:1::80';
    const r = await queueOutbound(w.outbox, trapMessages(w.snmpOut, { ...down, server, outage: `${server}@${T0}` }, ''));
    assert.equal(r, { queued: 1, duplicate: 0, problems: [] });
    await w.outbox.settled();
    assert.equal({ sent: w.outbox.stats().sent, failed: w.outbox.stats().failed }, { sent: 1, failed: 0 });
    await trapd.waitForOutput(/2001:db8:0:1::80@/, from);
    const [line] = lines(from);
    assert.match(line, /OID: BACKSOON-MIB::backsoonServerDown/);
    assert.match(line, /BACKSOON-MIB::backsoonServerInetAddressType\.0 = INTEGER: ipv6\(2\)/);
    assert.match(line, /BACKSOON-MIB::backsoonServerInetAddress\.0 = Hex-STRING: 20 01 0D B8 00 00 00 01 00 00 00 00 00 00 00 80/);
    assert.match(line, /BACKSOON-MIB::backsoonServerName\.0 = STRING: 2001:db8:0:1::80/, 'no name configured: the address');
  } finally {
    await w.close();
  }
});

test('a receiver at an IPv6 address gets its traps over IPv6', async () => {
  const from = trapd.output.length;
  const w = await wire([target(trapd.port, { address: '::1', events: ['down'] })]);
  try {
    const r = await queueOutbound(w.outbox, trapMessages(w.snmpOut, outage()[0], 'www.example.test'));
    assert.equal(r, { queued: 1, duplicate: 0, problems: [] });
    await w.outbox.settled();
    assert.equal({ sent: w.outbox.stats().sent, failed: w.outbox.stats().failed }, { sent: 1, failed: 0 });
    await trapd.waitForOutput(/backsoonServerDown/, from);
    const [line] = lines(from);
    assert.match(line, /UDP\/IPv6: \[::1\]/, 'snmptrapd saw it arrive from ::1');
    assert.match(line, /BACKSOON-MIB::backsoonServerName\.0 = STRING: www\.example\.test/);
  } finally {
    await w.close();
  }
});

test('v3 traps need the pinned engine ID: one sent under another ID is not accepted', async () => {
  const from = trapd.output.length;
  const w = await wire([target(trapd.port, { version: '3', user, events: ['down'] })]);
  try {
    const [down] = outage();
    w.snmpOut = { ...w.snmpOut, engineId: '80007ed9059999999999999999' };
    await queueOutbound(w.outbox, trapMessages(w.snmpOut, { ...down, outage: 'wrong-engine' }, 'wrong-engine-id'));
    await w.outbox.settled();
    w.snmpOut = { ...w.snmpOut, engineId: ENGINE_ID };
    await queueOutbound(w.outbox, trapMessages(w.snmpOut, { ...down, outage: 'right-engine' }, 'right-engine-id'));
    await w.outbox.settled();
    await trapd.waitForOutput(/right-engine-id/, from);
    assert.equal(lines(from).filter((l) => /engine-id/.test(l)).map((l) => /ServerName\.0 = STRING: (\S+)/.exec(l)?.[1]), ['right-engine-id']);
  } finally {
    await w.close();
  }
});

test('informs are retried while the receiver is down and delivered once it is up', async () => {
  const late = await Snmptrapd.create({ conf: receiverConf });
  const w = await wire([target(late.port, { inform: true, events: ['recovered'] })]);
  try {
    const recovered = outage()[1];
    assert.equal(await queueOutbound(w.outbox, trapMessages(w.snmpOut, recovered, 'www.example.test')), { queued: 1, duplicate: 0, problems: [] });
    // nobody listens yet: each attempt waits inform_timeout (1 s) for its acknowledgement
    for (let i = 0; w.events.filter((e) => e.type === 'retry').length < 2; i++) {
      if (i > 200) throw new Error(`no retries: ${JSON.stringify(w.events)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const retries = w.events.filter((e) => e.type === 'retry');
    assert.ok(retries.every((e) => e.type === 'retry' && /no acknowledgement within 1 s/.test(e.detail)), JSON.stringify(retries));
    assert.is(w.outbox.stats().sent, 0);
    await late.start();
    await w.outbox.settled();
    assert.is(w.outbox.stats().sent, 1);
    assert.is(w.outbox.stats().failed, 0);
    const got = (await late.waitForOutput(/backsoonServerRecovered/)).split('\n').filter((l) => l.startsWith('NOTIFICATION '));
    assert.is(got.length, 1);
    assert.match(got[0], /INFORM, SNMP v2c, community public\|.*backsoonWaitingClients\.0 = Gauge32: 3 clients/);
  } finally {
    await w.close();
    await late.dispose();
  }
});

test('a receiver removed from the configuration is given up, not retried for ever', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-trap-outbox-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  try {
    const snmpOut: SnmpOutConfig = { enterpriseOid: '1.3.6.1.4.1.32473', engineId: ENGINE_ID, informTimeout: 1, targets: [target(trapd.port)] };
    await queueOutbound(outbox, trapMessages(snmpOut, outage()[0], 'www'));
    // the reloaded configuration no longer has the receiver
    outbox.registerChannel(TRAP_CHANNEL, trapChannel(() => ({ ...snmpOut, targets: [] })));
    await outbox.settled();
    assert.equal({ sent: outbox.stats().sent, failed: outbox.stats().failed }, { sent: 0, failed: 1 });
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
