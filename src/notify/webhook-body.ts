// The JSON documents POSTed to webhooks (docs/WEBHOOKS.md, version 1). Built once when queued,
// so every retry posts the same bytes; `id` stays the same across retries for the receiver's
// own dedup.
import { nodeCrypto } from '../node-crypto';
import type { WebhookEvent } from '../config/types';
import type { OutageEvent, WaitingClient } from './outbound-edges';
import { formatUtc } from './targets-format';

export const WEBHOOK_FORMAT_VERSION = 1;

export interface WebhookDocument {
  readonly event: WebhookEvent;
  /** The outbox dedup key: one POST per webhook, event and outage (and client, for notify). */
  readonly key: string;
  /** JSON text of the body. */
  readonly body: string;
}

interface ServerRef { readonly address: string; readonly name: string }

function deliveryId(key: string): string {
  return nodeCrypto().createHash('sha256').update(key).digest('hex').slice(0, 32);
}

function client(c: WaitingClient, withMail: boolean): Record<string, unknown> {
  return {
    address: c.client,
    ...(c.addresses.length > 1 ? { addresses: c.addresses } : {}),
    firstAttempt: formatUtc(c.firstAttempt),
    lastAttempt: formatUtc(c.lastAttempt),
    ...(c.mac !== undefined ? { mac: c.mac } : {}),
    ...(withMail && c.contact !== undefined ? { mail: c.contact } : {}),
  };
}

/**
 * The documents for one outage event and one webhook subscribed to `events`: one for down,
 * recovered or expired, plus one per device told for notify. `url` is part of the key, so two webhooks
 * each get their own copy.
 */
export function webhookDocuments(url: string, events: readonly WebhookEvent[], e: OutageEvent, serverName: string): WebhookDocument[] {
  const server: ServerRef = { address: e.server, name: serverName === '' ? e.server : serverName };
  const docs: WebhookDocument[] = [];
  const make = (event: WebhookEvent, keyTail: string, fields: Record<string, unknown>): void => {
    const key = `webhook:${url}|${event}|${e.outage}${keyTail}`;
    const body = JSON.stringify({ version: WEBHOOK_FORMAT_VERSION, event, id: deliveryId(key), ...fields });
    docs.push({ event, key, body });
  };
  if (e.kind === 'down') {
    if (events.includes('down')) {
      make('down', '', {
        time: formatUtc(e.t), server,
        outage: { id: e.outage, start: formatUtc(e.since), cause: e.cause ?? null },
        waitingClients: e.waitingClients,
      });
    }
    return docs;
  }
  if (e.kind === 'expired') {
    if (events.includes('expired')) {
      make('expired', '', { time: formatUtc(e.t), server, outage: { id: e.outage, start: formatUtc(e.since), end: formatUtc(e.t), expiryCause: e.cause } });
    }
    return docs;
  }
  const outage = { id: e.outage, start: formatUtc(e.since), end: formatUtc(e.t), recoveryCause: e.cause ?? null };
  if (events.includes('recovered')) {
    make('recovered', '', {
      time: formatUtc(e.t), server, outage,
      waitingClients: e.clients.length,
      clients: e.clients.map((c) => client(c, false)),
    });
  }
  if (events.includes('notify')) {
    for (const c of e.clients) make('notify', `|${c.client}`, { time: formatUtc(e.t), server, outage, client: client(c, true) });
  }
  return docs;
}
