// The daemon's commands, bundled apart from the command line (dist/backsoon-daemon.js beside
// dist/backsoon.js), so that `backsoon status` does not make node compile the whole daemon.
// The same file is the operator policy's thread: policy/isolated.ts starts it again as a worker.

import type * as WorkerThreads from 'node:worker_threads';
import { POLICY_WORKER_ARG, POLICY_WORKER_ROLE } from './policy/worker-protocol';

export type Command = (args: string[]) => Promise<number>;

export const daemonCommands = {
  run: async () => (await import('./daemon/run')).main,
  replay: async () => (await import('./capture/replay')).main,
  policy: async () => (await import('./policy/cli')).main,
  agent: async () => (await import('./agent/cli')).main,
} satisfies Record<string, () => Promise<Command>>;

export type DaemonCommandName = keyof typeof daemonCommands;

// A policy thread carries POLICY_WORKER_ARG in its argv; only then is node:worker_threads loaded
// (a daemon at rest does without it) to confirm that this is indeed a thread started as one.
if (process.argv.includes(POLICY_WORKER_ARG)) {
  const { isMainThread, workerData } = require('node:worker_threads') as typeof WorkerThreads;
  if (!isMainThread && (workerData as { role?: unknown } | null)?.role === POLICY_WORKER_ROLE) {
    void import('./policy/worker-main').then((m) => m.runPolicyWorker());
  }
}
