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
  // Every way to fail, in one run: each suite's own line and failures, and their sum.
  failing: runner(['fail', 'skip', 'crash', 'pass', 'exit-early', 'before-throws', 'after-throws', 'no-tests', 'late'].map(fixture).concat(`${FIXTURES}/empty`)),
  allSkipped: runner([fixture('all-skipped')]),
};

/** A suite's own line, "N passed, N failed, N skipped", from "--- FILE: ... in S s". */
function suiteLine(r: RunnerResult, name: string): string {
  const m = new RegExp(`^--- ${fixture(name).replace(/[.]/g, '\\.')}: (.*) in [\\d.]+ s$`, 'm').exec(r.output);
  return m ? m[1] : `no line for ${name} in:\n${r.output}`;
}

/** The failures named above the closing line for suite `name`, without its path. */
function failuresOf(r: RunnerResult, name: string): string[] {
  const prefix = `${fixture(name)}: `;
  return r.failed.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
}

test.after(() => { rmSync(dir, { recursive: true, force: true }); });

test('passing suites, and test.only: the tests it passes over are skipped, not failed; exit 0', async () => {
  const r = await runs.onlyAndPass;
  assert.is(r.closing, '3 passed, 0 failed, 2 skipped', r.output);
  assert.equal(r.failed, []);
  assert.is(r.code, 0);
});

test('failed tests are counted and named', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'fail'), '1 passed, 2 failed, 0 skipped');
  assert.equal(failuresOf(r, 'fail'), ['"fails first"', '"fails second"']);
});

test('test.skip is no failure (uvu leaves skips out of Total) and cancels none', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'skip'), '1 passed, 0 failed, 2 skipped');
  assert.equal(failuresOf(r, 'skip'), []);
});

test('a crash fails its suite and hides no other suite', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'crash'), '1 passed, 1 failed, 0 skipped');
  assert.equal(failuresOf(r, 'crash'), ["exited 1 before uvu's summary"]);
  assert.match(r.output, 'Error: uncaught, from a timer');
  assert.is(suiteLine(r, 'pass'), '2 passed, 0 failed, 0 skipped');
});

test("a suite that exits 0 before uvu's summary is a failure", async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'exit-early'), '0 passed, 1 failed, 0 skipped');
  assert.equal(failuresOf(r, 'exit-early'), ["exited 0 before uvu's summary"]);
});

test('errors in test.before and test.after are printed with their stack and fail their suite', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'before-throws'), '0 passed, 2 failed, 0 skipped');
  assert.equal(failuresOf(r, 'before-throws'), ['test.before threw: Error: the lab could not be built: no such namespace bs-fixture-r']);
  assert.match(r.output, /at setUpTheLab \(.*before-throws\.test\.ts:6:\d+\)/);
  assert.is(suiteLine(r, 'after-throws'), '2 passed, 1 failed, 0 skipped');
  assert.equal(failuresOf(r, 'after-throws'), ['test.after threw: Error: the lab could not be taken down']);
});

test('a suite with no test is a failure', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'no-tests'), '0 passed, 1 failed, 0 skipped');
  assert.equal(failuresOf(r, 'no-tests'), ['has no test']);
});

test('a test declared after run() is a failure, named: uvu would leave it out without a word', async () => {
  const r = await runs.failing;
  assert.is(suiteLine(r, 'late'), '1 passed, 1 failed, 0 skipped');
  assert.equal(failuresOf(r, 'late'), ['"too late" was declared after run(): it did not run']);
});

test('a group or folder without suites is a failure, and shown', async () => {
  const r = await runs.failing;
  assert.ok(r.failed.includes(`${FIXTURES}/empty: no suites (*.test.ts) in this group`), r.failed.join('\n'));
  assert.match(r.output, `!!! ${FIXTURES}/empty: no suites`);
});

test('the closing line sums every suite and the failures outside them; the exit code says so', async () => {
  const r = await runs.failing;
  // passed: fail 1, skip 1, crash 1, pass 2, after-throws 2, late 1; failed: 2 + 1 + 1 + 2 + 1 + 1 + 1, and the empty folder
  assert.is(r.closing, '8 passed, 10 failed, 2 skipped', r.output);
  assert.is(r.failed.length, 9, 'one line per failure, the set-up error once for both its tests');
  assert.is(r.code, 1);
});

test('a hung suite is killed at its own time limit, with the processes it started', async () => {
  const r = await runs.hang;
  assert.is(r.closing, '0 passed, 1 failed, 0 skipped', r.output);
  assert.equal(r.failed, [`${fixture('hang')}: timed out after 10 s: killed with its process group`]);
  assert.is(r.code, 1);
  assert.ok(existsSync(hangPidFile), 'the fixture started its child before its time limit (a loaded machine may need a longer one)');
  const pid = Number(readFileSync(hangPidFile, 'utf8'));
  assert.ok(!alive(pid), `the hung suite's child ${pid} is gone`);
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
