// test-timeout: 10
// Runner fixture: a test that never ends, with a child process of its own that must not
// outlive it (the runner kills the suite's whole process group). RUNNER_FIXTURE_PIDFILE, when
// set, receives the child's pid.
import { test } from 'uvu';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

test('hangs', async () => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  if (process.env.RUNNER_FIXTURE_PIDFILE) writeFileSync(process.env.RUNNER_FIXTURE_PIDFILE, String(child.pid));
  await new Promise(() => setInterval(() => undefined, 1000));
});

test.run();
