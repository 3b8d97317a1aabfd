// Where a recovery's list of clients goes (list notify of config server): 'server' to the
// server's own notifier (option mailbox, table 75, P13), 'nms' to the management station
// (option nms of config mail, P14). 'direct' is the daemon's own notices and is not handled here.
import type { MailConfig, ServerConfig } from '../config/types';
import { MAIL_CHANNEL, type MailPayload } from './mail';
import type { OutboundMessage } from './outbound';
import type { ServerRecoveredEvent } from './outbound-edges';
import type { RecoveryTargets } from './targets-format';
import { renderTargetsMail, targetsMailKey, type TargetsRenderOptions } from './targets-mail';

export interface DelegationRecipient {
  readonly via: 'server' | 'nms';
  readonly to: string;
}

/** The mailboxes a server's targets mail goes to, and what keeps one from being reachable. */
export function delegationRecipients(server: ServerConfig | undefined, mail: MailConfig | null): {
  recipients: DelegationRecipient[]; problems: string[];
} {
  const recipients: DelegationRecipient[] = [];
  const problems: string[] = [];
  if (server === undefined) return { recipients, problems };
  const label = `server ${server.name}`;
  if (server.notify.includes('server')) {
    if (server.mailbox === null) problems.push(`${label}: list notify 'server' needs option mailbox`);
    else recipients.push({ via: 'server', to: server.mailbox });
  }
  if (server.notify.includes('nms')) {
    if (mail?.nms == null) problems.push(`${label}: list notify 'nms' needs option nms in config mail`);
    else if (!recipients.some((r) => r.to.toLowerCase() === mail.nms!.toLowerCase())) recipients.push({ via: 'nms', to: mail.nms });
  }
  if (recipients.length > 0 && mail === null) {
    problems.push(`${label}: no config mail section to send the list of clients with`);
    return { recipients: [], problems };
  }
  return { recipients, problems };
}

/** The targets of a recovery event; `serverName` is the configured name (the address when none). */
export function targetsFromEvent(event: ServerRecoveredEvent, serverName: string): RecoveryTargets {
  return {
    server: { name: serverName === '' ? event.server : serverName, address: event.server },
    outage: event.outage,
    outageStart: event.since,
    recoveredAt: event.t,
    clients: event.clients.map((c) => ({
      client: c.client, firstAttempt: c.firstAttempt, lastAttempt: c.lastAttempt, ...(c.mac !== undefined ? { mac: c.mac } : {}),
    })),
  };
}

/**
 * The targets mails of one recovery, one to each delegation mailbox of the server (for
 * queueOutbound), and what keeps a mailbox from being reachable. A recovery nobody waited for
 * sends nothing (the patent's S204/S304).
 */
export function delegationMessages(
  event: ServerRecoveredEvent, server: ServerConfig | undefined, mail: MailConfig | null, options: TargetsRenderOptions = {},
): { messages: OutboundMessage[]; problems: string[] } {
  const { recipients, problems } = delegationRecipients(server, mail);
  if (recipients.length === 0 || event.clients.length === 0 || mail === null) return { messages: [], problems };
  const targets = targetsFromEvent(event, server?.name ?? event.server);
  const messages = recipients.map((r): OutboundMessage => ({
    channel: MAIL_CHANNEL,
    key: targetsMailKey(r.to, targets.outage),
    what: `the list of ${targets.clients.length} client(s) of ${event.server} to ${r.to} (${r.via})`,
    payload: (): MailPayload => {
      const m = renderTargetsMail(targets, r.to, mail.from, options);
      return { from: m.envelopeFrom, to: m.to, raw: m.raw };
    },
  }));
  return { messages, problems };
}
