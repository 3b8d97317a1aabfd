// Webhooks: a signed JSON POST per event through the outbox (channel 'webhook'). The outbox
// stores the URL, the event and the body; the secret and the timeout are looked up in the
// running configuration at each attempt, so no secret lands on disk and a webhook removed from
// the configuration stops being retried.
import { nodeHttp, nodeHttps } from '../node-http';
import type { WebhookConfig } from '../config/types';
import type { OutboundMessage } from './outbound';
import type { ChannelHandler, Delivery, MessageView } from './outbox/outbox';
import type { OutageEvent } from './outbound-edges';
import { webhookDocuments } from './webhook-body';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-sign';

export const WEBHOOK_CHANNEL = 'webhook';
const EVENTS = new Set<unknown>(['down', 'recovered', 'notify', 'expired']);

/** What the outbox stores for one POST. */
export interface WebhookPayload {
  readonly url: string;
  readonly event: string;
  /** JSON text, posted byte for byte. */
  readonly body: string;
}

export interface WebhookTransportOptions {
  /** Unix seconds for X-Backsoon-Timestamp (default: the clock). */
  readonly now?: () => number;
  /** User-Agent product, "backsoon/VERSION". */
  readonly userAgent?: string;
  /** Most bytes of a response read for the log line. */
  readonly maxResponseBytes?: number;
}

/** The URL for a log line: no query string (it may carry a token). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search === '' ? '' : '?...'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** sent for 2xx; temporary for 408, 425, 429 and 5xx; permanent for the rest (a redirect included). */
export function classifyHttpStatus(status: number, detail: string): Delivery {
  if (status >= 200 && status < 300) return { status: 'sent', detail: `HTTP ${status}` };
  if (status === 408 || status === 425 || status === 429 || (status >= 500 && status < 600)) {
    return { status: 'temporary', detail: `HTTP ${status}${detail}` };
  }
  if (status >= 300 && status < 400) {
    return { status: 'permanent', detail: `HTTP ${status}${detail}: redirects are not followed; set option url to the final address` };
  }
  return { status: 'permanent', detail: `HTTP ${status}${detail}` };
}

/** One POST. Never throws: every failure becomes a Delivery. */
export function postWebhook(webhook: WebhookConfig, payload: WebhookPayload, deliveryId: string, options: WebhookTransportOptions = {}): Promise<Delivery> {
  let url: URL;
  try {
    url = new URL(webhook.url);
  } catch {
    return Promise.resolve({ status: 'permanent', detail: `webhook url '${webhook.url}' is not a URL` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve({ status: 'permanent', detail: `webhook url scheme ${url.protocol} is not http: or https:` });
  }
  const body = Buffer.from(payload.body, 'utf8');
  const timestamp = Math.floor((options.now ?? (() => Date.now() / 1000))());
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(body.length),
    'User-Agent': options.userAgent ?? 'backsoon',
    'X-Backsoon-Event': payload.event,
    'X-Backsoon-Delivery': deliveryId,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (webhook.secret !== null) headers[SIGNATURE_HEADER] = signWebhook(webhook.secret, timestamp, body);
  const maxResponse = options.maxResponseBytes ?? 512;
  const timeoutMs = webhook.timeout * 1000;
  const where = redactUrl(webhook.url);

  return new Promise<Delivery>((resolve) => {
    let settled = false;
    const done = (d: Delivery) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(d);
    };
    const request = (url.protocol === 'https:' ? nodeHttps() : nodeHttp()).request(url, { method: 'POST', headers, agent: false });
    // One deadline for the whole exchange: a socket timeout alone would let a peer that trickles
    // a byte now and then hold the attempt for ever.
    const deadline = setTimeout(() => {
      done({ status: 'temporary', detail: `no complete answer from ${where} within ${webhook.timeout} s` });
      request.destroy();
    }, timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => {
      done({ status: 'temporary', detail: `${where}: ${err.code ?? ''}${err.code ? ' ' : ''}${err.message}` });
    });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, maxResponse).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
        done(classifyHttpStatus(status, text === '' ? ` from ${where}` : ` from ${where}: ${text}`));
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // the status is known: a long or never-ending body must not cost the attempt
        if (size >= maxResponse) {
          finish();
          response.destroy();
        }
      });
      response.on('end', finish);
      response.on('error', finish);
      response.on('aborted', finish);
    });
    request.end(body);
  });
}

/**
 * The outbox channel. `lookup` finds the webhook of a stored URL in the running configuration;
 * a URL no longer configured is given up at once.
 */
export function webhookChannel(
  lookup: (url: string) => WebhookConfig | undefined, options: WebhookTransportOptions = {}, concurrency = 4,
): ChannelHandler<WebhookPayload> {
  return {
    concurrency,
    async send(payload: WebhookPayload, message: MessageView): Promise<Delivery> {
      if (typeof payload?.url !== 'string' || typeof payload.body !== 'string' || !EVENTS.has(payload.event)) {
        return { status: 'permanent', detail: 'outbox payload is not a webhook POST (url and body strings, event down|recovered|notify|expired)' };
      }
      const webhook = lookup(payload.url);
      if (webhook === undefined) {
        return { status: 'permanent', detail: `webhook ${redactUrl(payload.url)} is no longer configured` };
      }
      return postWebhook(webhook, payload, deliveryIdOf(payload, message), options);
    },
    describe: (payload) => `webhook ${typeof payload?.event === 'string' ? payload.event : '?'} to ${redactUrl(String(payload?.url))}`,
  };
}

function deliveryIdOf(payload: WebhookPayload, message: MessageView): string {
  try {
    const id = (JSON.parse(payload.body) as { id?: unknown }).id;
    if (typeof id === 'string' && /^[0-9a-f]{1,64}$/.test(id)) return id;
  } catch {
    // the body is ours; an unparsable one still goes out, with the outbox id
  }
  return message.id;
}

/** The POSTs of one outage event, to every webhook subscribed to it (for queueOutbound). */
export function webhookMessages(webhooks: readonly WebhookConfig[], event: OutageEvent, serverName: string): OutboundMessage[] {
  return webhooks.flatMap((webhook) => webhookDocuments(webhook.url, webhook.events, event, serverName).map((doc) => ({
    channel: WEBHOOK_CHANNEL,
    key: doc.key,
    what: `webhook ${doc.event} to ${redactUrl(webhook.url)}`,
    payload: (): WebhookPayload => ({ url: webhook.url, event: doc.event, body: doc.body }),
  })));
}
