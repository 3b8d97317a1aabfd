// SMTP sessions kept open and shared by the recovery mails: nodemailer's SMTP connection (TLS,
// STARTTLS, AUTH, PIPELINING of each envelope) with a small pool of our own in front of it,
// which hands it the finished message as one string. nodemailer's own pool composes every
// message anew through its MIME streams (AbortSignals, message ids, a write per chunk): 1.1 to
// 1.5 ms of CPU per mail, which on a router's CPU is the whole budget of a large recovery.
// A message gets one attempt: a dropped session fails it, and the outbox decides about retries.
import type SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface SmtpPoolOptions {
  readonly connection: ConstructorParameters<typeof SMTPConnection>[0];
  readonly auth: { readonly user: string; readonly pass: string } | null;
  /** Sessions open at once. */
  readonly maxConnections: number;
  /** Messages over one session before it is renewed. */
  readonly maxMessages: number;
  /** A session with nothing to send for this long is closed, ms. */
  readonly idleMs: number;
}

export interface SmtpReply {
  /** The server's final answer (the 250 line). */
  readonly response: string;
  /** Recipients the server refused (not sent to). */
  readonly rejected: readonly string[];
}

interface Job {
  readonly from: string;
  readonly to: string;
  readonly raw: string;
  resolve(reply: SmtpReply): void;
  reject(err: unknown): void;
}

export class SmtpPool {
  private readonly queue: Job[] = [];
  private readonly sessions = new Set<Session>();
  private closed = false;

  constructor(private readonly options: SmtpPoolOptions) {}

  /** Sends one message to one recipient; rejects with nodemailer's error (code, responseCode). */
  send(from: string, to: string, raw: string): Promise<SmtpReply> {
    if (this.closed) return Promise.reject(Object.assign(new Error('mail transport closed'), { code: 'ECONNECTION' }));
    return new Promise((resolve, reject) => {
      this.queue.push({ from, to, raw, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Opens one session ahead of the messages when none is open: connecting and the greeting take
   * a few round trips that a recovery's first mail would otherwise wait for after its disk write.
   * A session that cannot be opened is dropped quietly; the messages open their own and fail there.
   */
  warm(): void {
    if (this.closed || this.sessions.size > 0) return;
    this.newSession().open(null);
  }

  /** Ends every session; queued messages fail. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(Object.assign(new Error('mail transport closed'), { code: 'ECONNECTION' }));
    for (const s of [...this.sessions]) s.close();
  }

  /**
   * Gives waiting messages to idle sessions, and opens sessions (each for one message) up to the
   * limit; a session opened ahead (warm) takes the first waiting message when it is ready.
   */
  private dispatch(): void {
    let opening = 0;
    for (const s of this.sessions) {
      if (this.queue.length === 0) return;
      if (s.idle) s.send(this.queue.shift()!);
      else if (s.openingAhead) opening++;
    }
    while (this.queue.length > opening && this.sessions.size < this.options.maxConnections) {
      this.newSession().send(this.queue.shift()!);
    }
  }

  private newSession(): Session {
    const session = new Session(this.options, () => { this.sessions.delete(session); this.dispatch(); }, () => this.dispatch());
    this.sessions.add(session);
    return session;
  }
}

class Session {
  private connection: SMTPConnection | null = null;
  private ready = false;
  private busy = false;
  private ended = false;
  private messages = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SmtpPoolOptions, private readonly gone: () => void, private readonly free: () => void) {}

  get idle(): boolean {
    return this.ready && !this.busy && !this.ended;
  }

  /** Connecting with no message yet (SmtpPool.warm). */
  get openingAhead(): boolean {
    return !this.ready && !this.busy && !this.ended;
  }

  send(job: Job): void {
    this.busy = true;
    if (this.idleTimer !== null) { clearTimeout(this.idleTimer); this.idleTimer = null; }
    if (!this.ready) { this.open(job); return; }
    const connection = this.connection!;
    connection.send({ from: job.from, to: [job.to] }, job.raw, (err, info) => {
      this.messages++;
      if (err) {
        job.reject(err);
        const e = err as { code?: string; responseCode?: number };
        // The server refused this message; the session itself is fine: reset it and go on.
        if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.responseCode !== 421 && !this.ended) {
          connection.reset((resetErr) => { if (resetErr) this.close(); else this.done(); });
        } else {
          this.close();
        }
        return;
      }
      job.resolve({ response: info.response ?? '', rejected: (info.rejected ?? []).map(String) });
      this.done();
    });
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    try { this.connection?.close(); } catch { /* already closed */ }
    this.gone();
  }

  /** One message done: renew the session after maxMessages, else take the next one. */
  private done(): void {
    this.busy = false;
    if (this.ended) return;
    if (this.messages >= this.options.maxMessages) {
      this.ended = true;
      this.connection?.quit();
      this.gone();
      return;
    }
    this.idleTimer = setTimeout(() => this.close(), this.options.idleMs);
    this.idleTimer.unref();
    this.free();
  }

  /** Connects (and logs in) for `job`, or ahead of any (null); a failure fails it, and the session goes. */
  open(job: Job | null): void {
    const connection = new (smtpConnectionClass())(this.options.connection);
    this.connection = connection;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      job?.reject(err);
      this.close();
    };
    connection.on('error', (err) => { if (!this.ready) fail(err); else if (!this.busy) this.close(); });
    connection.once('end', () => {
      if (!this.ready) fail(Object.assign(new Error('connection closed before the session was ready'), { code: 'ECONNECTION' }));
      else if (!this.busy) this.close();
    });
    connection.connect((err) => {
      if (err) { fail(err); return; }
      if (settled || this.ended) return;
      const auth = this.options.auth;
      const start = () => {
        settled = true;
        this.ready = true;
        this.busy = false;
        if (job !== null) this.send(job);
        else this.done(); // idle until a message comes, or closed when none does
      };
      if (auth === null) { start(); return; }
      connection.login(auth, (err) => { if (err) fail(err); else start(); });
    });
  }
}

let smtpConnection: typeof SMTPConnection | null = null;

/**
 * nodemailer's SMTP connection, required at the first session, not at start: it and the Node
 * modules it pulls in (tls, dns, streams) are 10 MB of RSS a daemon that has not mailed yet
 * does without. esbuild keeps a require inside a function lazy in the bundle.
 */
function smtpConnectionClass(): typeof SMTPConnection {
  return smtpConnection ??= require('nodemailer/lib/smtp-connection') as typeof SMTPConnection;
}
