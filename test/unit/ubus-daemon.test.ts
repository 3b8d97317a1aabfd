// The daemon on OpenWrt's real ubusd (make openwrt-host): object backsoon as `ubus call`
// shows it next to `backsoon status --json`, reload with a good and a refused file, the events
// of an outage as `ubus listen` prints them, and ubus off while there is no ubusd. The daemon
// runs in this process without captures; the engine is fed observations directly.
import '../../src/parts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/validate';
import { requestStatus } from '../../src/control/socket';
import type { StatusReport } from '../../src/control/status';
import { Daemon } from '../../src/daemon/daemon';
import { createLogger } from '../../src/daemon/log';
import { Reloader } from '../../src/daemon/reload';
import { UbusInput } from '../../src/daemon/ubus-input';
import { ipFromV4 } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { atExit } from '../at-exit';
import { Ubusd, until } from '../ubusd';

const dir = mkdtempSync(join(tmpdir(), 'bs-ubus-daemon-'));
atExit(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

function configText(ubusSocket: string, extra = ''): string {
  return [
    "config backsoon 'main'",
    "\tlist interface 'bs-none0'",
    `\toption state_dir '${dir}/state${runs}'`, // each daemon starts without saved outages
    `\toption control_socket '${dir}/control.sock'`,
    `\toption ubus_socket '${ubusSocket}'`,
    extra,
    "config server 'web'",
    "\toption address '198.51.100.10'",
    '',
  ].join('\n');
}

interface Running {
  daemon: Daemon;
  file: string;
  lines: string[];
  reloader: Reloader;
  stop(): Promise<void>;
}

async function startDaemon(ubusSocket: string): Promise<Running> {
  const file = join(dir, 'backsoon.conf');
  runs++;
  writeFileSync(file, configText(ubusSocket));
  const lines: string[] = [];
  const log = createLogger('debug', (l) => { lines.push(l.trimEnd()); });
  const daemon = new Daemon(loadConfig(file), log);
  const reloader = new Reloader(file, daemon, log);
  daemon.addInputs(new UbusInput(() => reloader.reload('ubus')));
  await daemon.start();
  reloader.started();
  return { daemon, file, lines, reloader, stop: () => daemon.stop() };
}

const CLIENT = parseIPv4('192.0.2.5')!;
const SERVER = parseIPv4('198.51.100.10')!;

/** A SYN nobody answered 40 s ago: the server is down (syn_timeout 30 s) with one client waiting. */
function serverDown(daemon: Daemon): number {
  const now = Date.now() / 1000;
  daemon.sink.syn(now - 40, CLIENT, SERVER, 40000, 443, 1000, 0x02005e100005);
  daemon.engine.tick(now);
  return now;
}

/** A daemon on a fresh ubusd, stopped with it afterwards. */
async function withDaemon(body: (u: Ubusd, d: Running) => Promise<void>): Promise<void> {
  const u = await Ubusd.start();
  const d = await startDaemon(u.socket);
  try {
    await u.waitForObject('backsoon');
    await body(u, d);
  } finally {
    await d.stop();
    await u.stop();
  }
}

test('real ubusd: object backsoon answers status as `backsoon status --json` does, and outages', async () => {
  await withDaemon(async (u, d) => {
    const list = await u.cli('list', '-v', 'backsoon');
    assert.equal(list.stdout.trim().split('\n').slice(1).map((l) => l.trim()), ['"status":{}', '"outages":{}', '"reload":{}']);
    serverDown(d.daemon);
    const viaUbus = await u.call('backsoon', 'status') as StatusReport;
    const viaSocket = await requestStatus(join(dir, 'control.sock'));
    // Both are the same report, a moment apart: only the clock, the ubus counters and the count
    // of state file writes (the outage made the state dirty: a write may finish in between) move.
    const still = (r: StatusReport) => ({ ...r, now: 0, ubus: undefined, state: { ...r.state, writes: 0 } });
    assert.equal(still(viaUbus), still(viaSocket));
    assert.is(viaUbus.outages[0].server, '198.51.100.10');
    assert.is(viaUbus.outages[0].clients[0].mac, '02:00:5e:10:00:05');
    assert.is(viaUbus.ubus?.connected, 1);
    assert.ok(Math.abs(viaUbus.now - viaSocket.now) < 5);
    const outages = await u.call('backsoon', 'outages') as { outages: StatusReport['outages']; waitingClients: number; now: number };
    assert.equal(outages.outages, viaSocket.outages);
    assert.is(outages.waitingClients, 1);
  });
});

test('real ubusd: `ubus listen` hears backsoon.down, backsoon.recovered and backsoon.notice of an outage', async () => {
  await withDaemon(async (u, d) => {
    const listen = await u.listen('backsoon.*');
    const downAt = serverDown(d.daemon);
    d.daemon.engine.recoverySignal(downAt + 1, ipFromV4(SERVER), 'trap');
    await until('three events', () => listen.events.length >= 3);
    listen.stop();
    const since = downAt - 40;
    const near = (a: number, b: number) => Math.abs(a - b) < 0.001; // ubus prints six decimals
    const [down, recovered, notice] = listen.events as { id: string; data: Record<string, number | string | boolean> }[];
    assert.equal([down.id, recovered.id, notice.id], ['backsoon.down', 'backsoon.recovered', 'backsoon.notice']);
    assert.equal({ ...down.data, since: 0, time: 0 }, { server: '198.51.100.10', name: 'web', cause: 'syn-timeout', flap: false, since: 0, time: 0 });
    assert.ok(near(down.data.since as number, since));
    assert.equal({ ...recovered.data, since: 0, time: 0, downFor: 0 },
      { server: '198.51.100.10', name: 'web', cause: 'trap', since: 0, time: 0, downFor: 0, told: 1, stale: 0 });
    assert.ok(near(recovered.data.downFor as number, 41));
    assert.equal({ ...notice.data, since: 0, time: 0, firstAttempt: 0, lastAttempt: 0 }, {
      server: '198.51.100.10', name: 'web', client: '192.0.2.5', mac: '02:00:5e:10:00:05', contact: false,
      since: 0, time: 0, firstAttempt: 0, lastAttempt: 0,
    });
    assert.is(d.daemon.status().ubus?.eventsSent, 3);
  });
});

test('real ubusd: reload re-reads the file; a refused file answers an error status with every error, and the old configuration stays', async () => {
  await withDaemon(async (u, d) => {
    serverDown(d.daemon);
    writeFileSync(d.file, configText(u.socket, "\toption log_level 'warn'\n\toption syn_timeout '12'"));
    assert.equal(await u.call('backsoon', 'reload'), { reloaded: true, config: d.file, outagesKept: 1, warnings: [] });
    assert.is(d.daemon.config.main.synTimeout, 12);

    writeFileSync(d.file, configText(u.socket, "\toption syn_timeout 'soon'\n\toption arp_retries '0'"));
    const refused = await u.cli('call', 'backsoon', 'reload');
    assert.is(refused.code, 256 - 9, refused.stderr);
    assert.match(refused.stderr, /Command failed: ubus call backsoon reload \(Unknown error\)/);
    const answer = JSON.parse(refused.stdout) as { reloaded: boolean; config: string; errors: string[] };
    assert.is(answer.reloaded, false);
    assert.is(answer.errors.length, 2);
    assert.match(answer.errors[0], /backsoon\.conf:6: .*syn_timeout/);
    assert.match(answer.errors[1], /backsoon\.conf:7: .*arp_retries/);
    assert.is(d.daemon.config.main.synTimeout, 12, 'the running configuration stays');
    assert.ok(d.lines.some((l) => /^error: reload refused \(ubus\), keeping the running configuration:/.test(l)));
    assert.is((await u.call('backsoon', 'status') as StatusReport).outages.length, 1);
  });
});

test('real ubusd: no socket at start: ubus is off with a clear log line; once ubusd is there, a reload registers the object', async () => {
  const u = await Ubusd.start();
  await u.crash();
  const d = await startDaemon(u.socket);
  try {
    assert.ok(d.lines.includes(`info: ubus: no ubusd socket at ${u.socket}, so no object backsoon and no events; start ubusd and reload backsoon, or set option ubus_socket`), d.lines.join('\n'));
    assert.is(d.daemon.status().ubus, undefined);
    await u.restart();
    const outcome = await d.reloader.reload('SIGHUP');
    assert.is(outcome.ok, true);
    await u.waitForObject('backsoon');
    assert.is((await u.call('backsoon', 'status') as StatusReport).pid, process.pid);
  } finally {
    await d.stop();
    await u.stop();
  }
});

test.run();
