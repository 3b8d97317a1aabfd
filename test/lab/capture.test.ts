// The live capture and the neighbour monitor in the lab's router (bs-cp-r), fed by a real client
// (curl in bs-cp-c) and a real server (bs-cp-s) that goes away and comes back. The router's
// neighbour timers are shortened (lab_fast_neigh: reachable 2 s, first probe after 1 s, 3
// probes 500 ms apart) so a run takes seconds, not a minute. The inputs run in
// test/lab/capture-driver.ts inside the router namespace and print the engine's decisions.
// Measured latencies are printed ("measured: ..."); nothing here asserts on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab } from './lab';
import { curl, sleep, startDriver, startReadyDriver, type Driver, type DriverLine } from './capture-helpers';

const SERVER = '198.51.100.10';
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
  const from = driver.lines.length;
  const attempt = curl(lab, 6);
  const syn = await driver.waitFor((l) => l.event === 'syn-seen' && l.server === SERVER, 'the SYN', 5000, from);
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  const waiting = await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  assert.ok(HOST_DOWN.includes(String(down.cause)), `cause ${down.cause}`);
  assert.is(waiting.mac, '02:00:c0:00:02:0a');
  assert.is(await attempt, '000', 'curl got no answer');
  process.stdout.write(`measured: first SYN -> down (${down.cause}, server MAC cached): ${(Number(down.t) - Number(syn.t)).toFixed(2)} s\n`);
});

test('the server is back and the client retries: recovered from the traffic, the client notified', async () => {
  driver = await startReadyDriver(lab, {});
  await lab.serverGone('addr');
  await curl(lab, 3);
  await driver.waitFor(isDecision('down'), 'down', 15_000);
  await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  const back = Date.now() / 1000; // before lab_server_back runs: the latency is an upper bound
  await lab.serverBack();
  assert.is(await curl(lab, 5), '200', 'the retry reaches the server');
  const recovered = await driver.waitFor(isDecision('recovered'), 'recovered');
  assert.ok(['arp-reply', 'syn-ack'].includes(String(recovered.cause)), `cause ${recovered.cause}`);
  const notify = await driver.waitFor(isDecision('notify'), 'notify');
  assert.is(notify.client, CLIENT);
  process.stdout.write(`measured: server back -> recovered (${recovered.cause}, client retried at once): ${(Number(recovered.t) - back).toFixed(2)} s\n`);
});

test('cold neighbour cache: the router ARPs for the server itself, and its silence is seen', async () => {
  driver = await startReadyDriver(lab, {});
  await lab.serverGone('addr');
  await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
  const from = driver.lines.length;
  const attempt = curl(lab, 4);
  const syn = await driver.waitFor((l) => l.event === 'syn-seen' && l.server === SERVER, 'the SYN', 5000, from);
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  assert.ok(HOST_DOWN.includes(String(down.cause)), `cause ${down.cause}`);
  await driver.waitFor((l) => isDecision('attempt')(l) && l.client === CLIENT, 'the attempt');
  await attempt;
  process.stdout.write(`measured: first SYN -> down (${down.cause}, cold cache): ${(Number(down.t) - Number(syn.t)).toFixed(2)} s\n`);
});

test("the neighbour monitor: the kernel's FAILED and REACHABLE become down and recovered", async () => {
  // No capture: only `ip monitor neigh` speaks.
  driver = await startReadyDriver(lab, { clientInterfaces: [], serverInterfaces: [], neighbourDevices: ['s0'] });
  await sleep(300); // let ip monitor subscribe before the kernel's events start
  await lab.serverGone('addr');
  await curl(lab, 4);
  const down = await driver.waitFor(isDecision('down'), 'down', 15_000);
  assert.is(down.cause, 'neigh-failed');
  const back = Date.now() / 1000; // before lab_server_back runs: the latency is an upper bound
  await lab.serverBack();
  await curl(lab, 4);
  const recovered = await driver.waitFor(isDecision('recovered'), 'recovered');
  assert.is(recovered.cause, 'neigh-reachable');
  const stats = await driver.stats();
  assert.is((stats.neighbours as { unparsed: number }).unparsed, 0);
  process.stdout.write(`measured: server back -> recovered (neigh-reachable, client retried at once): ${(Number(recovered.t) - back).toFixed(2)} s\n`);
});

test('ip neigh flush of a live server is not an outage (the kernel calls the entries FAILED first)', async () => {
  const d = await startReadyDriver(lab, { clientInterfaces: [], serverInterfaces: [], neighbourDevices: ['s0'] });
  driver = d;
  await sleep(300);
  assert.is(await curl(lab, 3), '200');
  await lab.exec('r', ['ip', 'neigh', 'flush', 'dev', 's0']);
  await sleep(300);
  const n = (await d.stats()).neighbours as { deletedNotFailed: number; failed: number };
  assert.ok(n.deletedNotFailed >= 1, JSON.stringify(n));
  assert.is(n.failed, 0);
  assert.equal(d.decisions('down'), []);
});

test.run();
