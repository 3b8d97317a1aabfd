// The durable outbox every notice goes through: recovery mails, delegation mails, webhooks and
// SNMP notifications. A message is on disk before the first attempt (written in batches, one
// fsync for many), leaves the disk only once it is finished, and at most one message per dedup
// key is ever accepted. When the disk refuses a message (full), it is kept in memory, sent all
// the same, and saved once writing works again. See docs/OUTBOX.md for the crash guarantees:
// at-least-once, with duplicates bounded by the channel's concurrency.
import { nodeCrypto } from '../../node-crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { lockDirectory, type DirLock } from '../../disk/dir-lock';
import { defaultBackoff, retryDelay, type BackoffPolicy } from './backoff';
import { DueQueue } from './due-queue';
import { GroupCommit } from '../../disk/group-commit';
import { Ledger, type Outcome } from './ledger';
import { systemNow, systemScheduler, type Cancel, type Now, type Scheduler } from './scheduler';
import { StorageHealth } from './storage-health';
import { messageLine, OutboxStore, type Location, type MessageMeta } from './store';
import type {
  ChannelHandler, Delivery, DrainResult, EnqueueResult, LogLevel, MessageView, OutboxEvent, OutboxOptions, OutboxStats,
} from './types';

/**
 * Outcomes share the ledger's fdatasync: a flush waits up to 10 ms for 16 of them. Without it a
 * recovery's outcomes, finishing one by one as each SMTP session answers, were flushed two or
 * three at a time: 3,804 fdatasyncs for 10,000 notices, competing for the disk with the MTA's
 * own (docs/PERFORMANCE.md, "The ledger's appends"). 16 is under half the mail channel's 40
 * attempts in flight, so the rest keep the sessions busy while these wait.
 */
const LEDGER_GATHER = { minItems: 16, waitMs: 10 } as const;

export type {
  ChannelHandler, Delivery, DrainResult, EnqueueResult, LogLevel, MessageView, OutboxEvent, OutboxOptions, OutboxStats,
} from './types';

type State = 'writing' | 'waiting' | 'sending';

interface Pending {
  readonly meta: MessageMeta;
  /** Where the message is on disk; null until written, and while the disk refuses it. */
  at: Location | null;
  /** Held only while the message is not on disk: the line to write and the payload to send. */
  line: string | null;
  /** Also held, once on disk, by the first few messages written (`retained`) until their first attempt. */
  payload: unknown;
  retained: boolean;
  state: State;
  attempts: number;
  nextAttemptAt: number;
}

interface Channel {
  handler: ChannelHandler<unknown> | null;
  readonly due: DueQueue<Pending>;
  inFlight: number;
  /** Finished attempts whose outcome is being written to the ledger (shown as sending). */
  recording: number;
}

export const DEFAULT_MAX_AGE_MS = 3 * 86_400_000;
/** Messages per batch file: a batch is one fsync; a small one lets the first notice go at once. */
const MAX_BATCH = 256;
/**
 * Messages that keep their payload in memory after it is on disk, until their first attempt: the
 * first notices of a recovery go out without reading back what was just written (three more
 * steps of the event loop each, at a time when a large recovery makes every step slow).
 */
const RETAINED_PAYLOADS = 32;
/** How often writing is tried again while the disk refuses it, ms. */
const STORAGE_RETRY_MS = 5000;

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
  /** Messages the disk refused, still unfinished. */
  private readonly unsaved = new Set<Pending>();
  /** Finished messages whose ledger line is not on disk yet: their file stays until it is. */
  private readonly unrecorded = new Map<string, Location>();
  private readonly writer: GroupCommit<Pending>;
  private readonly storage: StorageHealth;
  private storageTimer: Cancel | null = null;
  private timer: { at: number; cancel: Cancel } | null = null;
  private retainedPayloads = 0;
  private seq = 0;
  private idTag: string | null = null;
  private counters = { sent: 0, failed: 0, retries: 0, duplicates: 0, corrupt: 0 };
  private closed = false;
  /** finish() calls under way: their files may still be going. */
  private finishing = 0;
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
    this.storage = new StorageHealth(store.dir, STORAGE_RETRY_MS, this.now, this.log);
    this.writer = new GroupCommit<Pending>(async (batch) => {
      const at = await this.store.writeBatch(batch.map((m) => m.line!), batch.map((m) => m.meta.key));
      batch.forEach((m, i) => {
        m.at = at[i];
        m.line = null;
        if (m.attempts === 0 && this.retainedPayloads < RETAINED_PAYLOADS) {
          m.retained = true;
          this.retainedPayloads++;
        } else {
          m.payload = undefined; // read back from the file when it is sent
        }
      });
    }, MAX_BATCH);
  }

  /**
   * Opens (or creates) the outbox in `options.dir` and loads what a previous run left: every
   * unfinished message is due at once; unreadable files go to DIR/corrupt and are counted.
   * Throws when another live process holds the directory.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const now = options.now ?? systemNow;
    let ledgerRef: Ledger | null = null;
    const store = new OutboxStore(options.dir, (keys) => ledgerRef?.unpin(keys));
    // The lock first: store.open() empties tmp/, which would break a live holder's writes.
    await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
    const lock = await lockDirectory(options.dir, `outbox ${options.dir}`);
    let opened: Awaited<ReturnType<typeof Ledger.open>>;
    let outbox: Outbox | null = null;
    try {
      await store.open();
      opened = await Ledger.open(join(options.dir, 'ledger'), join(store.tmpDir, 'ledger'), {
        maxEntries: options.ledgerMaxEntries ?? 20_000,
        maxAgeMs: options.ledgerMaxAgeMs ?? 7 * 86_400_000,
        now,
        gather: LEDGER_GATHER,
        onDurable: (keys) => outbox?.recorded(keys),
      });
    } catch (err) {
      await lock.release();
      throw err;
    }
    const { ledger, unreadable } = opened;
    ledgerRef = ledger;
    outbox = new Outbox(store, ledger, lock, options);
    if (unreadable > 0) outbox.log('warn', `outbox ${options.dir}: ${unreadable} unreadable ledger line(s) dropped`);
    const { messages, corrupt } = await store.load();
    for (const c of corrupt) {
      outbox.log('warn', `outbox ${options.dir}: moved ${c.name} to corrupt/ (${c.reason})`);
    }
    outbox.counters.corrupt = corrupt.length;
    const at = now();
    for (const { meta, at: where } of messages) {
      // Sent or given up just before a crash took the process, after the ledger and before
      // the file was removed: the key stays in the ledger while the file does.
      if (ledger.get(meta.key) !== undefined) {
        ledger.pin(meta.key);
        await store.release(where);
        continue;
      }
      if (outbox.pending.has(meta.key)) { // a second copy of one message: the first one counts
        await store.release(where);
        continue;
      }
      const m: Pending = { meta, at: where, line: null, payload: undefined, retained: false, state: 'waiting', attempts: 0, nextAttemptAt: at };
      outbox.pending.set(meta.key, m);
      outbox.channel(meta.channel).due.push(at, m);
    }
    // After the pins: the keys of files still on disk must survive the trim.
    const notCompacted = await ledger.compact();
    if (notCompacted !== null) outbox.log('warn', `outbox ${options.dir}: ledger not compacted (${errorText(notCompacted)}); appending to it`);
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
      if (m.meta.channel === name && m.state === 'waiting' && m.nextAttemptAt > at) {
        m.nextAttemptAt = at;
        ch.due.push(at, m);
      }
    }
    this.pump();
  }

  /**
   * Stores a message and schedules it; resolves once it is on disk, before any attempt. When
   * the disk refuses it, it is kept in memory, scheduled all the same and saved later
   * (`saved: false`). A key already queued, in flight or finished is refused as a duplicate.
   * Throws when `payload` is not JSON or larger than 1 MiB, and after close().
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
    // Time and sequence tell this process's messages apart; a tag drawn once per process tells
    // processes apart (a restart within the same millisecond starts its sequence at 0 again).
    // Random bytes per message cost ~8 % of the outbox's CPU in a large recovery.
    this.idTag ??= nodeCrypto().randomBytes(4).toString('hex');
    const meta: MessageMeta = { id: `${createdAt.toString(36)}-${(this.seq++).toString(36)}-${this.idTag}`, channel, key, createdAt };
    const line = messageLine(meta, payload);
    const m: Pending = { meta, at: null, line, payload, retained: false, state: 'writing', attempts: 0, nextAttemptAt: createdAt };
    this.pending.set(key, m);
    let saved = true;
    try {
      await this.writer.add(m);
    } catch (err) {
      saved = false;
      this.unsaved.add(m);
      this.storageFailed(err);
    }
    m.state = 'waiting';
    this.onEvent({ type: 'queued', message: view(m) });
    this.channel(channel).due.push(m.nextAttemptAt, m);
    this.pump();
    return { status: 'queued', id: meta.id, saved };
  }

  stats(): OutboxStats {
    let queued = 0;
    let sending = 0;
    let oldest: number | null = null;
    const channels: Record<string, { queued: number; sending: number }> = {};
    for (const m of this.pending.values()) {
      const c = (channels[m.meta.channel] ??= { queued: 0, sending: 0 });
      if (m.state === 'sending') {
        sending++;
        c.sending++;
      } else {
        queued++;
        c.queued++;
      }
      if (oldest === null || m.meta.createdAt < oldest) oldest = m.meta.createdAt;
    }
    // An attempt whose outcome is waiting for the ledger's fdatasync has left `pending`: it is
    // counted as sending until the line is on disk, not lost from view.
    for (const [name, ch] of this.channels) {
      if (ch.recording === 0) continue;
      sending += ch.recording;
      (channels[name] ??= { queued: 0, sending: 0 }).sending += ch.recording;
    }
    return {
      queued, sending, ...this.counters, ledger: this.ledger.size, oldestCreatedAt: oldest, channels,
      unsaved: this.unsaved.size, unrecorded: this.ledger.unrecorded,
      storageError: this.storage.error, storageErrorSince: this.storage.since,
    };
  }

  /** Resolves when nothing is queued or in flight (everything sent or given up). */
  settled(): Promise<void> {
    if (this.pending.size === 0 && this.finishing === 0) return Promise.resolve();
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
    this.storageTimer?.();
    this.storageTimer = null;
    if (this.unsaved.size > 0) {
      this.log('warn', `outbox ${this.store.dir}: ${this.unsaved.size} notice(s) the disk refused were not sent and are not on disk`);
    }
    this.store.close();
    this.ledger.close();
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
      ch = { handler: null, due: new DueQueue<Pending>(), inFlight: 0, recording: 0 };
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
        if (m.state !== 'waiting' || m.nextAttemptAt !== top.at || this.pending.get(m.meta.key) !== m) {
          ch.due.pop(); // superseded by a newer entry, or finished
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
    const deadline = m.meta.createdAt + this.maxAgeMs;
    if (at >= deadline) {
      const detail = `no transport is configured for channel '${name}'`;
      this.log('warn', `outbox: gave up ${m.meta.channel} message ${m.meta.key} at max age: ${detail}`);
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
      let payload: unknown;
      try {
        payload = m.at === null || m.retained ? m.payload : await this.store.readPayload(m.at, m.meta.id);
        this.forgetPayload(m);
        delivery = await handler.send(payload, view(m));
      } catch (err) {
        delivery = { status: 'temporary', detail: errorText(err) };
      }
      const what = describe(handler, payload, m);
      const at = this.now();
      const deadline = m.meta.createdAt + this.maxAgeMs;
      if (delivery.status === 'sent') {
        await this.finish(m, 'sent', delivery.detail ?? '');
      } else if (delivery.status === 'permanent') {
        this.log('warn', `outbox: gave up ${what} after ${m.attempts} attempt(s): ${oneLine(delivery.detail)}`);
        await this.finish(m, 'given-up', delivery.detail);
      } else if (at >= deadline) {
        this.log('warn', `outbox: gave up ${what} after ${m.attempts} attempt(s) over ` +
          `${Math.round((at - m.meta.createdAt) / 1000)} s (max age): ${oneLine(delivery.detail)}`);
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
      // duplicates a crash can cause (unless the disk refuses the ledger line; OUTBOX.md).
      ch.inFlight--;
      this.pump();
    })();
  }

  private async finish(m: Pending, outcome: Outcome, detail: string): Promise<void> {
    const at = m.at;
    this.forgetPayload(m);
    this.finishing++;
    this.pending.delete(m.meta.key);
    this.unsaved.delete(m);
    const ch = this.channel(m.meta.channel);
    ch.recording++;
    const durable = await this.ledger.record(m.meta.key, outcome, at !== null);
    ch.recording--;
    if (!durable) {
      this.storageFailed(this.ledger.lastError);
      if (at !== null) this.unrecorded.set(m.meta.key, at); // the file must stay until the line is on disk
    } else if (at !== null) {
      await this.release(at);
    }
    if (outcome === 'sent') {
      this.counters.sent++;
      this.onEvent({ type: 'sent', message: view(m) });
    } else {
      this.counters.failed++;
      this.onEvent({ type: 'given-up', message: view(m), detail });
    }
    this.finishing--;
    this.notifySettled();
  }

  /** A retained payload is used once: later attempts read it back from the file. */
  private forgetPayload(m: Pending): void {
    if (!m.retained) return;
    m.retained = false;
    m.payload = undefined;
    this.retainedPayloads--;
  }

  /** The ledger wrote lines that had failed before: their files may go now. */
  private recorded(keys: readonly string[]): void {
    for (const key of keys) {
      const at = this.unrecorded.get(key);
      if (at === undefined) continue;
      this.unrecorded.delete(key);
      void this.release(at);
    }
  }

  private async release(at: Location): Promise<void> {
    try {
      await this.store.release(at);
    } catch (err) {
      this.log('error', `outbox ${this.store.dir}: cannot remove queue/${at.file}: ${errorText(err)}`);
    }
  }

  /** The disk refused a write (`err`; null: try again without a new error). */
  private storageFailed(err: unknown): void {
    if (err !== null) this.storage.failed(err);
    if (this.storageTimer === null && !this.closed) {
      this.storageTimer = this.scheduler.after(STORAGE_RETRY_MS, () => { this.storageTimer = null; void this.retryStorage(); });
    }
  }

  /** Writes what the disk refused: the unsaved messages (one batch) and the ledger's lines. */
  private async retryStorage(): Promise<void> {
    if (this.closed) return;
    const batch = [...this.unsaved].filter((m) => m.state === 'waiting');
    for (const m of batch) m.state = 'writing'; // not sent while its copy is being written
    const results = await Promise.allSettled(batch.map((m) => this.writer.add(m)));
    let saved = 0;
    let failure: unknown = null;
    batch.forEach((m, i) => {
      const r = results[i];
      if (r.status === 'fulfilled') {
        this.unsaved.delete(m);
        saved++;
      } else {
        failure = r.reason;
      }
      m.state = 'waiting';
      if (this.pending.get(m.meta.key) === m) this.channel(m.meta.channel).due.push(m.nextAttemptAt, m);
    });
    const ledgerDone = await this.ledger.retry();
    if (failure !== null) this.storageFailed(failure);
    else if (!ledgerDone) this.storageFailed(this.ledger.lastError);
    else if (this.unsaved.size > 0) this.storageFailed(null); // the rest were being sent: next round
    else this.storage.recovered(saved);
    this.pump();
  }

  private notifySettled(): void {
    if (this.pending.size > 0 || this.finishing > 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }
}

function view(m: Pending): MessageView {
  const s = m.meta;
  return { id: s.id, channel: s.channel, key: s.key, createdAt: s.createdAt, attempts: m.attempts };
}

function describe(handler: ChannelHandler<unknown>, payload: unknown, m: Pending): string {
  try {
    if (handler.describe && payload !== undefined) return `${handler.describe(payload)} (${m.meta.key})`;
  } catch {
    // a describe() that throws must not stop the outcome being recorded
  }
  return `${m.meta.channel} message ${m.meta.key}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(text: string): string {
  // a transport's detail may quote a multi-line server reply; the log takes one line
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
