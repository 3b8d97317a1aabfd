// backsoon when things go wrong inside it: an exception nobody caught, and a burst of SIGHUPs.
// The test plays procd: it restarts the daemon when it exits, as `respawn` would.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUNDLE, DaemonLab, withDaemonLab as withLab } from './daemon-lab';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who waits for what, as `backsoon status --json` shows it: ["198.51.100.10 192.0.2.10", ...]. */
function waiting(status: any): string[] { // the report's shape is src/control/status.ts
  return status.outages.flatMap((o: any) => o.clients.map((c: any) => `${o.server} ${c.client}`)).sort();
}

/** Is a SIGHUP sent to `pid` still pending, not yet taken by any of its threads? (/proc/PID/status) */
function hupPending(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const pending = (field: string) => BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return ((pending('ShdPnd') | pending('SigPnd')) & 1n) !== 0n; // SIGHUP is signal 1: bit 0
}

/** Sends one request line to the daemon's control socket from inside the router's namespace. */
async function control(lab: DaemonLab, request: object): Promise<string> {
  const script = `const s = require('net').connect(process.argv[1]); s.setEncoding('utf8');
s.on('data', (d) => { process.stdout.write(d); s.end(); }); s.write(process.argv[2] + '\\n');`;
  const r = await lab.lab.exec('r', [process.execPath, '-e', script, lab.socket, JSON.stringify(request)]);
  return r.stdout;
}

test('an exception nobody caught: the daemon saves its state and exits 70; restarted, it keeps its waiting clients and tells them', async () => {
  // snapshot_interval 60: the second client's attempt is not on disk before the fault, unless the exit saves it.
  await withLab('df-fault', { clients: 1, serverSide: false, mainOptions: { probe_interval: '600', snapshot_interval: '60' } }, async (lab) => {
    const faults = { BACKSOON_TEST_FAULTS: '1' };
    await lab.lab.serverGone('addr');
    await lab.start(15_000, faults);
    await lab.curl('c', 5);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    await lab.curl('c1', 5);
    await lab.waitForLog(/client 192\.0\.2\.11 tried/, 10_000);
    const before = await lab.status();
    assert.equal(waiting(before), ['198.51.100.10 192.0.2.10', '198.51.100.10 192.0.2.11']);

    const child = lab.daemon!;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const mark = lab.log.length;
    assert.match(await control(lab, { cmd: 'test-fault' }), /"ok":true/);
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    assert.is(code, 70, 'the daemon exits with status 70 after an uncaught exception');
    assert.match(lab.log.slice(mark), /unexpected error, exiting so that backsoon restarts from its saved state: Error: fault injected/);
    assert.match(lab.log.slice(mark), /state saved before exit/);

    lab.daemon = null;
    await lab.start(15_000, faults); // what procd's respawn does
    const after = await lab.status();
    assert.is.not(after.pid, before.pid, 'a new process');
    assert.equal(waiting(after), waiting(before), 'the same clients wait after the restart');

    await lab.lab.serverBack();
    await lab.trap();
    const mails = await lab.exim.waitFor(2, 20_000);
    assert.equal(mails.map((m) => m.recipient).sort(), ['alice@example.test', 'bob@example.test']);
  });
});

test('the test-fault command exists only with BACKSOON_TEST_FAULTS=1', async () => {
  await withLab('df-nofault', { serverSide: false, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.start();
    assert.match(await control(lab, { cmd: 'test-fault' }), /unknown command 'test-fault'/);
    await sleep(500);
    assert.is(lab.daemon!.exitCode, null, 'still running');
  });
});

test('a burst of 10 SIGHUPs: reloads run one at a time, coalesced; one trap socket; the stand-in follows the current engine', async () => {
  await withLab('df-hup', {
    clients: 1, serverSide: false,
    serverOptions: "\toption standin '1'",
    mainOptions: { probe_interval: '600', confirm: '0' },
  }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c', 5);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    await lab.waitForLog(/stand-in: .*198\.51\.100\.10/, 5_000).catch(() => undefined);
    const mark = lab.log.length;
    const pid = lab.daemon!.pid!;
    assert.match(readFileSync(`/proc/${pid}/comm`, 'utf8'), /^node/, 'the signals go to the daemon itself');
    for (let i = 0; i < 10; i++) {
      lab.daemon!.kill('SIGHUP');
      await sleep(20);
      // The kernel keeps one pending HUP: a second sent before the first was taken merges with it
      // (seen on a loaded machine, 9 counted of 10). So the next goes once this one was taken.
      for (let t = 0; t < 2500 && hupPending(pid); t++) await sleep(2);
    }
    // Settled: every HUP counted, every reload that started has ended.
    let s: any;
    for (let i = 0; i < 100; i++) {
      s = await lab.status();
      const r = s.reloads ?? {};
      if (r.requested === 10 && r.started === r.done + r.failed + r.refused) break;
      await sleep(200);
    }
    // One of each socket: the trap port bound once, one stand-in listener for the one down server.
    const udp = await lab.lab.exec('r', ['ss', '-H', '-uan', 'sport = :162']);
    assert.is(udp.stdout.trim().split('\n').filter((l) => l !== '').length, 1, `one socket on UDP 162:\n${udp.stdout}`);
    const tcp = await lab.lab.exec('r', ['ss', '-H', '-tln', 'sport >= :8480 and sport <= :8543']);
    assert.is(tcp.stdout.trim().split('\n').filter((l) => l !== '').length, 1, `one stand-in listener:\n${tcp.stdout}`);
    const log = lab.log.slice(mark);
    assert.not.match(log, /EADDRINUSE|^error: /m, 'no port taken twice, no error during the burst');

    // The page is served from the current engine: it shows the outage and the attempt counts there.
    const page = await lab.lab.exec('c1', ['curl', '-sS', '-m', '10', '-w', '\n%{http_code}', 'http://198.51.100.10/']);
    assert.ok(page.stdout.endsWith('\n503'), page.stdout.slice(-300));
    assert.match(page.stdout, /www\.example\.test/);
    assert.ok(waiting(await lab.status()).includes('198.51.100.10 192.0.2.11'), 'the page view registered c1 in the running engine');

    const r = s.reloads;
    assert.ok(r, 'status --json counts reloads');
    assert.is(r.requested, 10);
    assert.is(r.failed, 0, 'no reload failed');
    assert.is(r.refused, 0);
    assert.is(r.done, r.started);
    assert.ok(r.started >= 1 && r.started <= 10, `reloads run: ${r.started}`);
    assert.is((log.match(/configuration reloaded from/g) ?? []).length, r.done, 'one "reloaded" line per reload');
    // Never two at once: each reload's start is followed by its end before the next start.
    const marks = [...log.matchAll(/SIGHUP: reloading|configuration reloaded from/g)].map((m) => m[0]);
    assert.equal(marks, Array.from({ length: r.started }, () => ['SIGHUP: reloading', 'configuration reloaded from']).flat());

    await lab.lab.serverBack();
    await lab.trap();
    await lab.waitForLog(/is back \(trap\)/, 10_000, mark);
    const mails = await lab.exim.waitFor(2, 20_000);
    assert.equal(mails.map((m) => m.recipient).sort(), ['alice@example.test', 'bob@example.test']);
    const m = await lab.lab.exec('r', [process.execPath, BUNDLE, 'status', '--socket', lab.socket]);
    assert.is(m.code, 0, m.stderr);
  });
});

test.run();
