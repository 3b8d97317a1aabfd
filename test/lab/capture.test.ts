// The daemon's live inputs (capture, neighbour monitor; capture-driver.ts runs them as
// `backsoon run` wires them) in the lab's router (bs-RUN-cp-r), fed by a real client (curl in
// bs-RUN-cp-c) and a real server (bs-RUN-cp-s) that goes away and comes back. The router's
// neighbour timers are shortened (lab_fast_neigh: reachable 2 s, first probe after 1 s, 3
// probes 500 ms apart) so a run takes seconds, not a minute. No probe round comes in these
// tests (probe_interval 3600): what the daemon learns, it learns from the traffic and the kernel.
// Measured latencies are printed ("measured: ..."); nothing here asserts on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab } from './lab';
import { curl, probeCounts, SERVER, startDriver, startReadyDriver, type Driver, type DriverLine } from './capture-helpers';

const CLIENT = '192.0.2.10';
const HOST_DOWN = ['arp-silence', 'icmp-unreachable', 'neigh-failed'];

let lab: Lab;
let driver: Driver | null = null;

test.before(async () => {
  lab = await Lab.up('cp', { fastNeigh: true, http: true });
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

/** Waits until the neighbour monitor hears the kernel: the client's page load makes the server's entry REACHABLE. */
async function monitorListening(d: Driver): Promise<void> {
  const deadline = Date.now() + 10_000; // a bound against hanging
  while (((await d.status()).neighbours?.reachable ?? 0) === 0) {
    if (Date.now() > deadline) throw new Error('the neighbour monitor heard no REACHABLE of the server');
    await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
    assert.is(await curl(lab, 3), '200');
  }
}

test('a missing interface: the inputs do not start, and one sentence names it and the fix', async () => {
  driver = await startDriver(lab, { clientInterfaces: ['br0'], serverInterfaces: ['bs-nosuch0'] });
  const err = await driver.waitFor((l) => l.event === 'error', 'the error');
  const message = String(err.message);
  assert.match(message, /interface 'bs-nosuch0' \(list server_interface of config backsoon\) does not exist/);
  assert.match(message, /'ip link'/);
  assert.not.match(message, /\n/);
  assert.is(await driver.waitExit(), 2);
});

test('no permission to capture (no CAP_NET_RAW): the interface and the fix are named', async () => {
  driver = await startDriver(lab, {}, ['setpriv', '--inh-caps=-all', '--bounding-set=-net_raw']);
  const err = await driver.waitFor((l) => l.event === 'error', 'the error');
  assert.match(String(err.message), /^capture on br0 \(list interface\): no permission to capture .*CAP_NET_RAW/);
  assert.is(await driver.waitExit(), 2);
});

test('a client tries a server that is gone: down, and that client registered as waiting', async () => {
  driver = await startReadyDriver(lab, {});
  assert.is(await curl(lab, 3), '200', 'the server answers before it goes');
  await lab.serverGone('addr');
  const tried = Date.now() / 1000;
  const attempt = curl(lab, 6);
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  const waiting = await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  assert.ok(HOST_DOWN.includes(String(down.cause)), `cause ${down.cause}`);
  assert.is(waiting.mac, '02:00:c0:00:02:0a');
  assert.is(await attempt, '000', 'curl got no answer');
  const s = await driver.status();
  assert.equal(s.outages.map((o) => [o.server, o.clients.map((c) => c.client)]), [[SERVER, [CLIENT]]], 'the status shows the client waiting');
  process.stdout.write(`measured: curl started -> down (${down.cause}, server MAC cached): ${(Number(down.t) - tried).toFixed(2)} s\n`);
});

test('the server is back and the client retries: recovered from the traffic, the client notified', async () => {
  driver = await startReadyDriver(lab, {});
  await lab.serverGone('addr');
  assert.is(await curl(lab, 3), '000');
  await driver.waitFor(isDecision('down'), 'down', 15_000);
  await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  const back = Date.now() / 1000; // before lab_server_back runs: the latency is an upper bound
  await lab.serverBack();
  assert.is(await curl(lab, 5), '200', 'the retry reaches the server');
  const recovered = await driver.waitFor(isDecision('recovered'), 'recovered');
  // The retry's ARP answer (capture or kernel), or its SYN/ACK: all of them the client's traffic.
  assert.ok(['arp-reply', 'neigh-reachable', 'syn-ack'].includes(String(recovered.cause)), `cause ${recovered.cause}`);
  const s = await driver.status();
  assert.equal(['tcp', 'arp', 'neigh'].map((m) => probeCounts(s, m as 'tcp').sent), [0, 0, 0], 'no probe found it');
  const notify = await driver.waitFor(isDecision('notify'), 'notify');
  assert.is(notify.client, CLIENT);
  process.stdout.write(`measured: server back -> recovered (${recovered.cause}, client retried at once): ${(Number(recovered.t) - back).toFixed(2)} s\n`);
});

test('cold neighbour cache: the router ARPs for the server itself, and its silence is seen', async () => {
  driver = await startReadyDriver(lab, {});
  await lab.serverGone('addr');
  await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
  const tried = Date.now() / 1000;
  const attempt = curl(lab, 4);
  // The third unanswered request (arp_retries 3) comes 500 ms before the kernel gives up.
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  assert.is(down.cause, 'arp-silence');
  await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  assert.is(await attempt, '000');
  process.stdout.write(`measured: curl started -> down (arp-silence, cold cache): ${(Number(down.t) - tried).toFixed(2)} s\n`);
});

test("the neighbour monitor: the kernel's FAILED marks the server down, its REACHABLE is heard when the client retries", async () => {
  // Only the server side is captured, and more ARP requests would be needed for arp-silence
  // than the kernel sends: the kernel's FAILED through `ip monitor neigh` is the only signal.
  driver = await startReadyDriver(lab, { clientInterfaces: [], arpRetries: 10 });
  await monitorListening(driver);
  await lab.serverGone('addr');
  assert.is(await curl(lab, 4), '000');
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  assert.is(down.cause, 'neigh-failed');
  const reachable = (await driver.status()).neighbours?.reachable ?? 0;
  const back = Date.now() / 1000; // before lab_server_back runs: the latency is an upper bound
  await lab.serverBack();
  assert.is(await curl(lab, 4), '200');
  const recovered = await driver.waitFor(isDecision('recovered'), 'recovered');
  // The one ARP reply reaches the daemon twice: through the capture on s0 and as REACHABLE.
  assert.ok(['neigh-reachable', 'arp-reply'].includes(String(recovered.cause)), `cause ${recovered.cause}`);
  const s = await driver.statusWhen((x) => (x.neighbours?.reachable ?? 0) > reachable, 'the REACHABLE of the server');
  assert.is(s.neighbours?.unparsed, 0);
  process.stdout.write(`measured: server back -> recovered (${recovered.cause}, client retried at once): ${(Number(recovered.t) - back).toFixed(2)} s\n`);
});

test('ip neigh flush of a live server is not an outage (the kernel calls the entries FAILED first)', async () => {
  const d = await startReadyDriver(lab, { clientInterfaces: [] });
  driver = d;
  await monitorListening(d);
  assert.is(await curl(lab, 3), '200');
  const deleted = (await d.status()).neighbours?.deletedNotFailed ?? 0;
  await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
  const s = await d.statusWhen((x) => (x.neighbours?.deletedNotFailed ?? 0) > deleted, 'the flush seen as a delete');
  assert.is(s.neighbours?.failed, 0);
  assert.equal(s.outages, []);
  assert.equal(d.decisions('down'), []);
});

test.run();
