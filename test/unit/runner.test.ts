// test-timeout: 600
// test/run on the fixture suites of test/runner-fixtures (which the normal run does not pick
// up): for each way a suite can end, the closing line, the failures named above it, and the exit
// code. Each case is a runner of its own; two run at a time (each starts Node twice or more).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outcomeOf } from '../runner/outcome';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = 'test/runner-fixtures';
const dir = mkdtempSync(join(tmpdir(), 'bs-runner-'));
const hangPidFile = join(dir, 'hang-child.pid');

interface RunnerResult { code: number | null; output: string; closing: string; failed: string[] }

let slots = 2;
const waiting: (() => void)[] = [];

/** Runs test/run with `args` when one of the two slots is free. */
async function runner(args: string[], env: Record<string, string> = {}): Promise<RunnerResult> {
  if (slots === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  slots--;
  try {
    return await runnerNow(args, env);
  } finally {
    slots++;
    waiting.shift()?.();
  }
}

function runnerNow(args: string[], env: Record<string, string>): Promise<RunnerResult> {
  return new Promise((resolve) => {
    // The bound is for a hang of the runner itself, far above what a loaded machine needs.
    execFile('bash', ['test/run', ...args], { cwd: ROOT, env: { ...process.env, BS_TEST_JOBS: '1', ...env }, timeout: 300_000 }, (err, stdout, stderr) => {
      const lines = stdout.trimEnd().split('\n');
      const start = lines.indexOf('failed:');
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
        output: stdout + stderr,
        closing: lines.at(-1) ?? '',
        failed: start < 0 ? [] : lines.slice(start + 1, -1).map((l) => l.trim()),
      });
    });
  });
}

const fixture = (name: string) => `${FIXTURES}/${name}.test.ts`;

// Every run is queued at once; each test awaits its own.
const runs = {
  // First: it takes its whole time limit, while the others go through the second slot.
  hang: runner([fixture('hang')], { RUNNER_FIXTURE_PIDFILE: hangPidFile }),
  onlyAndPass: runner([fixture('only'), fixture('pass')]),
  failAndSkip: runner([fixture('fail'), fixture('skip')]),
  crash: runner([fixture('crash'), fixture('pass')]),
  exitEarly: runner([fixture('exit-early')]),
  hooks: runner([fixture('before-throws'), fixture('after-throws')]),
  empty: runner([`${FIXTURES}/empty`]),
  noTests: runner([fixture('no-tests')]),
  allSkipped: runner([fixture('all-skipped')]),
};

test.after(() => { rmSync(dir, { recursive: true, force: true }); });

test('passing suites, and test.only: the tests it passes over are skipped, not failed; exit 0', async () => {
  const r = await runs.onlyAndPass;
  assert.is(r.closing, '3 passed, 0 failed, 2 skipped', r.output);
  assert.equal(r.failed, []);
  assert.is(r.code, 0);
});

test('failed tests are counted and named, and test.skip elsewhere does not cancel them (uvu leaves skips out of Total)', async () => {
  const r = await runs.failAndSkip;
  assert.is(r.closing, '2 passed, 2 failed, 2 skipped', r.output);
  assert.equal(r.failed, [`${fixture('fail')}: "fails first"`, `${fixture('fail')}: "fails second"`]);
  assert.is(r.code, 1);
});

test('a crash fails its suite and hides no other suite', async () => {
  const r = await runs.crash;
  assert.is(r.closing, '3 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${fixture('crash')}: exited 1 before uvu's summary`]);
  assert.match(r.output, 'Error: uncaught, from a timer');
  assert.is(r.code, 1);
});

test("a suite that exits 0 before uvu's summary is a failure", async () => {
  const r = await runs.exitEarly;
  assert.is(r.closing, '0 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${fixture('exit-early')}: exited 0 before uvu's summary`]);
  assert.is(r.code, 1);
});

test('errors in test.before and test.after are printed with their stack and fail their suite', async () => {
  const r = await runs.hooks;
  assert.is(r.closing, '2 passed, 3 failed, 0 skipped', r.output);
  assert.equal([...r.failed].sort(), [
    `${fixture('after-throws')}: test.after threw: Error: the lab could not be taken down`,
    `${fixture('before-throws')}: test.before threw: Error: the lab could not be built: no such namespace bs-fixture-r`,
  ]);
  assert.match(r.output, /at setUpTheLab \(.*before-throws\.test\.ts:6:\d+\)/);
  assert.match(r.output, /--- test\/runner-fixtures\/before-throws\.test\.ts: 0 passed, 2 failed, 0 skipped/);
  assert.match(r.output, /--- test\/runner-fixtures\/after-throws\.test\.ts: 2 passed, 1 failed, 0 skipped/);
  assert.is(r.code, 1);
});

test('a hung suite is killed at its own time limit, with the processes it started', async () => {
  const r = await runs.hang;
  assert.is(r.closing, '0 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${fixture('hang')}: timed out after 20 s: killed with its process group`]);
  assert.is(r.code, 1);
  assert.ok(existsSync(hangPidFile), 'the fixture started its child before its time limit (a loaded machine may need a longer one)');
  const pid = Number(readFileSync(hangPidFile, 'utf8'));
  assert.ok(!alive(pid), `the hung suite's child ${pid} is gone`);
});

test('a group or folder without suites is a failure, and shown', async () => {
  const r = await runs.empty;
  assert.is(r.closing, '0 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${FIXTURES}/empty: no suites (*.test.ts) in this group`]);
  assert.match(r.output, `!!! ${FIXTURES}/empty: no suites`);
  assert.is(r.code, 1);
});

test('a suite with no test is a failure', async () => {
  const r = await runs.noTests;
  assert.is(r.closing, '0 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${fixture('no-tests')}: has no test`]);
  assert.is(r.code, 1);
});

test('a run in which no test ran is a failure', async () => {
  const r = await runs.allSkipped;
  assert.is(r.closing, '0 passed, 1 failed, 1 skipped', r.output);
  assert.equal(r.failed, ['no test ran']);
  assert.is(r.code, 1);
});

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

test('the outcome of a suite killed by a signal in the middle of a file', () => {
  const o = outcomeOf({ output: 'a.test.ts\n named  • • ✘ \n', code: null, signal: 'SIGSEGV', timedOutAfterS: null });
  assert.equal(o, { passed: 2, failed: 2, skipped: 0, problems: ["was killed by SIGSEGV before uvu's summary"] });
});

test.run();
