// Durable writes (src/disk/durable-write.ts), appends through a kept descriptor (durable-append.ts), JSON in pieces, and the state file built on them
// (src/control/snapshot.ts): whole files or the old ones, temp files cleaned, failures retried
// and logged once, a held file left alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableAppender } from '../../src/disk/durable-append';
import { appendDurably, removeStaleTempsSync, writeFileDurably } from '../../src/disk/durable-write';
import { jsonPieces } from '../../src/disk/json-pieces';
import { SnapshotStore } from '../../src/control/snapshot';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bs-ut-disk-'));
  dirs.push(d);
  return d;
}
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('jsonPieces joined is JSON.stringify, for every shape the state file has and the odd ones', () => {
  const big = Array.from({ length: 300 }, (_, i) => ({ client: `192.0.2.${i % 250}`, firstAttempt: i + 0.5, mac: i % 2 ? undefined : 'x' }));
  const values: unknown[] = [
    { version: 1, savedAt: 1.5, outages: [{ server: 's', clients: big, holdUntil: undefined }], contacts: big },
    [1, undefined, () => 1, 'a"b\n', null, { toJSON: () => 'j' }], { a: { b: { c: [] } }, d: undefined, e: new Date(0) },
    'text', 42, null, [], {},
  ];
  for (const v of values) assert.is([...jsonPieces(v)].join(''), JSON.stringify(v));
});

test('writeFileDurably writes the file whole, mode 0600, and leaves no temp file', async () => {
  const dir = tempDir();
  const file = join(dir, 'state.json');
  await writeFileDurably(file, 'old\n');
  await writeFileDurably(file, (function* () { yield 'new'; yield '\n'; })());
  assert.is(readFileSync(file, 'utf8'), 'new\n');
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.equal(readdirSync(dir), ['state.json']);
});

test('a write that fails leaves the old file and removes its temp file', async () => {
  const dir = tempDir();
  const target = join(dir, 'target');
  mkdirSync(target); // rename() of a file over a directory fails
  try {
    await writeFileDurably(target, 'x');
    assert.unreachable('the rename should fail');
  } catch (err) {
    assert.match((err as NodeJS.ErrnoException).code ?? '', /EISDIR|ENOTEMPTY|EEXIST/);
  }
  assert.equal(readdirSync(dir), ['target']);
});

test('appendDurably appends; stale temp files of a crash are removed at start', async () => {
  const dir = tempDir();
  const file = join(dir, 'log');
  await appendDurably(file, 'a\n', 0);
  await appendDurably(file, 'b\n', 2);
  assert.is(readFileSync(file, 'utf8'), 'a\nb\n');
  writeFileSync(join(dir, 'state.json.tmp-1234'), 'half');
  writeFileSync(join(dir, 'state.json'), '{}');
  removeStaleTempsSync(join(dir, 'state.json'));
  assert.equal(readdirSync(dir).sort(), ['log', 'state.json']);
});

/** This process's descriptors open on `file` (by its path as /proc shows it; " (deleted)" once unlinked). */
function descriptorsOn(file: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(file)) n++;
    } catch {
      // closed between the listing and the look
    }
  }
  return n;
}

test('DurableAppender: appends through one descriptor, kept open until close', async () => {
  const file = join(tempDir(), 'ledger');
  const a = new DurableAppender(file);
  await a.append('a\n', 0);
  await a.append('b\n', 2);
  await a.append('é\n', 4);
  assert.is(readFileSync(file, 'utf8'), 'a\nb\né\n');
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(descriptorsOn(file), 1, 'one descriptor for three appends');
  a.close();
  await until('the descriptor to close', () => descriptorsOn(file) === 0);
});

test('DurableAppender: after the file is renamed over, reopen sends the next append to the new file', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger');
  const a = new DurableAppender(file);
  await a.append('old\n', 0);
  writeFileSync(join(dir, 'new'), 'compact\n');
  renameSync(join(dir, 'new'), file);
  a.reopen();
  await a.append('next\n', 8);
  assert.is(readFileSync(file, 'utf8'), 'compact\nnext\n');
  await until('the old descriptor to close', () => descriptorsOn(file) === 1);
  a.close();
});

test('DurableAppender: an append that fails rejects and keeps nothing open; the next one opens the file again', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger');
  mkdirSync(file);
  const a = new DurableAppender(file);
  const err = await a.append('lost?\n', 0).then(() => null, (e: NodeJS.ErrnoException) => e);
  assert.is(err?.code, 'EISDIR');
  rmSync(file, { recursive: true });
  await a.append('kept\n', 0);
  assert.is(readFileSync(file, 'utf8'), 'kept\n');
  a.close();
});

test('DurableAppender: close during an append lets it finish whole, then closes', async () => {
  const file = join(tempDir(), 'ledger');
  const a = new DurableAppender(file);
  const big = 'x'.repeat(1 << 20);
  const done = a.append(`${big}\n`, 0);
  a.close();
  await done;
  assert.is(statSync(file).size, big.length + 1);
  await until('the descriptor to close', () => descriptorsOn(file) === 0);
  await a.append('late\n', big.length + 1);
  assert.is(descriptorsOn(file), 0, 'an append after close leaves nothing open');
  assert.ok(readFileSync(file, 'utf8').endsWith('x\nlate\n'));
});

test('the state file: written on change, retried after a failure with one log line each way', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  let n = 0;
  const written: number[] = [];
  const store = new SnapshotStore<{ n: number }>({
    dir, minIntervalSeconds: 0.05, produce: () => ({ n: ++n }), written: (v) => written.push(v.n),
    log: (level, msg) => logs.push(`${level}: ${msg}`),
  });
  assert.is(store.load(), null);
  store.markDirty();
  await until('first write', () => store.status().writes === 1);
  assert.equal(JSON.parse(readFileSync(store.file, 'utf8')), { n: 1 });
  rmSync(store.file);
  mkdirSync(store.file); // the next writes fail until it is gone
  store.markDirty();
  await until('three failures', () => store.status().failures >= 3);
  assert.is(store.status().error, 'EISDIR');
  assert.is(logs.filter((l) => l.startsWith('error: cannot write state file')).length, 1, 'logged once');
  rmSync(store.file, { recursive: true });
  await until('written again', () => store.status().writes === 2);
  assert.is(store.status().error, null);
  assert.ok(logs.some((l) => /^info: state file .* written again after \d+ failed attempt/.test(l)));
  assert.equal(written, [1, n]);
  await store.close();
  assert.equal(readdirSync(dir), ['state.json']);
});

test('the state file is left alone while held, and written once the hold ends', async () => {
  const dir = tempDir();
  let hold: string | null = 'notices in memory only';
  const store = new SnapshotStore({ dir, minIntervalSeconds: 0.01, produce: () => ({ v: 2 }), holdReason: () => hold, log: () => {} });
  writeFileSync(store.file, '{"v":1}\n');
  store.markDirty();
  await store.flush();
  assert.is(store.status().heldBy, 'notices in memory only');
  assert.is(readFileSync(store.file, 'utf8'), '{"v":1}\n');
  hold = null;
  await until('written after the hold', () => store.status().writes === 1, 4000);
  assert.is(readFileSync(store.file, 'utf8'), '{"v":2}\n');
  assert.is(store.status().heldBy, null);
  await store.close();
  assert.not.ok(existsSync(`${store.file}.tmp-${process.pid}`));
});

test.run();
