// Active probes in the lab (bs-cp-pr-*): a client tries the server while it is gone, then stays
// quiet; the server comes back and announces nothing, so only the prober can find it. Each test
// runs one probe method with only the input that carries its answer (a tcp connect's own
// result; REACHABLE through `ip monitor neigh`; an ARP reply through the capture on s0), so the
// recovery cause shows which path worked. Neighbour timers are shortened (lab_fast_neigh).
// probe_interval is 1 s. Measured latencies are printed, not asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab } from './lab';
import { curl, sleep, startReadyDriver, type Driver, type DriverLine } from './capture-helpers';
import type { DriverConfig } from './capture-driver';

const SERVER = '198.51.100.10';
const CLIENT = '192.0.2.10';

let lab: Lab;
let driver: Driver | null = null;

test.before(async () => {
  lab = await Lab.up('cp-pr', { fastNeigh: true, http: true });
});

test.after.each(async () => {
  await driver?.stop();
  driver = null;
  await lab.serverBack();
});

test.after(async () => {
  await lab?.down();
});

const isDecision = (event: string) => (l: DriverLine) => l.event === event && l.server === SERVER;

/** The server goes, the client tries it once and gives up; resolves when the outage is known. */
async function outageWithOneAttempt(d: Driver): Promise<DriverLine> {
  await lab.serverGone('addr');
  const attempt = curl(lab, 4);
  const down = await d.waitFor(isDecision('down'), 'down', 15_000);
  await d.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt', 15_000);
  assert.is(await attempt, '000');
  await routerGaveUp();
  return down;
}

/**
 * Waits until the router's neighbour entry for the server is FAILED (or gone). Until then the
 * router may still hold the client's last SYN in the entry's queue and would deliver it the
 * moment the server answers ARP: client traffic after all, and a recovery by syn-ack.
 */
async function routerGaveUp(): Promise<void> {
  const deadline = Date.now() + 10_000; // a bound against hanging
  for (;;) {
    const r = await lab.exec('r', ['ip', '-4', 'neigh', 'show', SERVER, 'dev', 's0']);
    const state = r.stdout.trim().split(/\s+/).at(-1) ?? '';
    if (state === '' || state === 'FAILED') return;
    if (Date.now() > deadline) throw new Error(`the router's entry for ${SERVER} stays ${state}`);
    await sleep(100);
  }
}

/** Brings the server back with no client traffic; resolves with the recovery and its latency. */
async function backWithoutTraffic(d: Driver): Promise<{ recovered: DriverLine; latency: number }> {
  const synsBefore = d.lines.filter((l) => l.event === 'syn-seen').length;
  // Taken before lab_server_back runs (~0.1 s of ip commands): the latency is an upper bound.
  const back = Date.now() / 1000;
  await lab.serverBack();
  const recovered = await d.waitFor(isDecision('recovered'), 'recovered', 15_000);
  await d.waitFor((l) => isDecision('notify')(l) && l.client === CLIENT, 'the notice for the client');
  assert.is(d.lines.filter((l) => l.event === 'syn-seen').length, synsBefore, 'no client traffic after the outage');
  return { recovered, latency: Number(recovered.t) - back };
}

async function probeCounters(d: Driver): Promise<Record<string, { sent: number; succeeded: number; failed: number }>> {
  return ((await d.stats()).prober as { byMethod: Record<string, { sent: number; succeeded: number; failed: number }> }).byMethod;
}

/** The prober counts a success when its own wait ends, which may be just after the engine heard. */
async function countersWhen(d: Driver, ok: (c: Awaited<ReturnType<typeof probeCounters>>) => boolean, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = await probeCounters(d);
    if (ok(c) || Date.now() > deadline) return c;
    await sleep(100);
  }
}

function config(over: Partial<DriverConfig>): Partial<DriverConfig> {
  return { probeInterval: 1, ...over };
}

test('nothing is probed while nothing is down', async () => {
  driver = await startReadyDriver(lab, config({
    servers: [{ address: SERVER, probe: [{ method: 'tcp', port: 80 }, { method: 'arp', port: 0 }, { method: 'neigh', port: 0 }] }],
    neighbourDevices: ['s0'],
  }));
  assert.is(await curl(lab, 3), '200');
  const deadline = Date.now() + 10_000; // a bound against hanging
  let stats = await driver.stats();
  while ((stats.prober as { rounds: number }).rounds < 2 && Date.now() < deadline) { await sleep(250); stats = await driver.stats(); }
  assert.ok((stats.prober as { rounds: number }).rounds >= 2);
  const byMethod = await probeCounters(driver);
  assert.equal([byMethod.tcp.sent, byMethod.arp.sent, byMethod.neigh.sent], [0, 0, 0]);
});

test('tcp:80 finds the server back without any client traffic: recovered with cause probe', async () => {
  // Capture on the client side only and no monitor: the connect's own result is the only signal.
  driver = await startReadyDriver(lab, config({
    serverInterfaces: [], probeInterfaces: [], synTimeout: 3,
    servers: [{ address: SERVER, probe: [{ method: 'tcp', port: 80 }] }],
  }));
  await outageWithOneAttempt(driver);
  const { recovered, latency } = await backWithoutTraffic(driver);
  assert.is(recovered.cause, 'probe');
  const tcp = (await probeCounters(driver)).tcp;
  assert.ok(tcp.failed >= 1 && tcp.succeeded === 1, JSON.stringify(tcp));
  process.stdout.write(`measured: server back -> recovered (tcp probe, interval 1 s): ${latency.toFixed(2)} s\n`);
});

test('neigh (the default for a server on a server-side subnet) finds it back: neigh-reachable', async () => {
  // No probe configured; the answer comes as REACHABLE through ip monitor neigh only.
  driver = await startReadyDriver(lab, config({ serverInterfaces: [], neighbourDevices: ['s0'] }));
  await sleep(300); // let ip monitor subscribe
  const down = await outageWithOneAttempt(driver);
  const { recovered, latency } = await backWithoutTraffic(driver);
  assert.is(recovered.cause, 'neigh-reachable');
  // Without traffic only the probe makes the kernel resolve the address again. Its own wait may
  // end (1 s, the interval) before the kernel's answer comes, so a success is not always counted.
  const neigh = (await countersWhen(driver, (c) => c.neigh.succeeded >= 1)).neigh;
  assert.ok(neigh.sent >= 1, JSON.stringify(neigh));
  process.stdout.write(`measured: server back -> recovered (neigh probe, interval 1 s; down was ${down.cause}): ${latency.toFixed(2)} s\n`);
});

test('arp: an injected ARP request, the reply seen by the capture on s0: arp-reply', async () => {
  driver = await startReadyDriver(lab, config({ servers: [{ address: SERVER, probe: [{ method: 'arp', port: 0 }] }] }));
  await outageWithOneAttempt(driver);
  const { recovered, latency } = await backWithoutTraffic(driver);
  assert.is(recovered.cause, 'arp-reply');
  const arp = (await probeCounters(driver)).arp;
  assert.ok(arp.sent >= 1 && arp.succeeded === 1, JSON.stringify(arp));
  process.stdout.write(`measured: server back -> recovered (arp probe, interval 1 s): ${latency.toFixed(2)} s\n`);
});

test('everything on, as the daemon runs it: the first answer wins', async () => {
  driver = await startReadyDriver(lab, config({ neighbourDevices: ['s0'] }));
  await sleep(300);
  await outageWithOneAttempt(driver);
  const { recovered, latency } = await backWithoutTraffic(driver);
  assert.ok(['arp-reply', 'neigh-reachable'].includes(String(recovered.cause)), `cause ${recovered.cause}`);
  process.stdout.write(`measured: server back -> recovered (default neigh probe, capture + monitor, interval 1 s): ${latency.toFixed(2)} s (${recovered.cause})\n`);
});

test('probeOnce (option confirm): false while the server is gone, true once it is back', async () => {
  const d = await startReadyDriver(lab, config({ probeInterval: null, neighbourDevices: ['s0'] }));
  driver = d;
  await sleep(300);
  const ask = async (): Promise<boolean> => {
    const from = d.lines.length;
    d.send({ cmd: 'probeOnce', server: SERVER });
    return (await d.waitFor((l) => l.event === 'probeOnce', 'probeOnce', 10_000, from)).result as boolean;
  };
  assert.is(await ask(), false, 'not down: nothing probed');
  await outageWithOneAttempt(d);
  assert.is(await ask(), false, 'gone');
  await lab.serverBack();
  assert.is(await ask(), true, 'back');
});

test.run();
