// Probes without root: which probes a down server gets, the ARP request the 'arp' probe sends
// (read back by the real decoder), and the prober driving a real Engine with tcp probes
// against listeners on loopback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import type { ServerConfig } from '../../src/config/types';
import type { Decision } from '../../src/engine/decisions';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { NullObservations } from '../../src/net/observations';
import { FrameDecoder } from '../../src/packet/dispatch';
import { LINKTYPE_ETHERNET } from '../../src/packet/linktype';
import { ArpReplyWatch, arpRequestFrame } from '../../src/capture/probe-arp';
import { planProbes, type InterfaceAddress } from '../../src/capture/probe-plan';
import { AddressWaiters } from '../../src/capture/probe-waiters';
import { tcpProbe } from '../../src/capture/probe-tcp';
import { Prober } from '../../src/capture/probes';
import { parseIp, type IpAddress } from '../../src/net/ip';

const ip = (text: string): IpAddress => parseIp(text) as IpAddress;
const S0: InterfaceAddress = { name: 's0', address: ip('198.51.100.1'), prefix: 24, mac: 0x0200c6336401 };
const SERVER = ip('198.51.100.10');
const FAR = ip('203.0.113.7');

test('no probe configured: neigh for a server on a server-side subnet, nothing for one further away', () => {
  assert.equal(planProbes(SERVER, 'arp-silence', [], [S0]).probes, [{ method: 'neigh', port: 0, iface: S0 }]);
  assert.equal(planProbes(FAR, 'icmp-unreachable', undefined, [S0]), { probes: [], unusable: [] });
  assert.equal(planProbes(SERVER, 'arp-silence', [], []).probes, []);
});

test('configured probes run in order; arp and neigh need a connected interface', () => {
  const plan = planProbes(SERVER, 'icmp-unreachable', [{ method: 'tcp', port: 22 }, { method: 'arp', port: 0 }], [S0]);
  assert.equal(plan.probes, [{ method: 'tcp', port: 22, iface: null }, { method: 'arp', port: 0, iface: S0 }]);
  const far = planProbes(FAR, 'icmp-unreachable', [{ method: 'arp', port: 0 }, { method: 'tcp', port: 80 }], [S0]);
  assert.equal(far.probes, [{ method: 'tcp', port: 80, iface: null }]);
  assert.is(far.unusable.length, 1);
  assert.match(far.unusable[0], /server_interface/);
});

test('a server down by syn-timeout gets tcp probes only: answering ARP says nothing of its service', () => {
  const plan = planProbes(SERVER, 'syn-timeout', [{ method: 'neigh', port: 0 }, { method: 'tcp', port: 443 }, { method: 'arp', port: 0 }], [S0]);
  assert.equal(plan.probes.map((p) => p.method), ['tcp']);
  assert.equal(planProbes(SERVER, 'syn-timeout', [], [S0]).probes, []);
});

test('IPv6: neigh through the interface whose IPv6 subnet holds the server; arp refused with the fix', () => {
  const S0v6: InterfaceAddress = { name: 's0', address: ip('2001:db8:5::1'), prefix: 64, mac: 0x0200c6336401 };
  const server6 = ip('2001:db8:5::10');
  assert.equal(planProbes(server6, 'nd-silence', [], [S0, S0v6]).probes, [{ method: 'neigh', port: 0, iface: S0v6 }]);
  assert.equal(planProbes(ip('2001:db8:6::10'), 'nd-silence', [], [S0, S0v6]).probes, []);
  const arp = planProbes(server6, 'icmp-unreachable', [{ method: 'arp', port: 0 }, { method: 'tcp', port: 80 }], [S0v6]);
  assert.equal(arp.probes.map((p) => p.method), ['tcp']);
  assert.match(arp.unusable[0], /list probe 'neigh'/);
  // an IPv4 server is never matched by an IPv6 interface, nor the reverse
  assert.equal(planProbes(SERVER, 'arp-silence', [], [S0v6]).probes, []);
});

test("the ARP request decodes as the interface asking for the server, from its own MAC", () => {
  const frame = arpRequestFrame(S0.mac, S0.address.v4, SERVER.v4);
  const seen: unknown[] = [];
  const sink = new NullObservations();
  sink.arpRequest = (...args: unknown[]) => { const [t, sender, target] = args; seen.push({ t, sender, target }); };
  const decoder = new FrameDecoder(sink);
  decoder.frame(LINKTYPE_ETHERNET, frame, 0, frame.length, 5);
  assert.equal(seen, [{ t: 5, sender: S0.address.v4, target: SERVER.v4 }]);
  assert.equal([...frame.subarray(0, 12)], [255, 255, 255, 255, 255, 255, 2, 0, 0xc6, 0x33, 0x64, 1]);
});

test('ArpReplyWatch passes observations on and wakes waiters after the engine saw the reply', async () => {
  const decisions: Decision[] = [];
  const engine = new Engine(defaultEngineOptions, (d) => decisions.push(d));
  const watch = new ArpReplyWatch(engine);
  engine.markDown(100, SERVER, 'arp-silence');
  const waiting = watch.waitReply(SERVER.v4, 2000).then((ok) => ({ ok, downWhenWoken: engine.isDown(SERVER) }));
  watch.arpReply(101, SERVER.v4, 0x0200c633640a);
  assert.equal(await waiting, { ok: true, downWhenWoken: false });
  assert.equal(decisions.map((d) => `${d.event} ${'cause' in d ? d.cause : ''}`), ['down arp-silence', 'recovered arp-reply']);
});

test('AddressWaiters: true when seen, false at the deadline, nothing left behind', async () => {
  const w = new AddressWaiters();
  const a = w.wait('192.0.2.1', 2000);
  const b = w.wait('192.0.2.1', 2000);
  const c = w.wait('2001:db8::2', 20);
  w.seen('192.0.2.1');
  w.seen('2001:db8::3');
  assert.equal(await Promise.all([a, b, c]), [true, true, false]);
  assert.is(w.size, 0);
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('tcpProbe on loopback: a listener is connected, a closed port refused', async () => {
  const s = createServer((c) => c.destroy());
  const open = await listen(s);
  try {
    assert.is(await tcpProbe(ip('127.0.0.1'), open, 2000), 'connected');
    assert.is(await tcpProbe(ip('127.0.0.1'), await closedPort(), 2000), 'refused');
    const s6 = createServer((c) => c.destroy());
    const open6 = await new Promise<number>((resolve) => s6.listen(0, '::1', () => resolve((s6.address() as { port: number }).port)));
    assert.is(await tcpProbe(ip('::1'), open6, 2000), 'connected');
    s6.close();
  } finally {
    s.close();
  }
});

function serverConfig(address: IpAddress, probe: ServerConfig['probe']): ServerConfig {
  return { section: 's', name: 's', address, agentAddresses: [], notify: ['direct'], mailbox: null, probe, standin: false, standinPorts: [80] };
}

interface ProberHarness { prober: Prober; engine: Engine; decisions: Decision[] }

function prober(servers: ServerConfig[]): ProberHarness {
  const decisions: Decision[] = [];
  const engine = new Engine(defaultEngineOptions, (d) => decisions.push(d));
  const p = new Prober({
    engine, interval: 5, servers, serverInterfaces: [], log: () => {}, now: () => 2000,
    interfaces: () => [],
  });
  return { prober: p, engine, decisions };
}

const LOOPBACK = ip('127.0.0.1');

test('a round finds a down server back by tcp and recovers it with cause probe', async () => {
  const s = createServer((c) => c.destroy());
  const port = await listen(s);
  try {
    const h = prober([serverConfig(LOOPBACK, [{ method: 'tcp', port }])]);
    h.engine.markDown(1000, LOOPBACK, 'syn-timeout');
    await h.prober.probeAll();
    assert.equal(h.decisions.map((d) => `${d.event} ${'cause' in d ? d.cause : ''}`), ['down syn-timeout', 'recovered probe']);
    assert.equal(h.prober.stats().byMethod.tcp, { sent: 1, succeeded: 1, failed: 0 });
  } finally {
    s.close();
  }
});

test('a refused connect ends a host outage but not a service outage (syn-timeout)', async () => {
  const port = await closedPort();
  const service = prober([serverConfig(LOOPBACK, [{ method: 'tcp', port }])]);
  service.engine.markDown(1000, LOOPBACK, 'syn-timeout');
  await service.prober.probeAll();
  assert.ok(service.engine.isDown(LOOPBACK));
  assert.equal(service.prober.stats().byMethod.tcp, { sent: 1, succeeded: 0, failed: 1 });

  const host = prober([serverConfig(LOOPBACK, [{ method: 'tcp', port }])]);
  host.engine.markDown(1000, LOOPBACK, 'icmp-unreachable');
  await host.prober.probeAll();
  assert.not.ok(host.engine.isDown(LOOPBACK));
  const last = host.decisions.at(-1);
  assert.is(last?.event === 'recovered' ? last.cause : last?.event, 'probe');
});

test('probeOnce answers without telling the engine, and probes nothing that is not down', async () => {
  const s = createServer((c) => c.destroy());
  const port = await listen(s);
  try {
    const h = prober([serverConfig(LOOPBACK, [{ method: 'tcp', port }])]);
    assert.is(await h.prober.probeOnce(LOOPBACK), false);
    await h.prober.probeAll();
    assert.equal(h.prober.stats().byMethod.tcp.sent, 0);
    h.engine.markDown(1000, LOOPBACK, 'icmp-unreachable');
    assert.is(await h.prober.probeOnce(LOOPBACK), true);
    assert.ok(h.engine.isDown(LOOPBACK), 'probeOnce leaves the recovery to its caller');
  } finally {
    s.close();
  }
});

test('with a concurrency limit below the number of down servers, every one is still probed once per round', async () => {
  const port = await closedPort();
  const servers: ServerConfig[] = [];
  for (let i = 1; i <= 20; i++) servers.push(serverConfig(ip(`127.0.0.${i}`), [{ method: 'tcp', port }]));
  const decisions: Decision[] = [];
  const engine = new Engine(defaultEngineOptions, (d) => decisions.push(d));
  const p = new Prober({ engine, interval: 5, servers, serverInterfaces: [], log: () => {}, interfaces: () => [], concurrency: 3 });
  for (const s of servers) engine.markDown(1000, s.address, 'icmp-unreachable');
  await p.probeAll();
  assert.equal(p.stats().byMethod.tcp, { sent: 20, succeeded: 20, failed: 0 });
  assert.is(engine.outages.serverCount, 0);
});

test.run();
