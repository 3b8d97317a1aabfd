// The outbox's reader of batch files: the right bytes, one descriptor per file however many
// messages are read from it, at most a few open, none left once the files are done.
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchReader } from '../../src/notify/outbox/batch-reader';

const dir = mkdtempSync(join(tmpdir(), 'bs-batch-reader-'));
/** Descriptors of this process open on the test's own files. Only those: libuv, the test runner
 *  and the loader open and close descriptors of their own at any time, so a count of all of them
 *  moves under the test (it failed that way once, one fewer than expected). */
function openFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // Closed between the listing and the look: not ours to count.
    }
  }
  return n;
}
/** The descriptor count once it is `want` (closing is asynchronous), or as it is after 2 s. */
async function fdsSettled(want: number): Promise<number> {
  for (const end = Date.now() + 2000; openFds() !== want && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 10));
  return openFds();
}
const lines = ['{"n":1}\n', '{"n":2,"text":"é"}\n', '{"n":3}\n'];
const offsets = lines.map((_, i) => lines.slice(0, i).reduce((sum, l) => sum + Buffer.byteLength(l), 0));

function batch(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join(''));
  return path;
}

test('reads each line at its offset, through one descriptor per file', async () => {
  const r = new BatchReader();
  const path = batch('a.jsonl');
  const before = openFds();
  assert.is(before, 0);
  const got = await Promise.all(lines.map((l, i) => r.read(path, offsets[i], Buffer.byteLength(l))));
  assert.equal(got, lines);
  assert.is(r.openCount, 1);
  assert.is(await fdsSettled(before + 1), before + 1, 'one descriptor for three reads');
  assert.is(await r.read(path, offsets[2], 100), lines[2], 'past the end: what there is');
  r.forget(path);
  assert.is(await fdsSettled(before), before, 'forget closes it');
});

test('at most 8 files open; the least recently read goes first, and reads go on', async () => {
  const r = new BatchReader();
  const before = openFds();
  const paths = Array.from({ length: 12 }, (_, i) => batch(`f${i}.jsonl`));
  for (const p of paths) assert.is(await r.read(p, 0, 8), lines[0]);
  assert.is(r.openCount, 8);
  assert.is(await fdsSettled(before + 8), before + 8);
  assert.is(await r.read(paths[0], offsets[1], Buffer.byteLength(lines[1])), lines[1], 'a closed one opens again');
  r.closeAll();
  assert.is(await fdsSettled(before), before, 'closeAll leaves none open');
});

test('a file that is not there: the read fails, and nothing is kept for it', async () => {
  const r = new BatchReader();
  const err = await r.read(join(dir, 'gone.jsonl'), 0, 8).then(() => null, (e: Error) => e);
  assert.match(String(err?.message), /ENOENT/);
  assert.is(r.openCount, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
