import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReloadQueue } from '../../src/daemon/reload-queue';

/** A reload that waits until the test lets it finish, and records overlaps. */
function harness() {
  const events: string[] = [];
  let running = 0;
  let finish: (() => void)[] = [];
  const queue = new ReloadQueue(async () => {
    running++;
    events.push(running > 1 ? 'overlap' : 'start');
    await new Promise<void>((resolve) => finish.push(resolve));
    running--;
    events.push('end');
  }, (err) => events.push(`error ${(err as Error).message}`));
  const release = async () => {
    const waiting = finish;
    finish = [];
    for (const f of waiting) f();
    await new Promise((r) => setImmediate(r));
  };
  return { queue, events, release };
}

test('requests during a reload make exactly one more reload after it, never two at once', async () => {
  const { queue, events, release } = harness();
  queue.start();
  for (let i = 0; i < 10; i++) queue.request();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['start']);
  await release();
  assert.equal(events, ['start', 'end', 'start']);
  await release();
  assert.equal(events, ['start', 'end', 'start', 'end']);
  assert.equal(queue.counts, { requested: 10, started: 2 });
});

test('a request before start() runs once start() is called', async () => {
  const { queue, events, release } = harness();
  queue.request();
  queue.request();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, []);
  queue.start();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['start']);
  await release();
  assert.equal(queue.counts, { requested: 2, started: 1 });
});

test('a reload that throws is reported and the next request still runs', async () => {
  let calls = 0;
  const errors: string[] = [];
  const queue = new ReloadQueue(async () => { calls++; if (calls === 1) throw new Error('port in use'); }, (err) => errors.push((err as Error).message));
  queue.start();
  queue.request();
  await new Promise((r) => setImmediate(r));
  queue.request();
  await new Promise((r) => setImmediate(r));
  assert.equal(errors, ['port in use']);
  assert.is(calls, 2);
});

test('close() waits for the running reload and refuses further ones', async () => {
  const { queue, events, release } = harness();
  queue.start();
  queue.request();
  queue.request();
  let closed = false;
  const closing = queue.close().then(() => { closed = true; });
  await new Promise((r) => setImmediate(r));
  assert.not.ok(closed);
  await release();
  await closing;
  assert.ok(closed);
  queue.request();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['start', 'end'], 'the coalesced one and the late one never ran');
});

test.run();
