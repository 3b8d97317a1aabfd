// Decisions handed out a slice at a time. The engine's recovery of an outage is one call that
// makes a notify decision per waiting device; with thousands waiting, making them all (objects,
// address text, and the listener's work for each) held the daemon's event loop for most of the
// time to the first notice (docs/PERFORMANCE.md, "The first notice at 10,000 clients"). Here a
// notify call is only copied, as numbers, and the caller hands the copies out as decisions a
// slice per turn (`handOut`), so the first notices' disk writes and SMTP sessions run while the
// later ones are made.
//
// Order is kept: once a decision is held, every later one is held too (made at once, since its
// address ids may be reused before it is handed out), so the listener sees the engine's order.
// An engine that tells a recovery in pieces (Engine.tellAtOnce) says so (tellingStarted /
// tellingEnded): whenOut waits for the last piece too, and the caller runs tellMore in its slices.
// The copies outlive the engine's address ids (the words of each address are copied), and an
// engine built on reload shares the queue through its own sink (`sinkFor`). No I/O, no clock:
// the caller says when to stop and schedules the next slice (`onHeld` says one is needed).

import type { AddressPool } from './address-pool';
import { formatWords } from './address-pool';
import { DecisionObjects, notifyDecision } from './decision-objects';
import type { Decision, DecisionListener, DecisionSink, WaitingDevice } from './decisions';

export class PacedDecisions {
  /**
   * Decisions in the engine's order: made ones, null for the next held notice, and a NoticeRun
   * before the first notice of each outage (what its notices share).
   */
  private entries: (Decision | NoticeRun | null)[] = [];
  private head = 0;
  /** NoticeRuns among the entries not yet handed out. */
  private runs = 0;
  /** The run the notices being held belong to, and the one of the notices being handed out. */
  private holding: NoticeRun | null = null;
  private handing: NoticeRun | null = null;
  /** The held notices, first in first out, as columns; `noticeHead` is the next one out. */
  private notices = new NoticeColumns(64);
  private noticeHead = 0;
  /** Waiting for everything held to be out (whenOut). */
  private waiting: (() => void)[] = [];
  /** A recovery still telling its devices (Engine.tellAtOnce): more notices will come. */
  private moreComing = false;
  private readonly scratch = new Uint8Array(16);

  constructor(private readonly listener: DecisionListener, private readonly onHeld: () => void) {}

  /** Decisions held and not yet handed to the listener. */
  get held(): number {
    return this.entries.length - this.head - this.runs;
  }

  /** A recovery has devices still to tell (the engine's tellMore goes on with it). */
  get telling(): boolean {
    return this.moreComing;
  }

  /**
   * Runs `fn` once nothing is held and no recovery is still telling: now, or right after the last
   * decision is handed out. For those that gather a burst of decisions (a recovery with its
   * notices) before they act.
   */
  whenOut(fn: () => void): void {
    if (this.held === 0 && !this.moreComing) fn();
    else this.waiting.push(fn);
  }

  /** The sink for one engine (its address pool); engines built on reload share the queue. */
  sinkFor(pool: AddressPool): DecisionSink {
    return new PacedSink(pool, this, this.listener);
  }

  /**
   * Hands held decisions to the listener in order: at least one, then while `more()` says so;
   * returns how many are still held. A listener that throws does not lose the rest: the
   * decision it threw on counts as handed out, and the error is the caller's.
   */
  handOut(more: () => boolean): number {
    if (this.head === this.entries.length) {
      if (!this.moreComing) this.runWaiting();
      return 0;
    }
    try {
      this.handSome(more);
    } finally {
      if (this.held === 0 && !this.moreComing) this.runWaiting();
    }
    return this.held;
  }

  private handSome(more: () => boolean): void {
    do {
      const entry = this.entries[this.head++];
      let d: Decision;
      if (entry === null) {
        d = this.makeNotice(this.noticeHead++);
      } else if (entry instanceof NoticeRun) {
        // A run comes right before its first notice.
        this.handing = entry;
        this.runs--;
        this.head++;
        d = this.makeNotice(this.noticeHead++);
      } else {
        d = entry;
      }
      if (this.head === this.entries.length) this.reset();
      this.listener(d);
    } while (this.head < this.entries.length && more());
  }

  /** The whenOut callbacks, every one even when one throws (the first error is the caller's). */
  private runWaiting(): void {
    let failure: unknown = null;
    for (const fn of this.waiting.splice(0)) {
      try {
        fn();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== null) throw failure;
  }

  /** @internal PacedSink's: the engine goes on telling a recovery after its call (more notices come). */
  tellingStarted(): void {
    this.moreComing = true;
    this.onHeld();
  }

  /** @internal PacedSink's: that recovery told its last device. */
  tellingEnded(): void {
    this.moreComing = false;
    // The whenOut callbacks run from the caller's next handOut, not inside the engine's call.
    if (this.waiting.length > 0) this.onHeld();
  }

  /** @internal PacedSink's: hold a decision made already. */
  hold(d: Decision): void {
    this.entries.push(d);
    if (this.held === 1) this.onHeld();
  }

  /** @internal PacedSink's: hold a notify call as numbers. */
  holdNotice(t: number, server: string, since: number, outage: string, pool: AddressPool, device: WaitingDevice): void {
    const run = this.holding;
    if (run === null || run.t !== t || run.server !== server || run.since !== since) {
      this.holding = new NoticeRun(t, server, since, outage);
      this.entries.push(this.holding);
      this.runs++;
    }
    let c = this.notices;
    const n = c.count;
    if (n === c.capacity || c.wordCount + 4 * device.count > c.words.length) c = this.notices = c.grown(device.count);
    c.firstAttempt[n] = device.firstAttempt;
    c.lastAttempt[n] = device.lastAttempt;
    c.mac[n] = device.mac;
    c.contact[n] = device.contact;
    c.addressCount[n] = device.count;
    for (let i = 0; i < device.count; i++) pool.copyWords(device.addresses[i], c.words, c.wordCount + 4 * i);
    c.wordCount += 4 * device.count;
    c.count = n + 1;
    this.entries.push(null);
    if (this.held === 1) this.onHeld();
  }

  private makeNotice(i: number): Decision {
    const c = this.notices;
    const run = this.handing!;
    const addresses: string[] = new Array<string>(c.addressCount[i]);
    for (let a = 0; a < addresses.length; a++) {
      addresses[a] = formatWords(c.words, c.nextWord, this.scratch);
      c.nextWord += 4;
    }
    const contact = c.contact[i];
    c.contact[i] = undefined;
    return notifyDecision(run.t, run.server, run.since, run.outage, addresses, contact, c.firstAttempt[i], c.lastAttempt[i], c.mac[i]);
  }

  /** Everything handed out: start the columns and the entries over (small again after a burst). */
  private reset(): void {
    this.entries = [];
    this.head = 0;
    this.noticeHead = 0;
    this.holding = null;
    if (this.notices.count > 64) this.notices = new NoticeColumns(64);
    else this.notices.clear();
  }
}

/** What the engine calls: made decisions go straight out while nothing is held; notify is held. */
class PacedSink implements DecisionSink {
  private readonly now: DecisionObjects;
  private readonly later: DecisionObjects;

  constructor(private readonly pool: AddressPool, private readonly paced: PacedDecisions, listener: DecisionListener) {
    this.now = new DecisionObjects(pool, listener);
    this.later = new DecisionObjects(pool, (d) => this.paced.hold(d));
  }

  private out(): DecisionObjects {
    return this.paced.held > 0 ? this.later : this.now;
  }

  down(t: number, server: number, cause: number, since: number, flap: boolean): void {
    this.out().down(t, server, cause, since, flap);
  }

  attempt(t: number, server: number, client: number, mac: number): void {
    this.out().attempt(t, server, client, mac);
  }

  recovered(t: number, server: number, cause: number, since: number): void {
    this.out().recovered(t, server, cause, since);
  }

  notify(t: number, server: number, since: number, device: WaitingDevice): void {
    const text = this.later.outageTextOf(server, since);
    this.paced.holdNotice(t, text.server, since, text.outage, this.pool, device);
  }

  expired(t: number, server: number, client: number, cause: number): void {
    this.out().expired(t, server, client, cause);
  }

  evicted(t: number, server: number, since: number): void {
    this.out().evicted(t, server, since);
  }

  tellingStarted(): void {
    this.paced.tellingStarted();
  }

  tellingEnded(): void {
    this.paced.tellingEnded();
  }
}

/** What the notices of one outage's recovery share. */
class NoticeRun {
  constructor(readonly t: number, readonly server: string, readonly since: number, readonly outage: string) {}
}

/** Held notices as columns, grown by doubling; their addresses' words one after the other. */
class NoticeColumns {
  count = 0;
  /** Words in use, and the first of the next notice to hand out. */
  wordCount = 0;
  nextWord = 0;
  readonly firstAttempt: Float64Array;
  readonly lastAttempt: Float64Array;
  readonly mac: Float64Array;
  readonly addressCount: Int32Array;
  readonly contact: (string | undefined)[];
  readonly words: Uint32Array;

  constructor(readonly capacity: number, wordCapacity = capacity * 4) {
    this.firstAttempt = new Float64Array(capacity);
    this.lastAttempt = new Float64Array(capacity);
    this.mac = new Float64Array(capacity);
    this.addressCount = new Int32Array(capacity);
    this.contact = new Array<string | undefined>(capacity).fill(undefined);
    this.words = new Uint32Array(wordCapacity);
  }

  /** Columns twice as big (or more, for `addresses` more addresses) with the same content. */
  grown(addresses: number): NoticeColumns {
    let wordCapacity = this.words.length * 2;
    while (wordCapacity < this.wordCount + 4 * addresses) wordCapacity *= 2;
    const next = new NoticeColumns(this.capacity * 2, wordCapacity);
    const n = this.count;
    next.firstAttempt.set(this.firstAttempt.subarray(0, n));
    next.lastAttempt.set(this.lastAttempt.subarray(0, n));
    next.mac.set(this.mac.subarray(0, n));
    next.addressCount.set(this.addressCount.subarray(0, n));
    for (let i = 0; i < n; i++) next.contact[i] = this.contact[i];
    next.words.set(this.words.subarray(0, this.wordCount));
    next.count = n;
    next.wordCount = this.wordCount;
    next.nextWord = this.nextWord;
    return next;
  }

  clear(): void {
    this.count = 0;
    this.wordCount = 0;
    this.nextWord = 0;
  }
}
