// Runs one suite file under uvu in a process group of its own, so that a suite that hangs past
// its time limit is ended together with everything it started (daemons, captures, VMs): SIGTERM
// first, so its exit handlers can take down what they built, then SIGKILL.
import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import type { SuiteEnd } from './outcome';
import type { Suite } from './suites';

/** How long a suite gets to clean up after the SIGTERM of its time limit. */
const GRACE_MS = 15_000;
/** How long output may still arrive after the suite's process ended (a child holding the pipe). */
const DRAIN_MS = 2_000;

export interface SuiteRun extends SuiteEnd {
  seconds: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Process groups of the suites running now. */
const running = new Set<number>();

/** For the runner's own SIGINT/SIGTERM: the suites get it too (they do not share its group). */
export function signalRunning(signal: NodeJS.Signals): void {
  for (const pid of running) killGroup(pid, signal);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Runs `suite` from the repository `root`; `onOutput` sees the output as it comes (for suites
 * shown live), and the whole of it is in the result.
 */
export function runSuite(root: string, suite: Suite, env: NodeJS.ProcessEnv, onOutput?: (chunk: string) => void): Promise<SuiteRun> {
  const started = Date.now();
  const argv = [
    join(root, 'node_modules', 'uvu', 'bin.js'), '--no-color',
    '-r', 'tsx', '-r', join(root, 'test', 'runner', 'uvu-hooks.ts'),
    dirname(suite.file), `^${escapeRegExp(basename(suite.file))}$`,
  ];
  const child = spawn(process.execPath, argv, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  running.add(pid);
  let output = '';
  const take = (chunk: string): void => {
    output += chunk;
    onOutput?.(chunk);
  };
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);

  let timedOutAfterS: number | null = null;
  let killer: NodeJS.Timeout | undefined;
  const limit = setTimeout(() => {
    timedOutAfterS = suite.timeoutS;
    killGroup(pid, 'SIGTERM');
    killer = setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS);
  }, suite.timeoutS * 1000);

  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(limit);
      reject(new Error(`test/run: cannot start ${suite.file}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      clearTimeout(killer);
      running.delete(pid);
      // Whatever the suite left running in its group goes with it.
      killGroup(pid, 'SIGKILL');
      const finish = (): void => {
        resolve({ output, code, signal, timedOutAfterS, seconds: (Date.now() - started) / 1000 });
      };
      let drained = 0;
      const drain = setTimeout(finish, DRAIN_MS);
      const closed = (): void => {
        if (++drained === 2) { clearTimeout(drain); finish(); }
      };
      if (child.stdout.readableEnded) closed(); else child.stdout.once('end', closed);
      if (child.stderr.readableEnded) closed(); else child.stderr.once('end', closed);
    });
  });
}
