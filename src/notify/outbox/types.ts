// The outbox's vocabulary: what a channel's transport answers, what the outbox tells its
// listeners and callers, and its options.
import type { BackoffPolicy } from './backoff';
import type { Outcome } from './ledger';
import type { Now, Scheduler } from './scheduler';

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
  /** `saved`: on disk; false when the disk refused it (kept in memory, sent, saved when it can be). */
  | { readonly status: 'queued'; readonly id: string; readonly saved: boolean }
  /** The key is already queued, being sent, or finished: nothing was added. */
  | { readonly status: 'duplicate'; readonly of: 'queued' | 'sending' | Outcome };

export interface OutboxStats {
  /** Waiting for an attempt. */
  readonly queued: number;
  /** Attempts in flight, counting those whose outcome is being recorded in the ledger. */
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
  /** Unfinished messages held in memory only, because the disk refused them. */
  readonly unsaved: number;
  /** Outcomes known in memory only (their ledger line could not be written). */
  readonly unrecorded: number;
  /** Why the outbox cannot write ("ENOSPC"), and since when (ms); null while writing works. */
  readonly storageError: string | null;
  readonly storageErrorSince: number | null;
}

export interface DrainResult {
  /** Messages still unfinished (they stay on disk for the next start, unless the disk refused them). */
  readonly left: number;
  /** Attempts that had not answered when the time ran out. */
  readonly inFlight: number;
}
