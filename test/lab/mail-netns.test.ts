// The exim harness inside a network namespace of the test's own (bs-RUN-ml-mta, loopback only,
// no route anywhere): the sending process runs in the namespace too, as the daemon would in a
// lab router. Same outbox and transport as on the host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exim } from './exim';
import { claimRun, runNamespace } from './lab';

const NS = runNamespace('ml-mta');
let exim: Exim | undefined;
let dir = '';

function deleteNamespace(): void {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // not there
  }
}
process.on('exit', deleteNamespace);

test.before(() => {
  claimRun();
  deleteNamespace();
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = mkdtempSync(join(tmpdir(), 'bs-ml-netns-'));
});
test.after(async () => {
  await exim?.dispose();
  deleteNamespace();
  rmSync(dir, { recursive: true, force: true });
});

test('notices sent inside a namespace reach exim listening on its loopback', async () => {
  exim = await Exim.start({ netns: NS, address: '127.0.0.1', port: 2525 });
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx',
      join(__dirname, 'mail-driver.ts'), dir, '2525', '3'], { cwd: join(__dirname, '../..'), stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.is(code, 0);
  const messages = await exim.waitFor(3, 10_000);
  assert.equal(messages.map((m) => m.recipient).sort(), ['user0@example.test', 'user1@example.test', 'user2@example.test']);
  const listening = execFileSync('ip', ['netns', 'exec', NS, 'ss', '-Hltn', 'sport = :2525']).toString();
  assert.match(listening, /127\.0\.0\.1:2525/, 'exim listens inside the namespace');
  await exim.stop();
  assert.equal(exim.pids(), []);
});

test.run();
