// P9 on the router: one recovery mail per waiting client with a known address, through the
// durable outbox. The operator's policy (option policy) may name the address, leave a client
// out, or write the texts; it runs on its own thread (policy/isolated.ts), within a time budget
// per recovery (option policy_budget), so it never holds the daemon's event loop.
import type { Config, ServerConfig } from '../config/types';
import { parseIPv4 } from '../net/ipv4';
import type { NotifyDecision } from '../engine/decisions';
import { noticeFromDecision } from './notice';
import type { Outbox } from './outbox/outbox';
import { queueRecoveryMail } from './recovery-mail';
import { renderRecoveryMail } from './render-mail';
import type { IsolatedPolicy, IsolatedPolicyStats } from '../policy/isolated';
import type { HookName, PolicyClient, PolicyOutage, RenderResult } from '../policy/types';
import { DhcpLeases } from '../daemon/dhcp-leases';
import { PolicyBudgets } from '../daemon/policy-budget';
import type { LogLevel } from '../daemon/log';

export interface DirectNoticesContext {
  config(): Config;
  serverConfig(addr: string): ServerConfig | undefined;
  outbox(): Outbox | null;
  log(level: LogLevel, message: string): void;
  /** The first mail of a recovery has been rendered and its write begun: a hint to the mail transport. */
  mailComing?(): void;
}

/** Longest a stand-in page waits for the policy's turn before it is shown without the policy's text. */
const PAGE_TEXT_WAIT_MS = 100;

export interface DirectNoticeCounters {
  queued: number;
  duplicate: number;
  noContact: number;
  notDirect: number;
  failedToQueue: number;
  policyDeclined: number;
  policyContact: number;
  /** Clients of a recovery whose policy budget was spent: the defaults applied. */
  policyBudgetSpent: number;
}

export class DirectNotices {
  readonly counters: DirectNoticeCounters = {
    queued: 0, duplicate: 0, noContact: 0, notDirect: 0, failedToQueue: 0, policyDeclined: 0, policyContact: 0, policyBudgetSpent: 0,
  };
  /** The operator's hooks, loaded only when configured. */
  private policy: IsolatedPolicy | null = null;
  private readonly budgets = new PolicyBudgets(
    () => this.ctx.config().main.policyBudget * 1000,
    (server) => this.ctx.log('warn', `policy: the budget of ${this.ctx.config().main.policyBudget} s for the notices of ` +
      `${server}'s recovery is spent; its remaining clients are told with backsoon's defaults (option policy_budget)`),
  );
  private readonly leases = new DhcpLeases('/tmp/dhcp.leases');
  /**
   * Notices handed over and not yet started. A recovery hands over all of its notices in one
   * turn of the event loop; preparing them all at once held the first mail back (398 ms at
   * 10,000 clients) and its memory grew with them (+224 MiB for 10,000). They are started in
   * order, a slice of at most SLICE_MS per turn and at most MAX_STARTED unfinished at once, so
   * the first mails' disk writes and SMTP sessions, which advance a step per turn, are not held
   * up by the preparation of the last ones.
   */
  private readonly backlog = new FifoQueue<NotifyDecision>();
  /** Started and not yet finished (in the outbox, declined or failed). */
  private started = 0;
  /** A turn is scheduled; the current slice of preparation ends at `sliceEndsAt` (performance.now()). */
  private turnScheduled = false;
  private sliceEndsAt = 0;
  private settled: (() => void)[] = [];
  /** The transport was told that mail is coming, since nothing was last being prepared. */
  private mailAnnounced = false;

  constructor(private readonly ctx: DirectNoticesContext) {}

  /** The policy's counters for status and metrics, when a policy is loaded. */
  policyStats(): IsolatedPolicyStats | undefined {
    return this.policy?.stats();
  }

  /** P9: a recovery mail for one waiting device, through the outbox; the policy may steer it. */
  notify(d: NotifyDecision): void {
    this.backlog.push(d);
    this.startSome();
  }

  /**
   * Notices handed over whose mail is not yet durable in the outbox: the engine has forgotten
   * their outage, so until they are, the state file on disk must keep it (daemon.ts holds the
   * state file meanwhile, and a crash then finds the outage still down and tells them later).
   */
  get preparing(): number {
    return this.started + this.backlog.length;
  }

  /** Resolves once nothing is being prepared, or after `timeoutMs`; true when nothing is. */
  settle(timeoutMs: number): Promise<boolean> {
    if (this.preparing === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.preparing === 0), timeoutMs);
      this.settled.push(() => { clearTimeout(timer); resolve(true); });
    });
  }

  /** Starts waiting notices while this turn's slice lasts and fewer than MAX_STARTED are unfinished. */
  private startSome(): void {
    if (!this.turnScheduled) {
      // A new slice: it starts one notice whatever that takes, then as many as fit.
      this.turnScheduled = true;
      this.sliceEndsAt = performance.now() + SLICE_MS;
      setImmediate(this.nextTurn);
      if (this.backlog.length > 0 && this.started < MAX_STARTED) this.start(this.backlog.shift()!);
    }
    while (this.backlog.length > 0 && this.started < MAX_STARTED && performance.now() < this.sliceEndsAt) {
      this.start(this.backlog.shift()!);
    }
  }

  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    if (this.backlog.length > 0 && this.started < MAX_STARTED) this.startSome();
  };

  private start(d: NotifyDecision): void {
    this.started++;
    this.notifyClient(d).catch((err: unknown) => {
      this.counters.failedToQueue++;
      this.ctx.log('error', `cannot prepare the notice to ${d.client} for ${d.server}: ${(err as Error).message}`);
    }).finally(() => {
      this.started--;
      if (this.preparing === 0) {
        this.mailAnnounced = false;
        for (const done of this.settled.splice(0)) done();
      } else if (this.backlog.length > 0) {
        this.startSome();
      }
    });
  }

  /**
   * Prepares and queues one notice. Without a policy it runs through to the outbox's write at
   * once (no await before it), so the time a slice measures is the time the notices took.
   */
  private async notifyClient(d: NotifyDecision): Promise<void> {
    const conf = this.ctx.serverConfig(d.server);
    const channels = conf?.notify ?? ['direct'];
    if (!channels.includes('direct')) { this.counters.notDirect++; return; }
    const name = conf?.name ?? d.server;
    let contact = d.contact;
    const policy = this.policy;
    const hostname = policy !== null ? this.leases.hostnameOfAny(d.addresses) : undefined;
    const client: PolicyClient = {
      address: d.client,
      ...(d.addresses.length > 1 ? { addresses: [...d.addresses] } : {}),
      ...(d.mac !== undefined ? { mac: d.mac } : {}),
      ...(contact !== undefined ? { contact } : {}),
      ...(hostname !== undefined ? { hostname } : {}),
    };
    const outage: PolicyOutage = { server: d.server, name, since: d.since, until: d.t, now: Date.now() / 1000 };
    // Each hook may wait only for what is left of this recovery's budget; none left: the default.
    let spent = false;
    const ask = async <T>(hook: HookName, args: readonly unknown[], fallback: T): Promise<T> => {
      if (policy === null || !policy.has(hook)) return fallback;
      const waitMs = this.budgets.left(d.server, d.t);
      const outcome = waitMs === 0 ? null : await policy.call(hook, args, { waitMs });
      if (outcome === null || (outcome.failure?.kind === 'unavailable' && this.budgets.left(d.server, d.t) === 0)) {
        if (!spent) { spent = true; this.counters.policyBudgetSpent++; }
        return fallback;
      }
      return outcome.value as T;
    };
    if (contact === undefined && policy?.has('contactFor') === true) {
      const found = await ask<string | null>('contactFor', [client], null);
      if (found !== null) { contact = found; this.counters.policyContact++; }
    }
    if (policy?.has('shouldNotify') === true && !(await ask('shouldNotify', [outage, { ...client, ...(contact !== undefined ? { contact } : {}) }], true))) {
      this.counters.policyDeclined++;
      return;
    }
    const outbox = this.ctx.outbox();
    const mail = this.ctx.config().mail;
    const notice = noticeFromDecision({ ...d, ...(contact !== undefined ? { contact } : {}) }, name, d.t);
    if (notice === null) {
      this.counters.noContact++;
      this.ctx.log('info', `client ${d.client} waited for ${d.server} but has no known mail address; not told`);
      return;
    }
    if (outbox === null || mail === null) {
      this.counters.failedToQueue++;
      this.ctx.log('warn', `no 'config mail' section: cannot tell ${notice.to} that ${d.server} is back`);
      return;
    }
    const options = { from: mail.from, date: Date.now() / 1000 };
    let texts: { subject?: string; text?: string } = {};
    if (policy !== null && policy.has('render')) {
      let defaults: { subject: string; text: string } | null = null;
      try {
        defaults = renderRecoveryMail(notice, options);
      } catch { /* the address problem is reported by the queueing below */ }
      if (defaults !== null) {
        const r = await ask<RenderResult>('render', [{ kind: 'recovery', outage, client, to: notice.to, defaults: { subject: defaults.subject, body: defaults.text } }], {});
        texts = { ...(r.subject !== undefined ? { subject: r.subject } : {}), ...(r.body !== undefined ? { text: r.body } : {}) };
      }
    }
    try {
      const queued = queueRecoveryMail(outbox, notice, { ...options, ...texts }); // rendered, its write begun
      if (!this.mailAnnounced) {
        // The first mail of a recovery: the transport may open its session while it is written.
        this.mailAnnounced = true;
        this.ctx.mailComing?.();
      }
      const r = await queued;
      if (r.status === 'queued') this.counters.queued++; else this.counters.duplicate++;
    } catch (err) {
      this.counters.failedToQueue++;
      this.ctx.log('error', `cannot queue the notice to ${notice.to}: ${(err as Error).message}`);
    }
  }

  /** The policy's text for the stand-in page shown to `client` for `outage`, if it writes one in time. */
  async pageText(outage: PolicyOutage, client: PolicyClient): Promise<string | null> {
    const policy = this.policy;
    if (policy === null || !policy.has('render')) return null;
    return (await policy.render({ kind: 'standin', outage, client, defaults: {} }, { waitMs: PAGE_TEXT_WAIT_MS })).pageText ?? null;
  }

  /** Ends the policy's thread (on stop). */
  close(): void {
    this.policy?.dispose();
    this.policy = null;
  }

  /** Loads (or reloads) the operator's policy; a broken file is logged and the defaults apply. */
  async loadPolicy(file: string | null): Promise<void> {
    this.policy?.dispose();
    this.policy = null;
    if (file === null) return;
    try {
      const { IsolatedPolicy } = await import('../policy/isolated'); // no cost when no policy is set
      this.policy = await IsolatedPolicy.load(file, { log: (level, msg) => this.ctx.log(level, msg) });
      this.ctx.log('info', `policy ${file}: hooks ${this.policy.hooks.join(', ') || '(none)'}`);
    } catch (err) {
      this.ctx.log('error', `policy not used, backsoon's defaults apply: ${(err as Error).message}`);
    }
  }
}

/** Longest a turn of the event loop spends starting notices, ms: each step of the first mails' disk
 * writes and SMTP sessions waits for a turn, so the turns of a large recovery are kept short. */
const SLICE_MS = 2;
/** Notices started and unfinished at once: a batch file's worth (the outbox writes up to 256 per
 * fsync) keeps memory flat while the rest wait as decisions. */
const MAX_STARTED = 256;

/** A first-in first-out queue with O(1) shift (an array's shift copies the rest). */
class FifoQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
