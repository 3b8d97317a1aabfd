// One loop that puts the messages of an outage edge into the outbox, for every outbound channel
// (SNMP notifications, webhooks, the delegation mails of P13/P14): each channel says what it
// would send (a pure list, see trapMessages, webhookMessages, delegationMessages), this queues
// it and counts. Never throws: what could not be queued is a problem line for the log.
import type { Outbox } from './outbox/outbox';

/** One message a channel wants queued. */
export interface OutboundMessage {
  readonly channel: string;
  /** The outbox's dedup key: a replayed edge queues nothing twice. */
  readonly key: string;
  /** Names it in a problem line, e.g. "the down notification to 192.0.2.162:162". */
  readonly what: string;
  /** Built when queued; a throw (a mail that cannot be rendered) becomes a problem line. */
  payload(): unknown;
}

export interface OutboundResult {
  readonly queued: number;
  readonly duplicate: number;
  /** One line per message that could not be queued, and per configuration problem found. */
  readonly problems: readonly string[];
}

/** Queues `messages` in order; `problems` (found while choosing them) are passed on. */
export async function queueOutbound(outbox: Outbox, messages: readonly OutboundMessage[], problems: readonly string[] = []): Promise<OutboundResult> {
  let queued = 0;
  let duplicate = 0;
  const lines = [...problems];
  for (const m of messages) {
    try {
      const result = await outbox.enqueue(m.channel, m.key, m.payload());
      if (result.status === 'queued') queued++;
      else duplicate++;
    } catch (err) {
      lines.push(`cannot queue ${m.what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { queued, duplicate, problems: lines };
}
