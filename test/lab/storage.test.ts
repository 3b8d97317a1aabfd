// Nothing acknowledged is lost, whatever the disk does: the daemon's state_dir on a small tmpfs
// mounted by this test (and unmounted even when it fails), filled to the last byte while a
// recovery with 300 waiting clients is under way; a stand-in registration confirmed and killed
// -9 before the next state file; kill -9 while the disk is full; two daemons on one state dir.
// What is checked is what a user checks: exim's Maildir, `backsoon status --json`, the page,
// the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit } from '../at-exit';
import { BUNDLE, withDaemonLab, type DaemonLab } from './daemon-lab';

const SERVER = '198.51.100.10';
const WAITING = 300;

/** A tmpfs of `size` mounted on a fresh temp dir; unmounted by `done()` and on any exit. */
function smallDisk(size: string): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bs-st-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'bs-st-tmpfs', dir]);
  const done = () => {
    spawnSync('umount', ['-l', dir]);
    try { rmdirSync(dir); } catch { /* still mounted somewhere: the next boot clears /tmp */ }
  };
  const forget = atExit(done);
  return { dir, done: () => { forget(); done(); } };
}

/** Writes zeros into DIR/filler until the file system is full; returns a function that frees it. */
function fill(dir: string): () => void {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // and the last bytes a smaller write could still take
  try { writeFileSync(join(dir, 'filler-tail'), Buffer.alloc(4096)); } catch { /* full */ }
  return () => { rmSync(file, { force: true }); rmSync(join(dir, 'filler-tail'), { force: true }); };
}

/** A state file with one outage of SERVER and `n` waiting clients (198.18.0.0/15), each with an address. */
function stateWith(n: number, now: number): string {
  const clients = [];
  const contacts = [];
  for (let i = 1; i <= n; i++) {
    const client = `198.18.${i >> 8}.${i & 255}`;
    clients.push({ client, firstAttempt: now - 120, lastAttempt: now - 60 });
    contacts.push({ client, mail: `w${i}@example.test`, registeredAt: now - 600, source: 'page' });
  }
  return JSON.stringify({ version: 1, savedAt: now - 30, outages: [{ server: SERVER, state: 'down', since: now - 300, cause: 'syn-timeout', clients }], contacts });
}

function withLab(tag: string, stateDir: string, body: (lab: DaemonLab) => Promise<void>): Promise<void> {
  return withDaemonLab(tag, {
    clients: 3, serverSide: false, serverOptions: "\toption standin '1'",
    mainOptions: { state_dir: stateDir, probe_interval: '600', log_level: 'info' },
  }, body);
}

/** The stand-in's form, filled in by client `role` with `mail`: the page's HTTP status and text. */
async function registerOnPage(lab: DaemonLab, role: `c${number}`, mail: string): Promise<{ code: string; body: string }> {
  const r = await lab.registerOnPage(role, mail);
  assert.ok(r, 'no form on the page');
  return r;
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(v).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const recipients = async (lab: DaemonLab) => new Set((await lab.exim.messages()).map((m) => m.recipient));

test('a full disk during a recovery of 300 clients: every notice reaches the MTA, the log says it once, status shows it', async () => {
  const disk = smallDisk('1m');
  try {
    writeFileSync(join(disk.dir, 'state.json'), stateWith(WAITING, Date.now() / 1000), { mode: 0o600 });
    await withLab('st-full', disk.dir, async (lab) => {
      await lab.start();
      assert.is((await lab.status()).waitingClients, WAITING);
      const free = fill(disk.dir);
      const trap = await lab.trap();
      assert.is(trap.code, 0, trap.stderr);
      const full = await until('the outbox to report the full disk', () => lab.status(), (s) => s.outbox.storageError === 'ENOSPC', 20_000);
      assert.ok(full.outbox.unsaved + full.outbox.sending + full.outbox.sent >= 1, `outbox status: ${JSON.stringify(full.outbox)}`);
      free();
      await lab.exim.waitFor(WAITING, 90_000);
      const got = await recipients(lab);
      const missing = Array.from({ length: WAITING }, (_, i) => `w${i + 1}@example.test`).filter((r) => !got.has(r));
      console.log(`  full disk: ${WAITING - missing.length} of ${WAITING} notices reached the MTA`);
      assert.equal(missing, [], 'every waiting client is told');
      const s = await until('the outbox to write again', () => lab.status(), (x) => x.outbox.storageError === null && x.outbox.unsaved === 0, 30_000);
      assert.is(s.outbox.sent, WAITING);
      const lines = lab.log.split('\n');
      assert.is(lines.filter((l) => /outbox .*: cannot write \(ENOSPC/.test(l)).length, 1, 'the full disk is logged once, not per notice');
      assert.is(lines.filter((l) => /outbox .*: writing works again/.test(l)).length, 1);
      const metrics = await lab.lab.exec('r', [process.execPath, BUNDLE, 'metrics', '--socket', lab.socket]);
      assert.match(metrics.stdout, /^backsoon_storage_failing\{file="outbox"\} 0$/m);
      assert.match(metrics.stdout, /^backsoon_outbox_unsaved 0$/m);
    });
  } finally {
    disk.done();
  }
});

test('kill -9 after a confirmed registration, and again while the disk is full: after restarts nobody is lost', async () => {
  const disk = smallDisk('1m');
  try {
    writeFileSync(join(disk.dir, 'state.json'), stateWith(WAITING, Date.now() / 1000), { mode: 0o600 });
    await withLab('st-kill', disk.dir, async (lab) => {
      await lab.start();
      // A confirmed registration, then kill -9 before the next state file (snapshot_interval 5 s).
      const confirmed = await registerOnPage(lab, 'c2', 'carol@example.test');
      assert.is(confirmed.code, '200', confirmed.body);
      assert.match(confirmed.body, /carol@example\.test/);
      await lab.stopDaemon('SIGKILL');
      await lab.start();
      let s = await lab.status();
      const clients = s.outages.find((o) => o.server === SERVER)!.clients.map((c) => c.client);
      assert.ok(clients.includes('192.0.2.12'), 'the client that registered still waits');
      // the 300 of the state file, alice and bob from the configuration, and carol from the page
      assert.is(s.contacts, WAITING + 3, 'the confirmed address survived kill -9');

      // The MTA is away and the disk full when the server comes back.
      await lab.exim.stop();
      const free = fill(disk.dir);
      const refused = await registerOnPage(lab, 'c3', 'dave@example.test');
      assert.is(refused.code, '503');
      assert.match(refused.body, /could not be saved/);
      assert.is((await lab.trap()).code, 0);
      s = await until('the notices held in memory', () => lab.status(), (x) => x.outbox.unsaved >= WAITING, 30_000);
      assert.is(s.outbox.storageError, 'ENOSPC');
      // the old state file, which still lists the waiting clients, is kept while they are only in memory
      await until('the state file held', () => lab.status(), (x) => /in memory only/.test(x.state.heldBy ?? ''), 15_000);
      await lab.stopDaemon('SIGKILL');
      await lab.start();
      s = await lab.status();
      assert.is(s.waitingClients >= WAITING + 1, true, `${s.waitingClients} waiting after the restart`);

      free();
      await lab.exim.start();
      assert.is((await lab.trap()).code, 0);
      await lab.exim.waitFor(WAITING + 1, 90_000);
      const got = await recipients(lab);
      const expected = [...Array.from({ length: WAITING }, (_, i) => `w${i + 1}@example.test`), 'carol@example.test'];
      const missing = expected.filter((r) => !got.has(r));
      console.log(`  kill -9 while full: ${expected.length - missing.length} of ${expected.length} acknowledged clients told`);
      assert.equal(missing, []);
    });
  } finally {
    disk.done();
  }
});

test('two daemons on one state dir: the second refuses, naming the first; a lock naming an unrelated live PID does not stop a start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-st-lock-'));
  try {
    await withLab('st-lock', dir, async (lab) => {
      await lab.start();
      const first = (await lab.status()).pid;
      const second = await lab.lab.exec('r', [process.execPath, BUNDLE, 'run', '--config', lab.configFile], { timeoutMs: 20_000 });
      assert.is(second.code, 2);
      assert.match(second.stderr, new RegExp(`outbox ${dir}/outbox is in use by process ${first} \\(it holds the lock on ${dir}/outbox/lock\\)`));
      assert.is((await lab.status()).pid, first, 'the first one runs on');
      await lab.stopDaemon('SIGKILL');
      writeFileSync(join(dir, 'outbox', 'lock'), `${process.pid}\n`); // a live process that is not a daemon
      await lab.start();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
