// test/run: runs the suites, each file in its own process, and closes with the failures by name
// and one line "N passed, N failed, N skipped". Exits non-zero when anything failed, crashed,
// hung, was empty, or when no test ran.
//
// Unit suites run side by side, up to one per core (BS_TEST_JOBS), longest first as measured by
// earlier runs; each one's output is printed whole when it ends. Lab and qemu suites run one at a
// time, shown as they go; they share one run id (BS_RUN, see test/lab/lib.sh) that keeps their
// namespaces apart from another run's, and whatever namespaces a suite of this run leaves behind
// are reported and removed.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outcomeOf, type Outcome } from './outcome';
import { runSuite, signalRunning } from './run-suite';
import { select, type Suite } from './suites';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAB_LIB = join(ROOT, 'test', 'lab', 'lib.sh');
const DURATIONS = join(ROOT, 'build', 'test-durations.json');

interface Tally { passed: number; failed: number; skipped: number; problems: string[] }

function positiveInteger(name: string): number | null {
  const text = process.env[name];
  if (text === undefined || text === '') return null;
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`test/run: ${name}='${text}' must be a whole number above 0`);
  return Number(text);
}

function readDurations(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function saveDurations(measured: Record<string, number>): void {
  try {
    mkdirSync(dirname(DURATIONS), { recursive: true });
    const next = `${DURATIONS}.${process.pid}`;
    writeFileSync(next, `${JSON.stringify({ ...readDurations(), ...measured }, null, 1)}\n`);
    renameSync(next, DURATIONS); // runs side by side never see half a file
  } catch {
    // only an ordering hint for the next run
  }
}

function suiteEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR; // Node warns when both are set
  // One run id for every suite of this run; a run started inside another keeps the outer one.
  if (!env.BS_RUN) {
    env.BS_RUN = process.pid.toString(36);
    env.BS_RUN_OWNER = String(process.pid);
  }
  return env;
}

/** Runs lib.sh's FN (root only); its stdout, or '' when it failed. */
function labLib(fn: string, env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync('bash', ['-c', 'source "$0" && "$@"', LAB_LIB, fn], { env, encoding: 'utf8', timeout: 60_000 });
  } catch (err) {
    process.stdout.write(`!!! test/run: ${fn} failed: ${(err as Error).message}\n`);
    return '';
  }
}

function report(suite: Suite, outcome: Outcome, seconds: number): string {
  const counts = `${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped`;
  return `--- ${suite.file}: ${counts} in ${seconds.toFixed(1)} s\n${outcome.problems.map((p) => `!!! ${suite.file}: ${p}\n`).join('')}`;
}

function add(tally: Tally, suite: Suite, o: Outcome): void {
  tally.passed += o.passed;
  tally.failed += o.failed;
  tally.skipped += o.skipped;
  tally.problems.push(...o.problems.map((p) => `${suite.file}: ${p}`));
}

async function runSideBySide(suites: Suite[], jobs: number, env: NodeJS.ProcessEnv, tally: Tally, measured: Record<string, number>): Promise<void> {
  const known = readDurations();
  // Longest first (unknown ones count as long), so that no long suite starts last.
  const queue = [...suites].sort((a, b) => (known[b.file] ?? Infinity) - (known[a.file] ?? Infinity));
  const worker = async (): Promise<void> => {
    for (let suite = queue.shift(); suite !== undefined; suite = queue.shift()) {
      const run = await runSuite(ROOT, suite, env);
      const outcome = outcomeOf(run);
      measured[suite.file] = Math.round(run.seconds * 10) / 10;
      process.stdout.write(`=== ${suite.file}\n${run.output.replace(/\n*$/, '\n')}${report(suite, outcome, run.seconds)}`);
      add(tally, suite, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, suites.length) }, worker));
}

async function runOneByOne(suites: Suite[], env: NodeJS.ProcessEnv, tally: Tally, measured: Record<string, number>): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && suites.length > 0) labLib('lab_sweep', env);
  for (const suite of suites) {
    process.stdout.write(`=== ${suite.file}\n`);
    const run = await runSuite(ROOT, suite, env, (chunk) => process.stdout.write(chunk));
    const outcome = outcomeOf(run);
    measured[suite.file] = Math.round(run.seconds * 10) / 10;
    if (isRoot) {
      const left = labLib('lab_run_leftovers', env).trim();
      if (left !== '') {
        outcome.problems.push(`left namespaces behind (now removed): ${left.split('\n').join(' ')}`);
        outcome.failed++;
        labLib('lab_remove_run', env);
      }
    }
    process.stdout.write(`${run.output.endsWith('\n') || run.output === '' ? '' : '\n'}${report(suite, outcome, run.seconds)}`);
    add(tally, suite, outcome);
  }
  // The run's own record goes with it, unless the run was handed down by an outer one.
  if (isRoot && suites.length > 0 && env.BS_RUN_OWNER === String(process.pid)) labLib('lab_remove_run', env);
}

async function main(): Promise<number> {
  const started = Date.now();
  const { suites, empty } = select(ROOT, process.argv.slice(2), positiveInteger('BS_TEST_TIMEOUT'));
  const jobs = positiveInteger('BS_TEST_JOBS') ?? availableParallelism();
  const env = suiteEnv();
  const tally: Tally = { passed: 0, failed: 0, skipped: 0, problems: [] };
  for (const where of empty) {
    process.stdout.write(`!!! ${where}: no suites (*.test.ts) in this group\n`);
    tally.problems.push(`${where}: no suites (*.test.ts) in this group`);
    tally.failed++;
  }
  const measured: Record<string, number> = {};
  await runSideBySide(suites.filter((s) => s.kind === 'unit'), jobs, env, tally, measured);
  await runOneByOne(suites.filter((s) => s.kind !== 'unit'), env, tally, measured);
  saveDurations(measured);

  if (tally.passed + tally.failed === 0) {
    tally.problems.push('no test ran');
    tally.failed++;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const sideBySide = suites.some((s) => s.kind === 'unit') ? ` (unit suites ${jobs} at a time)` : '';
  process.stdout.write(`\n=== ${suites.length} suite${suites.length === 1 ? '' : 's'} in ${seconds} s${sideBySide}\n`);
  if (tally.problems.length > 0) process.stdout.write(`failed:\n${tally.problems.map((p) => `  ${p}\n`).join('')}`);
  process.stdout.write(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped\n`);
  return tally.failed === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // The suites clean up on SIGTERM (test/at-exit.ts); the runner ends after them.
    signalRunning('SIGTERM');
    process.stdout.write(`\n!!! test/run: ${signal}: the running suites were sent SIGTERM\n`);
    setTimeout(() => process.exit(130), 15_000).unref();
    process.exitCode = 130;
  });
}

main().then((code) => { process.exitCode = code; }, (err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.stdout.write('0 passed, 1 failed, 0 skipped\n');
  process.exitCode = 2;
});
