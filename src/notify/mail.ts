// The mail transport: a pool of SMTP sessions (smtp-pool.ts), configured from `config mail`,
// sending messages already rendered (render-mail.ts) and saying of each failure whether a retry
// can help.
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type { MailConfig } from '../config/types';
import type { ChannelHandler, Delivery } from './outbox/outbox';
import { SmtpPool } from './smtp-pool';

export const MAIL_CHANNEL = 'mail';

/** Sessions at once: exim here takes the most mails per second from 10 to 20 (bench/lab-recovery.ts). */
const DEFAULT_CONNECTIONS = 10;
/**
 * Messages in flight for the mail channel: four per session, so each session has its next one
 * ready while finished ones wait for the ledger's shared fdatasync (outbox.ts, LEDGER_GATHER).
 * It is also the bound on duplicates after a crash (docs/OUTBOX.md).
 */
const DEFAULT_CONCURRENCY = 4 * DEFAULT_CONNECTIONS;

/** What the outbox stores for a mail: the SMTP envelope and the finished message. */
export interface MailPayload {
  readonly from: string;
  readonly to: string;
  readonly raw: string;
}

export interface MailTransportOptions {
  /** SMTP connections kept open at once (default 10). */
  readonly maxConnections?: number;
  /** Messages sent over one connection before it is renewed (default 100). */
  readonly maxMessagesPerConnection?: number;
  /** ms to open the TCP connection, to get the 220 greeting, and of silence mid-session. */
  readonly connectionTimeoutMs?: number;
  readonly greetingTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
  /** Extra TLS settings (a private CA, for instance). Certificates are verified by default. */
  readonly tls?: ConnectionOptions;
}

export interface MailTransport {
  send(mail: MailPayload): Promise<Delivery>;
  /** Mail is coming: opens a session now if none is open, so the first message finds it ready. */
  warm(): void;
  /** Closes the pooled connections; a send after close fails. */
  close(): void;
}

export function createMailTransport(config: MailConfig, options: MailTransportOptions = {}): MailTransport {
  const pool = new SmtpPool({
    connection: {
      host: config.host,
      port: config.port,
      secure: config.tls === 'tls',
      requireTLS: config.tls === 'starttls',
      ignoreTLS: config.tls === 'none',
      name: config.heloName ?? hostname(),
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      greetingTimeout: options.greetingTimeoutMs ?? 10_000,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
      dnsTimeout: options.connectionTimeoutMs ?? 10_000,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      logger: false,
    },
    auth: config.user !== null ? { user: config.user, pass: config.password ?? '' } : null,
    maxConnections: options.maxConnections ?? DEFAULT_CONNECTIONS,
    maxMessages: options.maxMessagesPerConnection ?? 100,
    idleMs: 30_000,
  });
  let closed = false;
  return {
    async send(mail) {
      if (closed) return { status: 'temporary', detail: 'mail transport closed' };
      const problem = payloadProblem(mail);
      if (problem !== null) return { status: 'permanent', detail: problem };
      try {
        const reply = await pool.send(mail.from, mail.to, mail.raw);
        if (reply.rejected.length > 0) return { status: 'permanent', detail: `recipient rejected: ${reply.response}` };
        return { status: 'sent', detail: reply.response };
      } catch (err) {
        return classifyMailError(err);
      }
    },
    warm() {
      if (!closed) pool.warm();
    },
    close() {
      closed = true;
      pool.close();
    },
  };
}

/** Failures that say the mail section of the configuration is wrong, not the message. */
const CONFIGURATION = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EOAUTH2']);

/**
 * Temporary or permanent, from nodemailer's error: an SMTP 5xx reply (but 503, a session out
 * of step) is permanent, 4xx is temporary; so is any network error (refused, timed out,
 * dropped). Configuration errors (authentication, TLS) are temporary: the messages wait,
 * within their max age, for the operator to fix the mail section.
 */
export function classifyMailError(err: unknown): Delivery {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown; responseCode?: unknown; message?: unknown; originalCode?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : '';
  const cause = typeof e.originalCode === 'string' ? ` (${e.originalCode})` : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const detail = `${code === '' ? '' : `${code}${cause}: `}${message}`.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (CONFIGURATION.has(code)) {
    return { status: 'temporary', detail: `${detail}; check the mail section of the configuration` };
  }
  if (typeof e.responseCode === 'number') {
    const permanent = e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503;
    return { status: permanent ? 'permanent' : 'temporary', detail };
  }
  // Refused by nodemailer itself before any server saw it: a bad address or message.
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || code === 'EMAXRECIPIENTS') return { status: 'permanent', detail };
  return { status: 'temporary', detail };
}

function payloadProblem(mail: unknown): string | null {
  const m = mail as Partial<MailPayload> | null;
  if (typeof m !== 'object' || m === null) return 'outbox payload is not a mail';
  if (typeof m.from !== 'string' || typeof m.to !== 'string' || typeof m.raw !== 'string') {
    return 'outbox payload is not a mail (from, to and raw must be strings)';
  }
  return null;
}

/** The outbox channel for mail. Concurrency above the pool size keeps every connection busy. */
export function mailChannel(transport: MailTransport, concurrency = DEFAULT_CONCURRENCY): ChannelHandler<MailPayload> {
  return {
    concurrency,
    send: (payload) => transport.send(payload),
    describe: (payload) => `mail to ${typeof payload?.to === 'string' ? payload.to : '?'}`,
  };
}
