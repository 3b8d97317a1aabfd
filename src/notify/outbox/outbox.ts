// The durable outbox every notice goes through (mail now; webhooks, SNMP traps and delegation
// mails later). A message is on disk before the first attempt, leaves the disk only once it
// is finished, and at most one message per dedup key is ever accepted (see docs/OUTBOX.md for
// the crash guarantees: at-least-once, with duplicates bounded by the channel's concurrency).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { defaultBackoff, retryDelay, type BackoffPolicy } from './backoff';
import { DueQueue } from './due-queue';
import { Ledger, type Outcome } from './ledger';
import { OutboxStore, type StoredMessage } from './store';
import { lockDirectory, type DirLock } from '../../disk/dir-lock';
import { systemNow, systemScheduler, type Cancel, type Now, type Scheduler } from './scheduler';

/** What a channel's transport says about one attempt. */
export type Delivery =
  | { readonly status: 'sent'; readonly detail?: string }
  /** Worth trying again later: connection refused or timed out, SMTP 4xx. */
  | { readonly status: 'temporary'; readonly detail: string }
  /** Trying again would get the same answer: SMTP 5xx. */
  | { readonly status: 'permanent'; readonly detail: string };

export interface MessageView {
  readonly id: string;
  readonly channel: string;
  readonly key: string;
  readonly createdAt: number;
  /** Attempts so far, this one included. Counted since this process loaded the message. */
  readonly attempts: number;
}

export interface ChannelHandler<P> {
  /** Attempts of this channel in flight at once. */
  readonly concurrency: number;
  /** Should not throw; a throw counts as a temporary failure. */
  send(payload: P, message: MessageView): Promise<Delivery>;
  /** Names the message in log lines, e.g. "mail to alice@example.org". */
  describe?(payload: P): string;
}

export type OutboxEvent =
  | { readonly type: 'queued'; readonly message: MessageView }
  | { readonly type: 'sent'; readonly message: MessageView }
  | { readonly type: 'retry'; readonly message: MessageView; readonly nextAttemptAt: number; readonly detail: string }
  | { readonly type: 'given-up'; readonly message: MessageView; readonly detail: string };

export type LogLevel = 'info' | 'warn' | 'error';

export interface OutboxOptions {
  /** The outbox directory (created when missing), e.g. STATE_DIR/outbox. */
  readonly dir: string;
  readonly now?: Now;
  readonly scheduler?: Scheduler;
  /** [0, 1); drives the jitter of retry delays. */
  readonly random?: () => number;
  readonly backoff?: BackoffPolicy;
  /** Give up a message this long after it was queued, ms (default 3 days). */
  readonly maxAgeMs?: number;
  /** Finished keys remembered for dedup (default 20,000) and for how long (default 7 days). */
  readonly ledgerMaxEntries?: number;
  readonly ledgerMaxAgeMs?: number;
  readonly log?: (level: LogLevel, line: string) => void;
  readonly onEvent?: (event: OutboxEvent) => void;
}

export type EnqueueResult =
  | { readonly status: 'queued'; readonly id: string }
  /** The key is already queued, being sent, or finished: nothing was added. */
  | { readonly status: 'duplicate'; readonly of: 'queued' | 'sending' | Outcome };

export interface OutboxStats {
  /** On disk, waiting for an attempt. */
  readonly queued: number;
  /** Attempts in flight. */
  readonly sending: number;
  /** Since start: finished with success / given up / failed attempts that will be retried. */
  readonly sent: number;
  readonly failed: number;
  readonly retries: number;
  /** Since start: enqueues refused as duplicates; files moved aside on load. */
  readonly duplicates: number;
  readonly corrupt: number;
  /** Keys in the ledger. */
  readonly ledger: number;
  /** createdAt of the oldest unfinished message, ms; null when none. */
  readonly oldestCreatedAt: number | null;
  readonly channels: Readonly<Record<string, { readonly queued: number; readonly sending: number }>>;
}

export interface DrainResult {
  /** Messages still unfinished (they stay on disk for the next start). */
  readonly left: number;
  /** Attempts that had not answered when the time ran out. */
  readonly inFlight: number;
}

type State = 'writing' | 'waiting' | 'sending';

interface Pending {
  readonly stored: StoredMessage;
  state: State;
  attempts: number;
  nextAttemptAt: number;
}

interface Channel {
  handler: ChannelHandler<unknown> | null;
  readonly due: DueQueue<Pending>;
  inFlight: number;
}

export const DEFAULT_MAX_AGE_MS = 3 * 86_400_000;

export class Outbox {
  private readonly now: Now;
  private readonly scheduler: Scheduler;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly maxAgeMs: number;
  private readonly log: (level: LogLevel, line: string) => void;
  private readonly onEvent: (event: OutboxEvent) => void;
  private readonly pending = new Map<string, Pending>();
  private readonly channels = new Map<string, Channel>();
  private timer: { at: number; cancel: Cancel } | null = null;
  private seq = 0;
  private counters = { sent: 0, failed: 0, retries: 0, duplicates: 0, corrupt: 0 };
  private closed = false;
  private settledWaiters: (() => void)[] = [];
  /** Set while drain() waits: called after every step to see whether it may stop. */
  private drainCheck: (() => boolean) | null = null;

  private constructor(
    private readonly store: OutboxStore,
    private readonly ledger: Ledger,
    private readonly lock: DirLock,
    options: OutboxOptions,
  ) {
    this.now = options.now ?? systemNow;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? defaultBackoff;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.log = options.log ?? ((level, line) => process.stderr.write(`backsoon: ${level}: ${line}\n`));
    const onEvent = options.onEvent ?? (() => {});
    // A listener's bug must not become an unhandled rejection inside an attempt.
    this.onEvent = (event) => {
      try {
        onEvent(event);
      } catch (err) {
        this.log('error', `outbox: event listener failed on ${event.type}: ${errorText(err)}`);
      }
    };
  }

  /**
   * Opens (or creates) the outbox in `options.dir` and loads what a previous run left: every
   * unfinished message is due at once; unreadable files go to DIR/corrupt and are counted.
   * Throws when another live process holds the directory.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const now = options.now ?? systemNow;
    const store = new OutboxStore(options.dir);
    // The lock first: store.open() empties tmp/, which would break a live holder's writes.
    await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
    const lock = await lockDirectory(options.dir, `outbox ${options.dir}`);
    let ledger: Ledger;
    let unreadable: number;
    try {
      await store.open();
      ({ ledger, unreadable } = await Ledger.open(join(options.dir, 'ledger'), join(store.tmpDir, 'ledger'), {
        maxEntries: options.ledgerMaxEntries ?? 20_000,
        maxAgeMs: options.ledgerMaxAgeMs ?? 7 * 86_400_000,
        now,
      }));
    } catch (err) {
      await lock.release();
      throw err;
    }
    const outbox = new Outbox(store, ledger, lock, options);
    if (unreadable > 0) outbox.log('warn', `outbox ${options.dir}: ${unreadable} unreadable ledger line(s) dropped`);
    const { messages, corrupt } = await store.load();
    for (const c of corrupt) {
      outbox.log('warn', `outbox ${options.dir}: moved ${c.name} to corrupt/ (${c.reason})`);
    }
    outbox.counters.corrupt = corrupt.length;
    const at = now();
    for (const stored of messages) {
      // Sent or given up just before a crash took the process, after the ledger and before
      // the file was removed: finish the removal now.
      if (ledger.get(stored.key) !== undefined || outbox.pending.has(stored.key)) {
        await store.remove(stored.id);
        continue;
      }
      const m: Pending = { stored, state: 'waiting', attempts: 0, nextAttemptAt: at };
      outbox.pending.set(stored.key, m);
      outbox.channel(stored.channel).due.push(at, m);
    }
    return outbox;
  }

  /** Attaches the transport of a channel; its queued messages become due now. */
  registerChannel<P>(name: string, handler: ChannelHandler<P>): void {
    if (!(handler.concurrency >= 1)) throw new Error(`outbox channel '${name}': concurrency must be >= 1`);
    const ch = this.channel(name);
    // Why a cast: the channel map holds handlers of every payload type; payloads of `name`
    // are only ever those enqueued for `name`, so P is what comes back out.
    ch.handler = handler as ChannelHandler<unknown>;
    const at = this.now();
    for (const m of this.pending.values()) {
      if (m.stored.channel === name && m.state === 'waiting' && m.nextAttemptAt > at) {
        m.nextAttemptAt = at;
        ch.due.push(at, m);
      }
    }
    this.pump();
  }

  /**
   * Stores a message and schedules it; resolves once it is on disk (before any attempt).
   * A key already queued, in flight or finished is refused as a duplicate. `payload` must be
   * JSON. Throws when the message cannot be stored, or after close().
   */
  async enqueue(channel: string, key: string, payload: unknown): Promise<EnqueueResult> {
    if (this.closed) throw new Error(`outbox ${this.store.dir}: closed, cannot queue ${key}`);
    const existing = this.pending.get(key);
    if (existing !== undefined) {
      this.counters.duplicates++;
      return { status: 'duplicate', of: existing.state === 'sending' ? 'sending' : 'queued' };
    }
    const done = this.ledger.get(key);
    if (done !== undefined) {
      this.counters.duplicates++;
      return { status: 'duplicate', of: done };
    }
    const createdAt = this.now();
    const id = `${createdAt.toString(36)}-${(this.seq++).toString(36)}-${randomBytes(4).toString('hex')}`;
    const m: Pending = { stored: { id, channel, key, createdAt, payload }, state: 'writing', attempts: 0, nextAttemptAt: createdAt };
    this.pending.set(key, m);
    try {
      await this.store.write(m.stored);
    } catch (err) {
      this.pending.delete(key);
      this.notifySettled();
      throw new Error(
        `outbox ${this.store.dir}: cannot store ${channel} message ${key}: ${(err as Error).message}; ` +
        'check free space and permissions of the state directory',
      );
    }
    m.state = 'waiting';
    this.onEvent({ type: 'queued', message: view(m) });
    this.channel(channel).due.push(m.nextAttemptAt, m);
    this.pump();
    return { status: 'queued', id };
  }

  stats(): OutboxStats {
    let queued = 0;
    let sending = 0;
    let oldest: number | null = null;
    const channels: Record<string, { queued: number; sending: number }> = {};
    for (const m of this.pending.values()) {
      const c = (channels[m.stored.channel] ??= { queued: 0, sending: 0 });
      if (m.state === 'sending') {
        sending++;
        c.sending++;
      } else {
        queued++;
        c.queued++;
      }
      if (oldest === null || m.stored.createdAt < oldest) oldest = m.stored.createdAt;
    }
    return { queued, sending, ...this.counters, ledger: this.ledger.size, oldestCreatedAt: oldest, channels };
  }

  /** Resolves when nothing is queued or in flight (everything sent or given up). */
  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * For SIGTERM: sends what is due now, waits up to `timeoutMs` for attempts in flight, then
   * closes. Messages waiting for a retry stay on disk for the next start.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.pump();
    await new Promise<void>((resolve) => {
      let cancel: Cancel = () => {};
      const check = () => {
        if (this.quiet()) {
          cancel();
          resolve();
          return true;
        }
        return false;
      };
      if (check()) return;
      cancel = this.scheduler.after(timeoutMs, () => {
        this.drainCheck = null;
        resolve();
      });
      this.drainCheck = check;
    });
    this.drainCheck = null;
    await this.close();
    let inFlight = 0;
    for (const ch of this.channels.values()) inFlight += ch.inFlight;
    return { left: this.pending.size, inFlight };
  }

  /** Stops all attempts at once; what is unfinished stays on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    await this.lock.release();
  }

  /** Nothing in flight and nothing due that a handler could take now. */
  private quiet(): boolean {
    const at = this.now();
    for (const ch of this.channels.values()) {
      if (ch.inFlight > 0) return false;
      const top = ch.due.peek();
      if (ch.handler !== null && top !== undefined && top.at <= at) return false;
    }
    return true;
  }

  private channel(name: string): Channel {
    let ch = this.channels.get(name);
    if (ch === undefined) {
      ch = { handler: null, due: new DueQueue<Pending>(), inFlight: 0 };
      this.channels.set(name, ch);
    }
    return ch;
  }

  /** Starts every attempt that is due and has a free slot, then arms the timer for the next. */
  private pump(): void {
    if (this.closed) return;
    const at = this.now();
    let next = Infinity;
    for (const [name, ch] of this.channels) {
      for (;;) {
        const top = ch.due.peek();
        if (top === undefined) break;
        const m = top.item;
        if (m.state !== 'waiting' || m.nextAttemptAt !== top.at) {
          ch.due.pop(); // superseded by a newer entry
          continue;
        }
        if (top.at > at + this.backoff.maxMs) {
          // No delay is ever longer than maxMs: the clock was stepped back (NTP at boot).
          ch.due.pop();
          m.nextAttemptAt = at;
          ch.due.push(at, m);
          continue;
        }
        if (top.at > at) {
          next = Math.min(next, top.at);
          break;
        }
        if (ch.handler === null) {
          ch.due.pop();
          this.park(name, ch, m, at);
          continue;
        }
        if (ch.inFlight >= ch.handler.concurrency) break; // a finishing attempt pumps again
        ch.due.pop();
        this.attempt(ch, ch.handler, m);
      }
    }
    this.arm(next);
    if (this.drainCheck !== null) this.drainCheck();
  }

  private arm(at: number): void {
    if (this.timer !== null && this.timer.at === at) return;
    this.timer?.cancel();
    this.timer = null;
    if (at === Infinity) return;
    const cancel = this.scheduler.after(Math.max(0, at - this.now()), () => {
      this.timer = null;
      this.pump();
    });
    this.timer = { at, cancel };
  }

  /** A message whose channel has no transport yet: look again later, give up at max age. */
  private park(name: string, ch: Channel, m: Pending, at: number): void {
    const deadline = m.stored.createdAt + this.maxAgeMs;
    if (at >= deadline) {
      const detail = `no transport is configured for channel '${name}'`;
      this.log('warn', `outbox: gave up ${m.stored.channel} message ${m.stored.key} at max age: ${detail}`);
      void this.finish(m, 'given-up', detail);
      return;
    }
    m.nextAttemptAt = Math.min(at + this.backoff.maxMs, deadline);
    ch.due.push(m.nextAttemptAt, m);
  }

  private attempt(ch: Channel, handler: ChannelHandler<unknown>, m: Pending): void {
    m.state = 'sending';
    m.attempts++;
    ch.inFlight++;
    void (async () => {
      let delivery: Delivery;
      try {
        delivery = await handler.send(m.stored.payload, view(m));
      } catch (err) {
        delivery = { status: 'temporary', detail: errorText(err) };
      }
      const what = describe(handler, m);
      const at = this.now();
      const deadline = m.stored.createdAt + this.maxAgeMs;
      if (delivery.status === 'sent') {
        await this.finish(m, 'sent', delivery.detail ?? '');
      } else if (delivery.status === 'permanent') {
        this.log('warn', `outbox: gave up ${what} after ${m.attempts} attempt(s): ${oneLine(delivery.detail)}`);
        await this.finish(m, 'given-up', delivery.detail);
      } else if (at >= deadline) {
        this.log('warn', `outbox: gave up ${what} after ${m.attempts} attempt(s) over ` +
          `${Math.round((at - m.stored.createdAt) / 1000)} s (max age): ${oneLine(delivery.detail)}`);
        await this.finish(m, 'given-up', delivery.detail);
      } else {
        this.counters.retries++;
        m.state = 'waiting';
        m.nextAttemptAt = Math.min(at + retryDelay(this.backoff, m.attempts, this.random()), deadline);
        ch.due.push(m.nextAttemptAt, m);
        this.onEvent({ type: 'retry', message: view(m), nextAttemptAt: m.nextAttemptAt, detail: delivery.detail });
      }
      // The slot is held until the outcome is in the ledger: at most `concurrency` messages
      // per channel can be between "accepted by the peer" and "recorded", which bounds the
      // duplicates a crash can cause.
      ch.inFlight--;
      this.pump();
    })();
  }

  private async finish(m: Pending, outcome: Outcome, detail: string): Promise<void> {
    try {
      await this.ledger.record(m.stored.key, outcome);
    } catch (err) {
      this.log('error', `outbox ${this.store.dir}: cannot record ${m.stored.key} in the ledger: ${errorText(err)}`);
    }
    try {
      await this.store.remove(m.stored.id);
    } catch (err) {
      this.log('error', `outbox ${this.store.dir}: cannot remove ${m.stored.id}: ${errorText(err)}`);
    }
    this.pending.delete(m.stored.key);
    if (outcome === 'sent') {
      this.counters.sent++;
      this.onEvent({ type: 'sent', message: view(m) });
    } else {
      this.counters.failed++;
      this.onEvent({ type: 'given-up', message: view(m), detail });
    }
    this.notifySettled();
  }

  private notifySettled(): void {
    if (this.pending.size > 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }
}

function view(m: Pending): MessageView {
  const s = m.stored;
  return { id: s.id, channel: s.channel, key: s.key, createdAt: s.createdAt, attempts: m.attempts };
}

function describe(handler: ChannelHandler<unknown>, m: Pending): string {
  try {
    if (handler.describe) return `${handler.describe(m.stored.payload)} (${m.stored.key})`;
  } catch {
    // a describe() that throws must not stop the outcome being recorded
  }
  return `${m.stored.channel} message ${m.stored.key}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(text: string): string {
  // a transport's detail may quote a multi-line server reply; the log takes one line
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
