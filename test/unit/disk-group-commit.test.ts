// Group commit (src/disk/group-commit.ts): what is queued during a flush goes in the next one;
// with gathering, a small flush waits for more items, but never longer than its wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupCommit } from '../../src/disk/group-commit';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A flush that records its items and takes `ms`, as an fdatasync does. */
function recorder(ms: number): { flushes: number[][]; flush: (items: number[]) => Promise<void> } {
  const flushes: number[][] = [];
  return { flushes, flush: async (items) => { flushes.push(items); await sleep(ms); } };
}

test('without gathering: the first item flushes alone, the ones queued during it go together', async () => {
  const r = recorder(20);
  const c = new GroupCommit<number>(r.flush);
  const done = [c.add(1)];
  await sleep(1);
  for (let i = 2; i <= 5; i++) done.push(c.add(i));
  await Promise.all(done);
  assert.equal(r.flushes, [[1], [2, 3, 4, 5]]);
});

test('gathering: items arriving one by one share a flush once minItems are there', async () => {
  const r = recorder(1);
  const c = new GroupCommit<number>(r.flush, Infinity, { minItems: 4, waitMs: 1000 });
  const start = Date.now();
  const done: Promise<void>[] = [];
  for (let i = 1; i <= 8; i++) {
    done.push(c.add(i));
    await sleep(2);
  }
  await Promise.all(done);
  assert.equal(r.flushes, [[1, 2, 3, 4], [5, 6, 7, 8]]);
  assert.ok(Date.now() - start < 900, 'the flush started when the fourth came, not after the wait');
});

test('gathering: a lone item waits waitMs, no longer, and a failed flush rejects its items only', async () => {
  let fail = true;
  const flushes: number[][] = [];
  const c = new GroupCommit<number>(async (items) => {
    flushes.push(items);
    if (fail) { fail = false; throw new Error('disk full'); }
  }, Infinity, { minItems: 8, waitMs: 30 });
  const start = Date.now();
  const err = await c.add(1).then(() => null, (e: Error) => e.message);
  const waited = Date.now() - start;
  assert.is(err, 'disk full');
  assert.ok(waited >= 25 && waited < 1000, `waited ${waited} ms`);
  await c.add(2);
  assert.equal(flushes, [[1], [2]]);
});

test.run();
