// Active probes in the lab (bs-RUN-cp-pr-*), run by the daemon's own live inputs
// (capture-driver.ts): a client tries the server while it is gone, then stays quiet; the server
// comes back and announces nothing, so only the prober can find it. Each test configures one
// probe method; the status report's counters show that this method was sent and succeeded and
// that no client traffic came after the outage. With server_interface s0 the daemon hears an
// ARP answer twice at once (the capture on s0: arp-reply; the kernel's REACHABLE through the
// neighbour monitor: neigh-reachable), whichever is first names the recovery. Neighbour timers
// are shortened (lab_fast_neigh). Measured latencies are printed, not asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab } from './lab';
import { curl, probeCounts, SERVER, sleep, startReadyDriver, type Driver, type DriverConfig, type DriverLine, type Status } from './capture-helpers';

const CLIENT = '192.0.2.10';
const SERVER_MAC = '02:00:c6:33:64:0a';
/** What the daemon hears when the server answers an ARP request of the router's. */
const ARP_ANSWERED = ['arp-reply', 'neigh-reachable'];
/** Probe rounds every 3 s: each probe gets its full deadline (tcp 2 s, arp 1 s, neigh 3 s). */
const ROUNDS: Partial<DriverConfig> = { probeInterval: 3 };

let lab: Lab;
let driver: Driver | null = null;

test.before(async () => {
  lab = await Lab.up('cp-pr', { fastNeigh: true, http: true });
});

test.after.each(async () => {
  await driver?.stop();
  driver = null;
  await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0', 'nud', 'all']); // static entries too
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
 * Waits until the router's neighbour entry for the server is FAILED (or gone). Until then the router may still hold the client's last SYN in the entry's queue
 * and would deliver it the moment the server answers ARP: client traffic after all.
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

/**
 * Brings the server back with no client traffic; resolves with the recovery, its latency, and
 * the status at the moment the server came back (for counters that must move after it).
 */
async function backWithoutTraffic(d: Driver): Promise<{ recovered: DriverLine; latency: number; atBack: Status }> {
  const atBack = await d.status();
  // Taken before lab_server_back runs (~0.1 s of ip commands): the latency is an upper bound.
  const back = Date.now() / 1000;
  await lab.serverBack();
  const recovered = await d.waitFor(isDecision('recovered'), 'recovered', 20_000);
  await d.waitFor((l) => isDecision('notify')(l) && l.client === CLIENT, 'the notice for the client');
  const now = await d.status();
  assert.is(now.packets.syn, atBack.packets.syn, 'no client traffic after the server came back');
  return { recovered, latency: Number(recovered.t) - back, atBack };
}

/** The prober counts a success when its own wait ends, just after the daemon heard the answer. */
async function probesWhen(d: Driver, method: 'tcp' | 'arp' | 'neigh', ok: (c: ReturnType<typeof probeCounts>) => boolean) {
  return probeCounts(await d.statusWhen((s) => ok(probeCounts(s, method)), `${method} probe counters`, 5000), method);
}

test('nothing is probed while nothing is down', async () => {
  driver = await startReadyDriver(lab, { probeInterval: 1, probe: ['tcp:80', 'arp', 'neigh'] });
  assert.is(await curl(lab, 3), '200');
  const s = await driver.statusWhen((x) => (x.probes?.rounds ?? 0) >= 2, 'two probe rounds');
  assert.equal(['tcp', 'arp', 'neigh'].map((m) => probeCounts(s, m as 'tcp').sent), [0, 0, 0]);
});

test('tcp:80 finds the server back without any client traffic: recovered with cause probe', async () => {
  // The router keeps a static entry for the server, as routers often do, and captures the
  // clients' side only: no ARP happens and no probe SYN is captured, so the connect's own result
  // is the only signal.
  driver = await startReadyDriver(lab, { ...ROUNDS, serverInterfaces: [], synTimeout: 3, probe: ['tcp:80'] });
  await lab.serverGone('addr');
  await lab.exec('r', ['ip', 'neigh', 'replace', SERVER, 'lladdr', SERVER_MAC, 'nud', 'permanent', 'dev', 's0']);
  const attempt = curl(lab, 4);
  const down = await driver.waitFor(isDecision('down'), 'down', 40_000);
  assert.is(down.cause, 'syn-timeout', 'a silent host behind a static entry: only the SYN timeout tells');
  await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt', 15_000);
  assert.is(await attempt, '000');
  const { recovered, latency, atBack } = await backWithoutTraffic(driver);
  assert.is(recovered.cause, 'probe');
  const tcp = await probesWhen(driver, 'tcp', (c) => c.succeeded >= 1);
  assert.ok(tcp.succeeded === 1 && probeCounts(atBack, 'tcp').succeeded === 0, JSON.stringify(tcp));
  process.stdout.write(`measured: server back -> recovered (tcp probe, interval 3 s): ${latency.toFixed(2)} s\n`);
});

test('neigh, the default for a server on a server-side subnet, finds it back: its probe succeeded', async () => {
  // No probe configured: neigh is planned, and the capture and the monitor hear the answer.
  driver = await startReadyDriver(lab, ROUNDS);
  const down = await outageWithOneAttempt(driver);
  const { recovered, latency, atBack } = await backWithoutTraffic(driver);
  assert.ok(ARP_ANSWERED.includes(String(recovered.cause)), `cause ${recovered.cause}`);
  const neigh = await probesWhen(driver, 'neigh', (c) => c.succeeded > probeCounts(atBack, 'neigh').succeeded);
  assert.is(neigh.succeeded, 1, `the neigh probe found the server: ${JSON.stringify(neigh)}`);
  assert.equal([probeCounts(atBack, 'tcp').sent, probeCounts(atBack, 'arp').sent], [0, 0], 'no other method ran');
  process.stdout.write(`measured: server back -> recovered (neigh probe, interval 3 s; down was ${down.cause}): ${latency.toFixed(2)} s (${recovered.cause})\n`);
});

test('arp: an injected ARP request, the reply heard by the daemon: the arp probe succeeded', async () => {
  driver = await startReadyDriver(lab, { ...ROUNDS, probe: ['arp'] });
  await outageWithOneAttempt(driver);
  const { recovered, latency, atBack } = await backWithoutTraffic(driver);
  assert.ok(ARP_ANSWERED.includes(String(recovered.cause)), `cause ${recovered.cause}`);
  const arp = await probesWhen(driver, 'arp', (c) => c.succeeded > probeCounts(atBack, 'arp').succeeded);
  assert.is(arp.succeeded, 1, `the arp probe found the server: ${JSON.stringify(arp)}`);
  assert.equal(probeCounts(await driver.status(), 'neigh').sent, 0, 'only the configured method ran');
  process.stdout.write(`measured: server back -> recovered (arp probe, interval 3 s): ${latency.toFixed(2)} s (${recovered.cause})\n`);
});

test('probeOnce (option confirm): false while the server is gone, true once it is back', async () => {
  // No rounds of its own (probe_interval 3600): only the confirmations probe.
  const d = await startReadyDriver(lab, {});
  driver = d;
  const ask = async (): Promise<{ result: boolean; ms: number }> => {
    const from = d.lines.length;
    d.send({ cmd: 'probeOnce', server: SERVER });
    const l = await d.waitFor((x) => x.event === 'probeOnce', 'probeOnce', 10_000, from);
    return { result: l.result as boolean, ms: Number(l.ms) };
  };
  assert.is((await ask()).result, false, 'not down: nothing probed');
  await outageWithOneAttempt(d);
  assert.is((await ask()).result, false, 'gone');
  await lab.serverBack();
  const back = await ask();
  assert.is(back.result, true, 'back');
  process.stdout.write(`measured: probeOnce of a server that is back -> true: ${back.ms} ms (its deadline: 3000 ms)\n`);
});

test.run();
