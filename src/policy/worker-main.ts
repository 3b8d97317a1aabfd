// The policy's own thread: loads the file into the QuickJS sandbox (policy.ts) and answers one
// hook call at a time. The daemon ends this thread when a call overruns its deadline (a long
// native built-in that the sandbox's own deadline cannot interrupt), so the daemon never waits.
import { parentPort, workerData } from 'node:worker_threads';
import { Policy } from './policy';
import type { PolicyClient, PolicyNotice, PolicyOutage } from './types';
import type { CallMessage, WorkerMessage, WorkerStart } from './worker-protocol';

export async function runPolicyWorker(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('runPolicyWorker: not in a worker thread');
  const start = workerData as WorkerStart;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let policy: Policy;
  try {
    policy = await Policy.fromSource(start.file, start.source, { ...start.options, log: (level, message) => post({ type: 'log', level, message }) });
  } catch (err) {
    post({ type: 'loadFailed', message: (err as Error).message });
    return;
  }
  port.on('message', (m: CallMessage) => {
    // The arguments were checked into shape by the daemon; the policy checks what comes back.
    const [a, b] = m.args as [unknown, unknown];
    let value: unknown;
    if (m.hook === 'contactFor') value = policy.contactFor(a as PolicyClient);
    else if (m.hook === 'shouldNotify') value = policy.shouldNotify(a as PolicyOutage, b as PolicyClient);
    else value = policy.render(a as PolicyNotice);
    post({ type: 'result', id: m.id, value, failure: policy.lastFailure(), rebuilds: policy.stats().rebuilds });
  });
  post({ type: 'loaded', hooks: policy.hooks });
}
