// One place for the test harnesses' last words: every cleanup registered here runs when the
// process exits or is stopped by SIGINT/SIGTERM/SIGHUP, each on its own, so one that throws
// cannot keep the others (namespaces, daemons, temp dirs) from going.
import { constants as osConstants } from 'node:os';

const tasks = new Set<() => void>();
let installed = false;

/** Registers a synchronous cleanup; returns a function that unregisters it. */
export function atExit(task: () => void): () => void {
  install();
  tasks.add(task);
  return () => { tasks.delete(task); };
}

function runAll(): void {
  for (const task of [...tasks]) {
    tasks.delete(task);
    try { task(); } catch { /* the next cleanup still runs */ }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      runAll();
      process.exit(128 + osConstants.signals[sig]);
    });
  }
}
