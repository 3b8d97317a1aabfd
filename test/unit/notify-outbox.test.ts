// The durable outbox: written before any attempt, retried with backoff, given up on permanent
// failure or at max age, at most one message per key (also across restarts), corrupt files
// moved aside. Time is a manual clock; the transport is a mock (the real one, SMTP through
// exim, is exercised in test/lab/mail*.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type ChannelHandler, type Delivery, type MessageView, type OutboxEvent, type OutboxOptions } from '../../src/notify/outbox/outbox';
import { retryDelay } from '../../src/notify/outbox/backoff';
import type { Scheduler } from '../../src/notify/outbox/scheduler';

const START = 1_800_000_000_000;

/** Wall clock for now(), and timers that, like setTimeout, count elapsed time, not the wall clock. */
class ManualClock {
  t = START;
  private elapsed = 0;
  private timers: { at: number; run: () => void }[] = [];
  readonly now = () => this.t;
  readonly scheduler: Scheduler = {
    after: (ms, run) => {
      const timer = { at: this.elapsed + ms, run };
      this.timers.push(timer);
      return () => { this.timers = this.timers.filter((x) => x !== timer); };
    },
  };
  /** Lets time pass, firing due timers in order. */
  advance(ms: number): void {
    const end = this.elapsed + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t += Math.max(0, due.at - this.elapsed);
      this.elapsed = Math.max(this.elapsed, due.at);
      due.run();
    }
    this.t += end - this.elapsed;
    this.elapsed = end;
  }
  /** Sets the wall clock, as NTP does; timers are not affected. */
  step(ms: number): void {
    this.t += ms;
  }
}

/** Records events and lets a test wait for one (real time limit, so a bug fails, not hangs). */
class Events {
  readonly list: OutboxEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly push = (e: OutboxEvent) => {
    this.list.push(e);
    for (const w of this.waiters.splice(0)) w();
  };
  count(type: OutboxEvent['type']): number {
    return this.list.filter((e) => e.type === type).length;
  }
  async until(what: string, ok: () => boolean): Promise<void> {
    const limit = Date.now() + 3000;
    while (!ok()) {
      if (Date.now() > limit) throw new Error(`timed out waiting for ${what}; events: ${this.list.map((e) => e.type).join(',')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }
}

/** Stands in for a real transport (a mock): answers from a script, optionally held open. */
function mockTransport(answer: (payload: unknown, m: MessageView) => Delivery | Promise<Delivery>, concurrency = 4) {
  const calls: { payload: unknown; m: MessageView; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handler: ChannelHandler<unknown> = {
    concurrency,
    async send(payload, m) {
      calls.push({ payload, m, at: Date.now() });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await answer(payload, m);
      } finally {
        inFlight--;
      }
    },
    describe: (p) => `test message ${JSON.stringify(p)}`,
  };
  return { handler, calls, get maxInFlight() { return maxInFlight; } };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bs-ml-outbox-'));
  dirs.push(d);
  return d;
}
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(dir = tempDir(), extra: Partial<OutboxOptions> = {}) {
  const clock = new ManualClock();
  const events = new Events();
  const logs: string[] = [];
  const options: OutboxOptions = {
    dir, now: clock.now, scheduler: clock.scheduler, random: () => 0,
    log: (level, line) => logs.push(`${level}: ${line}`), onEvent: events.push, ...extra,
  };
  return { dir, clock, events, logs, options, open: () => Outbox.open(options) };
}

async function rejects(run: () => Promise<unknown>, expected: RegExp | ((err: Error) => boolean)): Promise<void> {
  try {
    await run();
  } catch (err) {
    const ok = expected instanceof RegExp ? expected.test((err as Error).message) : expected(err as Error);
    assert.ok(ok, `unexpected error: ${(err as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

const sent: Delivery = { status: 'sent', detail: '250 OK' };
const temporary: Delivery = { status: 'temporary', detail: 'ECONNECTION: connect ECONNREFUSED 127.0.0.1:25' };

test('a message is on disk before its first attempt and leaves the disk after success', async () => {
  const s = setup();
  const outbox = await s.open();
  const onDiskAtSend: boolean[] = [];
  const t = mockTransport((_p, m) => {
    const q = join(s.dir, 'queue');
    onDiskAtSend.push(readdirSync(q).some((f) => readFileSync(join(q, f), 'utf8').includes(`"id":"${m.id}"`)));
    return sent;
  });
  outbox.registerChannel('mail', t.handler);
  const r = await outbox.enqueue('mail', 'k1', { to: 'a@example.test' });
  assert.is(r.status, 'queued');
  await s.events.until('sent', () => s.events.count('sent') === 1);
  assert.equal(onDiskAtSend, [true]);
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  assert.equal(t.calls[0].payload, { to: 'a@example.test' });
  const st = outbox.stats();
  assert.equal([st.queued, st.sending, st.sent, st.failed, st.retries, st.ledger], [0, 0, 1, 0, 0, 1]);
  assert.match(await readFile(join(s.dir, 'ledger'), 'utf8'), /"s":"sent","k":"k1"/);
  await outbox.close();
});

/** Steps the clock to each retry as it is announced, until `stop()` or `max` steps. */
async function stepThroughRetries(s: ReturnType<typeof setup>, stop: () => boolean, max: number): Promise<void> {
  for (let i = 1; i <= max && !stop(); i++) {
    await s.events.until(`outcome ${i}`, () => stop() || s.events.count('retry') >= i);
    const last = s.events.list.filter((e) => e.type === 'retry').at(-1);
    if (stop() || last?.type !== 'retry') break;
    s.clock.advance(last.nextAttemptAt - s.clock.t);
  }
}

test('the first messages written go out with the payload kept from the write, later ones and every retry read it back: the same payload each time', async () => {
  const s = setup();
  const outbox = await s.open();
  const seen = new Map<string, unknown[]>();
  const t = mockTransport((p, m) => {
    const list = seen.get(m.key) ?? [];
    list.push(p);
    seen.set(m.key, list);
    return list.length === 1 ? temporary : sent; // each fails once, then goes
  }, 8);
  const payload = (i: number) => ({ to: `user${i}@example.test`, raw: `message ${i} `.repeat(20) });
  await Promise.all(Array.from({ length: 80 }, (_, i) => outbox.enqueue('mail', `k${i}`, payload(i))));
  outbox.registerChannel('mail', t.handler);
  await s.events.until('every first attempt', () => s.events.count('retry') === 80);
  s.clock.advance(60_000);
  await s.events.until('every message sent', () => s.events.count('sent') === 80);
  for (let i = 0; i < 80; i++) assert.equal(seen.get(`k${i}`), [payload(i), payload(i)], `message ${i}`);
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  await outbox.close();
});

test('temporary failures retry after 30 s doubling to 1 h, jitter taking at most a quarter off', async () => {
  const s = setup();
  const outbox = await s.open();
  const attemptsAt: number[] = [];
  outbox.registerChannel('mail', mockTransport(() => { attemptsAt.push(s.clock.t); return temporary; }).handler);
  await outbox.enqueue('mail', 'k', {});
  await stepThroughRetries(s, () => attemptsAt.length >= 11, 10);
  await s.events.until('the 11th attempt', () => attemptsAt.length === 11); // it starts by reading the payload back
  const gaps = attemptsAt.slice(1).map((t, i) => (t - attemptsAt[i]) / 1000);
  assert.equal(gaps, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  await s.events.until('the 11th outcome', () => s.events.count('retry') === 11);
  assert.equal([outbox.stats().retries, outbox.stats().queued], [11, 1]);
  // jitter: the delay lands in [75 %, 100 %] of the step
  assert.is(retryDelay({ initialMs: 30_000, maxMs: 3_600_000, jitter: 0.25 }, 1, 0.999), 22_508);
  assert.is(retryDelay({ initialMs: 30_000, maxMs: 3_600_000, jitter: 0.25 }, 20, 0.5), 3_150_000);
  await outbox.close();
});

test('at max age the message is given up with one log line, and its key stays finished', async () => {
  const s = setup(tempDir(), { maxAgeMs: 600_000, backoff: { initialMs: 60_000, maxMs: 300_000, jitter: 0 } });
  const outbox = await s.open();
  const attemptsAt: number[] = [];
  outbox.registerChannel('mail', mockTransport(() => { attemptsAt.push(s.clock.t - START); return temporary; }).handler);
  await outbox.enqueue('mail', 'old', {});
  await stepThroughRetries(s, () => s.events.count('given-up') > 0, 10);
  await s.events.until('given up', () => s.events.count('given-up') === 1);
  // 0, +1 min, +2 min, +4 min, then the last one exactly at max age (10 min)
  assert.equal(attemptsAt, [0, 60_000, 180_000, 420_000, 600_000]);
  assert.is(s.logs.length, 1);
  assert.match(s.logs[0], /^warn: outbox: gave up test message \{\} \(old\) after 5 attempt\(s\) over 600 s \(max age\): ECONNECTION/);
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  assert.equal(await outbox.enqueue('mail', 'old', {}), { status: 'duplicate', of: 'given-up' });
  assert.is(outbox.stats().failed, 1);
  await outbox.close();
});

test('a permanent failure is given up at once with one log line; other messages go on', async () => {
  const s = setup();
  const outbox = await s.open();
  outbox.registerChannel('mail', mockTransport((p) => (p === 'bad'
    ? { status: 'permanent', detail: '550 5.1.1 <bad@example.test>: no such user\r\nsecond line' }
    : sent)).handler);
  await outbox.enqueue('mail', 'bad', 'bad');
  await outbox.enqueue('mail', 'good', 'good');
  await s.events.until('both done', () => s.events.count('sent') + s.events.count('given-up') === 2);
  assert.equal(s.logs, ['warn: outbox: gave up test message "bad" (bad) after 1 attempt(s): 550 5.1.1 <bad@example.test>: no such user second line']);
  const st = outbox.stats();
  assert.equal([st.sent, st.failed, st.retries], [1, 1, 0]);
  await outbox.close();
});

test('a transport that throws counts as a temporary failure', async () => {
  const s = setup();
  const outbox = await s.open();
  outbox.registerChannel('mail', mockTransport(() => { throw new Error('socket hang up'); }).handler);
  await outbox.enqueue('mail', 'k', {});
  await s.events.until('retry', () => s.events.count('retry') === 1);
  const e = s.events.list.find((x) => x.type === 'retry');
  assert.is(e?.type === 'retry' ? e.detail : '', 'socket hang up');
  await outbox.close();
});

test('at most one message per key: while queued, while sending, after sending, after a restart', async () => {
  const s = setup();
  let outbox = await s.open();
  let release: () => void = () => {};
  const held = new Promise<void>((r) => { release = r; });
  const t = mockTransport(async () => { await held; return sent; });
  const [a, b] = await Promise.all([outbox.enqueue('mail', 'k', 1), outbox.enqueue('mail', 'k', 2)]);
  assert.is(a.status, 'queued');
  assert.equal(b, { status: 'duplicate', of: 'queued' });
  outbox.registerChannel('mail', t.handler);
  await s.events.until('sending', () => outbox.stats().sending === 1);
  assert.equal(await outbox.enqueue('mail', 'k', 3), { status: 'duplicate', of: 'sending' });
  release();
  await s.events.until('sent', () => s.events.count('sent') === 1);
  assert.equal(await outbox.enqueue('mail', 'k', 4), { status: 'duplicate', of: 'sent' });
  assert.is(outbox.stats().duplicates, 3);
  await outbox.close();
  outbox = await s.open();
  assert.equal(await outbox.enqueue('mail', 'k', 5), { status: 'duplicate', of: 'sent' });
  assert.is(t.calls.length, 1);
  await outbox.close();
});

test('after a restart, queued messages are loaded and sent; retry state starts afresh', async () => {
  const s = setup();
  let outbox = await s.open();
  outbox.registerChannel('mail', mockTransport(() => temporary).handler);
  for (const k of ['a', 'b', 'c']) await outbox.enqueue('mail', k, { k });
  await s.events.until('3 retries', () => s.events.count('retry') === 3);
  await outbox.close();
  outbox = await s.open();
  assert.is(outbox.stats().queued, 3);
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  // attempts in flight together start in any order (each reads its payload back first)
  assert.equal(t.calls.map((c) => [c.payload, c.m.attempts]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [[{ k: 'a' }, 1], [{ k: 'b' }, 1], [{ k: 'c' }, 1]]);
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  await outbox.close();
});

test('a crash after the ledger entry but before the removal: the file is removed on start, not sent', async () => {
  const s = setup();
  let outbox = await s.open();
  const r = await outbox.enqueue('mail', 'done-before-crash', {});
  await outbox.close();
  assert.is(r.status, 'queued');
  await appendFile(join(s.dir, 'ledger'), `${JSON.stringify({ t: START, s: 'sent', k: 'done-before-crash' })}\n`);
  outbox = await s.open();
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  assert.is(outbox.stats().queued, 0);
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  assert.is(t.calls.length, 0);
  await outbox.close();
});

test('corrupt files are moved aside and counted, a torn ledger line is dropped, nothing crashes', async () => {
  const s = setup();
  let outbox = await s.open();
  await outbox.enqueue('mail', 'good', { ok: 1 });
  outbox.registerChannel('other', mockTransport(() => sent).handler);
  await outbox.enqueue('other', 'finished', {});
  await s.events.until('sent', () => s.events.count('sent') === 1);
  await outbox.close();
  const q = join(s.dir, 'queue');
  await writeFile(join(q, 'truncated.json'), '{"v":1,"id":"truncated","chan');
  await writeFile(join(q, 'empty.json'), '');
  await writeFile(join(q, 'future.json'), JSON.stringify({ v: 9, id: 'future', channel: 'mail', key: 'f', createdAt: 1, payload: {} }));
  await writeFile(join(q, 'renamed.json'), JSON.stringify({ v: 1, id: 'other', channel: 'mail', key: 'r', createdAt: 1, payload: {} }));
  await writeFile(join(q, 'nokey.json'), JSON.stringify({ v: 1, id: 'nokey', channel: 'mail', createdAt: 1, payload: {} }));
  await writeFile(join(q, 'README'), 'hello');
  await writeFile(join(s.dir, 'tmp', 'half-written.json'), '{"v":1');
  await appendFile(join(s.dir, 'ledger'), '{"t":18000000');
  outbox = await s.open();
  assert.is(outbox.stats().corrupt, 6);
  assert.equal((await readdir(join(s.dir, 'corrupt'))).sort(),
    ['README', 'empty.json', 'future.json', 'nokey.json', 'renamed.json', 'truncated.json']);
  assert.equal(await readdir(join(s.dir, 'tmp')), []);
  assert.is(s.logs.filter((l) => l.includes('to corrupt/')).length, 6);
  assert.ok(s.logs.some((l) => l.includes('1 unreadable ledger line(s) dropped')));
  assert.equal(await outbox.enqueue('other', 'finished', {}), { status: 'duplicate', of: 'sent' });
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  assert.equal(t.calls.map((c) => c.payload), [{ ok: 1 }]);
  await outbox.close();
  // the ledger was rewritten whole: a later append does not glue onto a torn line
  const lines = (await readFile(join(s.dir, 'ledger'), 'utf8')).trim().split('\n');
  assert.ok(lines.every((l) => JSON.parse(l).k !== undefined));
});

test('notices queued together share a batch file (one fsync); each file goes once all of its messages are finished', async () => {
  const s = setup();
  const outbox = await s.open();
  const results = await Promise.all(Array.from({ length: 600 }, (_, i) => outbox.enqueue('mail', `k${i}`, { i })));
  assert.ok(results.every((r) => r.status === 'queued' && r.saved));
  const files = readdirSync(join(s.dir, 'queue'));
  assert.ok(files.length >= 3 && files.length <= 10, `${files.length} batch files for 600 notices`);
  const lines = files.map((f) => readFileSync(join(s.dir, 'queue', f), 'utf8').trim().split('\n').length);
  assert.is(lines.reduce((a, b) => a + b, 0), 600);
  assert.ok(Math.max(...lines) <= 256, 'at most 256 per batch');
  const t = mockTransport(() => sent, 8);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  assert.equal(t.calls.map((c) => (c.payload as { i: number }).i).sort((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  await outbox.close();
});

test('a message file of the older one-per-file format is loaded and sent; a bad line spares the rest of its batch', async () => {
  const s = setup();
  let outbox = await s.open();
  await outbox.enqueue('mail', 'b1', 'one');
  await outbox.enqueue('mail', 'b2', 'two');
  await outbox.close();
  const q = join(s.dir, 'queue');
  await writeFile(join(q, 'old-1.json'), JSON.stringify({ v: 1, id: 'old-1', channel: 'mail', key: 'legacy', createdAt: START, payload: 'legacy' }));
  const [first] = readdirSync(q).filter((f) => f.endsWith('.jsonl')).sort();
  await appendFile(join(q, first), '{"v":2,"id":"torn","chan\n');
  outbox = await s.open();
  assert.is(outbox.stats().corrupt, 1);
  assert.ok(s.logs.some((l) => l.includes(`moved ${first}:2 to corrupt/ (not JSON)`)));
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  assert.equal(t.calls.map((c) => c.payload as string).sort(), ['legacy', 'one', 'two']);
  assert.equal(readdirSync(q), []);
  await outbox.close();
});

test('finished keys stay in the ledger past its bound while their batch file is on disk: a restart sends only the unfinished', async () => {
  const s = setup(tempDir(), { ledgerMaxEntries: 2 });
  let outbox = await s.open();
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => outbox.enqueue('mail', k, k)));
  assert.is(readdirSync(join(s.dir, 'queue')).length <= 2, true);
  outbox.registerChannel('mail', mockTransport((p) => (p === 'e' ? temporary : sent)).handler);
  await s.events.until('4 sent, e waiting', () => s.events.count('sent') === 4 && s.events.count('retry') === 1);
  await outbox.close();
  outbox = await s.open();
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  assert.equal(t.calls.map((c) => c.payload), ['e'], 'only the unfinished one again');
  assert.equal(readdirSync(join(s.dir, 'queue')), []);
  await outbox.close();
});

test('a disk that refuses writes: notices are kept in memory and sent, one log line each way, saved when it works again', async () => {
  const s = setup();
  let outbox = await s.open();
  const q = join(s.dir, 'queue');
  rmSync(q, { recursive: true });
  await writeFile(q, ''); // a file where the directory was: every batch write fails (ENOTDIR)
  let release: (() => void) | null = null;
  const t = mockTransport((p) => (p === 'held' ? new Promise<Delivery>((r) => { release = () => r(sent); }) : sent));
  outbox.registerChannel('mail', t.handler);
  const results = await Promise.all(['n1', 'n2', 'held'].map((k) => outbox.enqueue('mail', k, k.startsWith('n') ? k : 'held')));
  assert.ok(results.every((r) => r.status === 'queued' && !r.saved), 'acknowledged as not saved');
  await s.events.until('two sent from memory', () => s.events.count('sent') === 2 && release !== null);
  let st = outbox.stats();
  assert.equal([st.unsaved, st.storageError, st.storageErrorSince], [1, 'ENOTDIR', START]);
  assert.equal(await outbox.enqueue('mail', 'n1', 'n1'), { status: 'duplicate', of: 'sent' });
  s.clock.advance(5000); // a retry while it still fails: no new log line
  await new Promise((r) => setTimeout(r, 50));
  assert.is(s.logs.filter((l) => l.startsWith('error: outbox')).length, 1, s.logs.join('\n'));
  assert.match(s.logs[0], /cannot write \(.*ENOTDIR.*\); notices are kept in memory and still sent/);
  rmSync(q);
  await mkdir(q);
  release!(); // 'held' is sent; nothing is left in memory only
  await s.events.until('held sent', () => s.events.count('sent') === 3);
  s.clock.advance(5000);
  await new Promise((r) => setTimeout(r, 50));
  st = outbox.stats();
  assert.equal([st.unsaved, st.storageError], [0, null]);
  assert.ok(s.logs.some((l) => /^info: outbox .*: writing works again after 10 s/.test(l)), s.logs.join('\n'));
  await outbox.close();
  outbox = await s.open();
  assert.equal(await outbox.enqueue('mail', 'held', 'x'), { status: 'duplicate', of: 'sent' });
  await outbox.close();
});

test('a message the disk refused is saved when writing works again, and sent from the disk after a restart', async () => {
  const s = setup();
  let outbox = await s.open();
  const q = join(s.dir, 'queue');
  rmSync(q, { recursive: true });
  await writeFile(q, '');
  outbox.registerChannel('mail', mockTransport(() => temporary).handler);
  assert.equal((await outbox.enqueue('mail', 'k', 'payload')).status, 'queued');
  await s.events.until('a retry', () => s.events.count('retry') === 1);
  rmSync(q);
  await mkdir(q);
  s.clock.advance(5000);
  await s.events.until('saved', () => outbox.stats().unsaved === 0);
  assert.is(readdirSync(q).length, 1);
  await outbox.close();
  outbox = await s.open();
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.settled();
  assert.equal(t.calls.map((c) => c.payload), ['payload']);
  await outbox.close();
});

test('a message whose 250 came but whose ledger line is not on disk yet still counts as sending', async () => {
  const s = setup();
  const outbox = await s.open();
  await outbox.enqueue('mail', 'k', 'p');
  let answer: ((d: Delivery) => void) | null = null;
  outbox.registerChannel('mail', mockTransport(() => new Promise<Delivery>((resolve) => { answer = resolve; })).handler);
  await s.events.until('the attempt', () => answer !== null);
  assert.equal([outbox.stats().queued, outbox.stats().sending, outbox.stats().sent], [0, 1, 0]);
  answer!(sent);
  // The outcome waits for others to share the ledger's fdatasync (up to 10 ms): still in view.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal([outbox.stats().queued, outbox.stats().sending, outbox.stats().sent], [0, 1, 0]);
  assert.equal(outbox.stats().channels.mail, { queued: 0, sending: 1 });
  // Settled means nothing is sending, even in the turn settled() resolves in.
  await outbox.settled();
  assert.equal([outbox.stats().queued, outbox.stats().sending, outbox.stats().sent], [0, 0, 1]);
  await outbox.close();
});

test('an outcome the ledger cannot record keeps its batch file until it can: a restart in between sends it again, never loses it', async () => {
  const s = setup();
  let outbox = await s.open();
  await outbox.enqueue('mail', 'k', 'p');
  rmSync(join(s.dir, 'ledger'));
  await mkdir(join(s.dir, 'ledger')); // appends fail (EISDIR)
  outbox.registerChannel('mail', mockTransport(() => sent).handler);
  await s.events.until('sent', () => s.events.count('sent') === 1);
  await outbox.settled();
  assert.equal([outbox.stats().unrecorded, outbox.stats().storageError], [1, 'EISDIR']);
  assert.is(readdirSync(join(s.dir, 'queue')).length, 1, 'the file stays');
  assert.equal(await outbox.enqueue('mail', 'k', 'p'), { status: 'duplicate', of: 'sent' });
  rmSync(join(s.dir, 'ledger'), { recursive: true });
  s.clock.advance(5000);
  await s.events.until('recorded', () => outbox.stats().unrecorded === 0 && readdirSync(join(s.dir, 'queue')).length === 0);
  assert.is(outbox.stats().storageError, null);
  assert.match(await readFile(join(s.dir, 'ledger'), 'utf8'), /"k":"k"/);
  await outbox.close();
});

test('the ledger is bounded by count and by age, in memory and across restarts', async () => {
  const s = setup(tempDir(), { ledgerMaxEntries: 3, ledgerMaxAgeMs: 86_400_000 });
  let outbox = await s.open();
  outbox.registerChannel('mail', mockTransport(() => sent).handler);
  for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) {
    await outbox.enqueue('mail', k, {});
    await outbox.settled();
  }
  assert.is(outbox.stats().ledger, 3);
  await outbox.close();
  outbox = await s.open();
  outbox.registerChannel('mail', mockTransport(() => sent).handler);
  assert.equal(await outbox.enqueue('mail', 'k5', {}), { status: 'duplicate', of: 'sent' });
  assert.equal(await outbox.enqueue('mail', 'k3', {}), { status: 'duplicate', of: 'sent' });
  assert.is((await outbox.enqueue('mail', 'k1', {})).status, 'queued'); // forgotten: over the count
  await outbox.settled();
  s.clock.advance(86_400_001);
  assert.is((await outbox.enqueue('mail', 'k5', {})).status, 'queued'); // forgotten: over the age
  await outbox.settled();
  await outbox.close();
  const lines = (await readFile(join(s.dir, 'ledger'), 'utf8')).trim().split('\n');
  assert.ok(lines.length <= 64, 'the file is compacted');
});

test('no more attempts in flight per channel than its concurrency', async () => {
  const s = setup();
  const outbox = await s.open();
  const releases: (() => void)[] = [];
  const t = mockTransport(() => new Promise<Delivery>((r) => releases.push(() => r(sent))), 2);
  outbox.registerChannel('mail', t.handler);
  for (let i = 0; i < 5; i++) await outbox.enqueue('mail', `k${i}`, i);
  await s.events.until('2 in flight', () => releases.length === 2);
  assert.equal([outbox.stats().sending, outbox.stats().queued], [2, 3]);
  while (s.events.count('sent') < 5) {
    const before = s.events.count('sent');
    releases.shift()?.();
    await s.events.until('one more sent', () => s.events.count('sent') > before);
  }
  assert.is(t.maxInFlight, 2);
  assert.equal(t.calls.map((c) => c.payload as number).sort(), [0, 1, 2, 3, 4]);
  await outbox.close();
});

test('messages for a channel without a transport wait, and go as soon as it is registered', async () => {
  const s = setup();
  const outbox = await s.open();
  await outbox.enqueue('webhook', 'w1', { url: 'x' });
  s.clock.advance(10 * 60_000);
  assert.is(outbox.stats().queued, 1);
  const t = mockTransport(() => sent);
  outbox.registerChannel('webhook', t.handler);
  await outbox.settled();
  assert.is(t.calls.length, 1);
  await outbox.close();
});

test('drain sends what is due, waits for attempts in flight up to its limit, then closes', async () => {
  const s = setup();
  let outbox = await s.open();
  let release: (() => void) | null = null;
  outbox.registerChannel('mail', mockTransport((p) => (p === 'slow'
    ? new Promise<Delivery>((r) => { release = () => r(sent); })
    : temporary)).handler);
  await outbox.enqueue('mail', 'fails', 'x');
  await outbox.enqueue('mail', 'slow', 'slow');
  await s.events.until('retry, and the slow one in flight', () => s.events.count('retry') === 1 && release !== null);
  const drained = outbox.drain(5000);
  s.clock.advance(5000);
  assert.equal(await drained, { left: 2, inFlight: 1 });
  await rejects(() => outbox.enqueue('mail', 'late', 'x'), /closed/);
  release!();
  await s.events.until('sent after drain', () => s.events.count('sent') === 1);
  outbox = await s.open();
  assert.is(outbox.stats().queued, 1); // 'fails' waits for the next start; 'slow' was recorded as sent
  outbox.registerChannel('mail', mockTransport(() => sent).handler);
  assert.equal(await outbox.drain(5000), { left: 0, inFlight: 0 });
});

/** Another process with the outbox in `dir` open; resolves once it holds it. */
async function holder(dir: string): Promise<{ pid: number; kill(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'outbox-holder.ts'), dir],
    { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const said = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(out.trim()); });
    child.once('exit', () => resolve(out.trim()));
  });
  assert.is(said, 'holding');
  return { pid: child.pid!, kill: async () => { child.kill('SIGKILL'); await exited; } };
}

test('a second process on the same outbox is refused, naming the holder; the lock dies with it', async () => {
  const dir = tempDir();
  const other = await holder(dir);
  try {
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await writeFile(join(dir, 'tmp', 'being-written.json'), '{');
    await rejects(() => setup(dir).open(), (err: Error) =>
      err.message === `outbox ${dir} is in use by process ${other.pid} (it holds the lock on ${join(dir, 'lock')}); ` +
        'stop it, or give this instance its own state_dir');
    assert.ok(existsSync(join(dir, 'tmp', 'being-written.json')), "the holder's writes in progress are left alone");
  } finally {
    await other.kill(); // kill -9: no chance to clean up
  }
  const outbox = await setup(dir).open();
  assert.is((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
  await outbox.close();
});

test('a lock file naming a dead process, or a live unrelated one (a PID reused after a reboot), does not stop a start', async () => {
  for (const pid of ['4194303', String(process.ppid), '1']) { // above pid_max's default: no such process; then live ones
    const dir = tempDir();
    await writeFile(join(dir, 'lock'), `${pid}\n`);
    const outbox = await setup(dir).open();
    await outbox.close();
    const again = await setup(dir).open(); // and again once closed: the lock went with the descriptor
    await again.close();
  }
});

test('a clock stepped back (NTP at boot) does not postpone a retry by the size of the step', async () => {
  const s = setup();
  const outbox = await s.open();
  let attempts = 0;
  outbox.registerChannel('mail', mockTransport(() => (++attempts === 1 ? temporary : sent)).handler);
  await outbox.enqueue('mail', 'k', {});
  await s.events.until('retry', () => s.events.count('retry') === 1);
  s.clock.step(-86_400_000); // one day back
  s.clock.advance(30_000);
  await s.events.until('sent', () => s.events.count('sent') === 1);
  assert.is(attempts, 2);
  await outbox.close();
});

test('an event listener that throws is logged and does not stop the sending', async () => {
  const s = setup(tempDir(), { onEvent: () => { throw new Error('listener bug'); } });
  const outbox = await s.open();
  const t = mockTransport(() => sent);
  outbox.registerChannel('mail', t.handler);
  await outbox.enqueue('mail', 'k', {});
  await outbox.settled();
  assert.is(outbox.stats().sent, 1);
  assert.ok(s.logs.some((l) => l.startsWith('error: outbox: event listener failed on sent: listener bug')));
  await outbox.close();
});

test.run();
