// kill -9 of the sending process, after queueing and twice during sending: after a restart
// every notice arrives, and the duplicates stay within the documented bound (docs/OUTBOX.md:
// at most the mail channel's concurrency per kill during sending).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exim } from './exim';

const COUNT = 300;
const CONCURRENCY = 40; // mailChannel()'s default
const DRIVER = join(__dirname, 'mail-driver.ts');

let exim: Exim;
let dir: string;
const children = new Set<ChildProcess>();

test.before(async () => {
  exim = await Exim.start();
  dir = mkdtempSync(join(tmpdir(), 'bs-ml-crash-'));
});
test.after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await exim?.dispose();
  rmSync(dir, { recursive: true, force: true });
});
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

interface Run {
  readonly lines: string[];
  readonly exit: Promise<number | null>;
  /** Resolves with the first line that satisfies `ok`. */
  line(ok: (l: string) => boolean, timeoutMs: number): Promise<string>;
  kill(): Promise<void>;
}

function driver(...args: string[]): Run {
  // node itself, not the tsx wrapper: kill -9 must hit the process that sends.
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, dir, String(exim.port), String(COUNT), ...args],
    { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const lines: string[] = [];
  let partial = '';
  let wake: () => void = () => {};
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    wake();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => { children.delete(child); wake(); resolve(code); }));
  return {
    lines,
    exit,
    async line(ok, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(ok);
        if (found !== undefined) return found;
        if (!children.has(child) || Date.now() > deadline) {
          throw new Error(`driver ${children.has(child) ? 'timed out' : 'exited'}; last lines: ${lines.slice(-5).join(' | ')}`);
        }
        await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
      }
    },
    async kill() {
      child.kill('SIGKILL');
      await exit;
    },
  };
}

const sentCount = (lines: string[]) => lines.filter((l) => l.startsWith('sent ')).length;

/** Messages in the outbox's batch files (one JSON line each), finished or not. */
const linesOnDisk = () => readdirSync(join(dir, 'queue')).reduce((n, f) => n + readFileSync(join(dir, 'queue', f), 'utf8').split('\n').length - 1, 0);
/** Outcomes on disk in the ledger: what earlier runs finished for good. */
const recorded = () => { try { return readFileSync(join(dir, 'ledger'), 'utf8').split('\n').filter((l) => l.includes('"s":"sent"')).length; } catch { return 0; } };

test('every notice arrives after kill -9 before and during sending; duplicates within the bound', async () => {
  // 1. killed after queueing, before any attempt
  const held = driver('hold');
  assert.is(await held.line((l) => l.startsWith('queued '), 30_000), `queued ${COUNT} duplicate 0`);
  await held.line((l) => l === 'holding', 5000);
  await held.kill();
  assert.is(linesOnDisk(), COUNT);
  assert.is((await exim.messages()).length, 0);

  // 2. and 3. killed while sending, a third and two thirds of the way through
  const kills: number[] = [];
  for (const fraction of [1 / 3, 2 / 3]) {
    const run = driver();
    const line = await run.line((l) => l.startsWith('queued '), 30_000);
    assert.match(line, new RegExp(`^queued 0 duplicate ${COUNT}$`), 'every notice was already queued or sent');
    const target = Math.floor(COUNT * fraction) - recorded();
    await run.line(() => sentCount(run.lines) >= Math.max(1, target), 60_000);
    await run.kill();
    kills.push(sentCount(run.lines));
  }

  // 4. runs to the end
  const last = driver();
  const done = await last.line((l) => l.startsWith('done '), 120_000);
  assert.is(await last.exit, 0);
  const stats = JSON.parse(done.slice(5)) as { queued: number; sending: number; failed: number };
  assert.equal([stats.queued, stats.sending, stats.failed], [0, 0, 0]);
  assert.equal(readdirSync(join(dir, 'queue')), []);

  await exim.waitFor(COUNT, 60_000);
  await exim.settle(60_000);
  const byRecipient = new Map<string, Set<string>>();
  let total = 0;
  for (const m of await exim.messages()) {
    if (m.headers['x-backsoon-outage'] !== 'crash@1') continue;
    total++;
    const ids = byRecipient.get(m.recipient) ?? new Set<string>();
    ids.add(m.headers['message-id']);
    byRecipient.set(m.recipient, ids);
  }
  const missing = Array.from({ length: COUNT }, (_, i) => `user${i}@example.test`).filter((r) => !byRecipient.has(r));
  assert.equal(missing, [], 'every notice arrived');
  assert.ok([...byRecipient.values()].every((ids) => ids.size === 1), 'copies of one notice share its Message-ID');
  const duplicates = total - COUNT;
  console.log(`  crash test: ${COUNT} notices, killed after ${kills.join(' and ')} sent; ${duplicates} duplicate(s) arrived (bound ${2 * CONCURRENCY})`);
  assert.ok(duplicates <= 2 * CONCURRENCY, `${duplicates} duplicates exceed ${CONCURRENCY} per kill`);
});

test.run();
