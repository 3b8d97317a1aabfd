// The delegated notifier (P13 on the recovered server, P14 on a management station): looks into
// a POP3 mailbox, reads each targets mail the router sent, maps the client addresses to mail
// addresses with its own table, and queues the Fig. 8 notices into its own durable outbox.
// A targets mail is deleted from the mailbox only once every notice it asks for is in the
// outbox (or was already there: the same outage and address, from an earlier look); a mail it
// cannot read is reported and left where it is, and nothing is sent for it.
import { MAIL_CHANNEL, type MailPayload } from '../notify/mail';
import type { RecoveryNotice } from '../notify/notice';
import type { Outbox } from '../notify/outbox/outbox';
import { recoveryMailKey } from '../notify/recovery-mail';
import { renderRecoveryMail } from '../notify/render-mail';
import { parseTargetsText, type RecoveryTargets } from '../notify/targets-format';
import type { AgentContacts } from './contacts';
import { parseMessage } from './message';
import type { Pop3Listing } from './pop3-client';
import type { NameLookup } from './server-name';

/** The part of a POP3 session the agent uses (Pop3Client). */
export interface MailboxSession {
  list(): Promise<Pop3Listing[]>;
  retrieve(n: number): Promise<Buffer>;
  delete(n: number): Promise<void>;
  quit(): Promise<void>;
  destroy(): void;
}

export type AgentLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface AgentDeps {
  readonly connect: () => Promise<MailboxSession>;
  /** With the mail channel registered. */
  readonly outbox: Outbox;
  readonly contacts: AgentContacts;
  readonly serverName: NameLookup;
  /** config mail option from. */
  readonly from: string;
  readonly log: (level: AgentLogLevel, message: string) => void;
  /** Unix seconds. */
  readonly now?: () => number;
}

export interface PollReport {
  /** Messages in the mailbox at this look. */
  readonly messages: number;
  /** Targets mails read in full and deleted. */
  readonly deleted: number;
  /** Mails left in the mailbox: not a targets mail, malformed, or a notice could not be queued. */
  readonly kept: number;
  readonly notices: { readonly queued: number; readonly duplicate: number; readonly noContact: number; readonly unsendable: number };
  /** Set when the look failed as a whole (the mailbox could not be reached, the session broke). */
  readonly failure: string | null;
}

/** A mail that was kept, reported once per process (the mailbox is looked into again and again). */
const REPORTED_MAX = 10_000;

export class DelegationAgent {
  private readonly reported = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly deps: AgentDeps) {
    this.now = deps.now ?? (() => Date.now() / 1000);
  }

  /** One look into the mailbox. Never throws: a failure is in the report and the log. */
  async pollOnce(): Promise<PollReport> {
    const notices = { queued: 0, duplicate: 0, noContact: 0, unsendable: 0 };
    let messages = 0;
    let deleted = 0;
    let kept = 0;
    let session: MailboxSession | null = null;
    try {
      session = await this.deps.connect();
      const listing = await session.list();
      messages = listing.length;
      const seen = new Set<string>();
      for (const entry of listing) {
        const id = entry.uid ?? `#${entry.n}/${entry.size}`;
        seen.add(id);
        const raw = await session.retrieve(entry.n);
        const outcome = await this.handle(id, raw, notices);
        if (outcome === 'delete') {
          await session.delete(entry.n);
          deleted++;
        } else {
          kept++;
        }
      }
      // forget reports of mails that are gone, so the set stays as small as the mailbox
      for (const id of this.reported) if (!seen.has(id)) this.reported.delete(id);
      await session.quit();
      session = null;
      if (deleted > 0 || notices.queued > 0) {
        this.deps.log('info', `mailbox: ${deleted} targets mail(s) done, ${notices.queued} notice(s) queued, ` +
          `${notices.duplicate} already queued before, ${notices.noContact} client(s) without a known address`);
      }
      return { messages, deleted, kept, notices, failure: null };
    } catch (err) {
      session?.destroy(); // without QUIT: nothing marked deleted is removed, the next look redoes it
      const failure = err instanceof Error ? err.message : String(err);
      this.deps.log('error', `mailbox look failed: ${failure}`);
      return { messages, deleted: 0, kept: messages, notices, failure };
    }
  }

  private async handle(id: string, raw: Buffer, notices: { queued: number; duplicate: number; noContact: number; unsendable: number }): Promise<'delete' | 'keep'> {
    let text: string;
    let headers: ReadonlyMap<string, string>;
    try {
      const message = parseMessage(raw);
      text = message.text;
      headers = message.headers;
    } catch (err) {
      this.reportOnce(id, `mail ${id} cannot be read (${(err as Error).message}); left in the mailbox`);
      return 'keep';
    }
    const parsed = parseTargetsText(text);
    if (!parsed.ok) {
      const what = describeMail(headers);
      this.reportOnce(id, parsed.found
        ? `malformed targets mail ${id} (${what}): ${parsed.reason}; left in the mailbox, nothing sent`
        : `mail ${id} (${what}) is not a targets mail (no backsoon block); left in the mailbox`);
      return 'keep';
    }
    const targets = parsed.targets;
    const server = await this.deps.serverName(targets.server.address, targets.server.name);
    if (server.detail !== undefined) {
      this.deps.log('debug', `no host name for ${targets.server.address} by reverse DNS (${server.detail}); using '${server.name}'`);
    }
    let failed = false;
    for (const client of targets.clients) {
      const to = this.deps.contacts.lookup(client.client, client.mac);
      if (to === undefined) {
        notices.noContact++;
        this.deps.log('info', `client ${client.client} waited for ${targets.server.address} but has no address in this agent's table; not told`);
        continue;
      }
      const notice = noticeFor(targets, client, to, server.name);
      let payload: MailPayload;
      try {
        const mail = renderRecoveryMail(notice, { from: this.deps.from, date: Math.floor(this.now()), sentBy: 'agent' });
        payload = { from: mail.envelopeFrom, to: mail.to, raw: mail.raw };
      } catch (err) {
        // a wrong address will not get better by waiting: tell the admin, do not hold the mail
        notices.unsendable++;
        this.deps.log('error', (err as Error).message);
        continue;
      }
      try {
        const result = await this.deps.outbox.enqueue(MAIL_CHANNEL, recoveryMailKey(notice), payload);
        if (result.status === 'queued') notices.queued++;
        else notices.duplicate++;
      } catch (err) {
        failed = true;
        this.deps.log('error', `${(err as Error).message}; targets mail ${id} stays in the mailbox for the next look`);
      }
    }
    return failed ? 'keep' : 'delete';
  }

  private reportOnce(id: string, message: string): void {
    if (this.reported.has(id)) return;
    if (this.reported.size >= REPORTED_MAX) this.reported.clear();
    this.reported.add(id);
    this.deps.log('warn', message);
  }
}

function noticeFor(targets: RecoveryTargets, client: RecoveryTargets['clients'][number], to: string, serverName: string): RecoveryNotice {
  return {
    to,
    client: client.client,
    server: { name: serverName, address: targets.server.address },
    outageStart: targets.outageStart,
    recoveredAt: targets.recoveredAt,
    firstAttempt: client.firstAttempt,
    lastAttempt: client.lastAttempt,
    outage: targets.outage,
  };
}

function describeMail(headers: ReadonlyMap<string, string>): string {
  const clean = (s: string | undefined) => (s ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 100);
  return `from '${clean(headers.get('from'))}', subject '${clean(headers.get('subject'))}'`;
}
