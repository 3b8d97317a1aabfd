// The heap trim after a burst: collects once the heap stands well above its size after the last
// collection and has stopped growing, not while allocation goes on, not for a small rise; and
// the full collection it uses frees garbage in a real node heap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getHeapStatistics } from 'node:v8';
import { fullCollection, HeapTrim, lazyFullCollection } from '../../src/daemon/heap-trim';

const MiB = 1 << 20;

/** A heap whose use the test sets; a collection brings it down to `live`. */
function fakeHeap(used: number, live: number) {
  const heap = { used, live, collections: 0 };
  const trim = new HeapTrim({
    heapUsed: () => heap.used,
    collect: () => { heap.collections++; heap.used = heap.live; },
    slackBytes: 16 * MiB,
    quietBytes: 1 * MiB,
  });
  return { heap, trim };
}

test('collects once after a burst, when the heap has stopped growing', () => {
  const { heap, trim } = fakeHeap(20 * MiB, 15 * MiB);
  heap.used = 60 * MiB; // the burst, still allocating
  trim.check();
  assert.is(heap.collections, 0, 'the heap grew since the last check: allocation goes on');
  heap.used = 60.2 * MiB; // quiet now
  trim.check();
  assert.is(heap.collections, 1);
  assert.is(heap.used, 15 * MiB);
  trim.check();
  trim.check();
  assert.is(heap.collections, 1, 'nothing to give back: no second collection');
});

test('indexes a burst left sparse are renewed only when the heap is quiet, and then collected', () => {
  const heap = { used: 20 * MiB, collections: 0 };
  let renewals = 0;
  let garbage = 4 * MiB; // what the engine's renewal would hand back, once
  const trim = new HeapTrim({
    heapUsed: () => heap.used,
    collect: () => { heap.collections++; },
    slackBytes: 16 * MiB,
    quietBytes: 1 * MiB,
    renew: () => { renewals++; const g = garbage; garbage = 0; return g; },
  });
  heap.used = 25 * MiB; // still allocating
  trim.check();
  assert.is(renewals, 0, 'not asked while allocation goes on');
  trim.check(); // quiet: 5 MiB over, below the slack, but the renewal left garbage
  assert.is(renewals, 1);
  assert.is(heap.collections, 1);
  trim.check();
  assert.is(heap.collections, 1, 'nothing renewed, nothing over the slack: no second collection');
});

test('a rise below the slack is left to V8', () => {
  const { heap, trim } = fakeHeap(20 * MiB, 15 * MiB);
  heap.used = 30 * MiB;
  trim.check();
  trim.check();
  trim.check();
  assert.is(heap.collections, 0);
});

test("V8's own collections lower the mark the slack counts from", () => {
  const { heap, trim } = fakeHeap(40 * MiB, 15 * MiB);
  heap.used = 18 * MiB; // V8 collected by itself
  trim.check();
  heap.used = 30 * MiB;
  trim.check();
  heap.used = 30.5 * MiB;
  trim.check();
  assert.is(heap.collections, 0, '30 MiB is less than 16 MiB above 18');
  heap.used = 36 * MiB;
  trim.check();
  heap.used = 36 * MiB;
  trim.check();
  assert.is(heap.collections, 1);
});

test('steady allocation is never interrupted', () => {
  const { heap, trim } = fakeHeap(20 * MiB, 15 * MiB);
  for (let i = 0; i < 20; i++) {
    heap.used = (i % 2 === 0 ? 50 : 70) * MiB; // scavenges and growth between checks
    trim.check();
  }
  assert.is(heap.collections, 0);
});

test('without a collector nothing is done', () => {
  let used = 10 * MiB;
  const trim = new HeapTrim({ heapUsed: () => used, collect: null, slackBytes: MiB, quietBytes: MiB });
  used = 100 * MiB;
  trim.check();
  trim.check();
  assert.is(trim.collections, 0);
});

test('fullCollection frees garbage in this process, and leaves no gc in new contexts', async () => {
  const collect = fullCollection();
  assert.ok(collect !== null, 'node 20 lets the flag be set at run time');
  let garbage: { s: string }[] | null = Array.from({ length: 200_000 }, (_, i) => ({ s: `notice ${i} `.repeat(4) }));
  assert.ok(garbage.length > 0);
  garbage = null;
  const before = getHeapStatistics().used_heap_size;
  collect!();
  const after = getHeapStatistics().used_heap_size;
  assert.ok(before - after > 10 * MiB, `a full collection freed ${((before - after) / MiB).toFixed(1)} MiB, expected > 10`);
  const { runInNewContext } = await import('node:vm');
  assert.is(runInNewContext('typeof gc'), 'undefined');
});

test('lazyFullCollection finds gc at its first call and frees garbage like fullCollection', () => {
  const collect = lazyFullCollection();
  let garbage: { s: string }[] | null = Array.from({ length: 200_000 }, (_, i) => ({ s: `notice ${i} `.repeat(4) }));
  assert.ok(garbage.length > 0);
  garbage = null;
  const before = getHeapStatistics().used_heap_size;
  collect();
  const after = getHeapStatistics().used_heap_size;
  assert.ok(before - after > 10 * MiB, `the first call freed ${((before - after) / MiB).toFixed(1)} MiB, expected > 10`);
});

test.run();
