// Everything that leaves the router per outage edge, besides the daemon's own direct notices:
// the targets mail to a server's notifier or the management station (P13, P14), backsoon's
// SNMP notifications, and webhooks. The daemon feeds it every engine decision; it groups them
// into edges (outbound-edges.ts) and queues each edge's messages in the durable outbox.
import type { MailConfig, ServerConfig, SnmpOutConfig, WebhookConfig } from '../config/types';
import { formatIPv4 } from '../net/ipv4';
import type { Decision } from '../engine/decisions';
import type { Outbox } from './outbox/outbox';
import { OutageEventCollector, type OutageEvent } from './outbound-edges';
import { queueOutbound, type OutboundMessage } from './outbound';
import { delegationMessages } from './targets-queue';
import { TRAP_CHANNEL, trapChannel, trapMessages } from './trap-out';
import { WEBHOOK_CHANNEL, webhookChannel, webhookMessages } from './webhook';

/** What the dispatcher reads of the running configuration, at every edge (reloads apply at once). */
export interface DispatchConfig {
  readonly servers: readonly ServerConfig[];
  readonly mail: MailConfig | null;
  readonly webhooks: readonly WebhookConfig[];
  readonly snmpOut: SnmpOutConfig | null;
}

export type DispatchLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface DispatchOptions {
  readonly outbox: () => Outbox | null;
  readonly config: () => DispatchConfig;
  readonly log: (level: DispatchLogLevel, message: string) => void;
  /** User-Agent of webhook POSTs, "backsoon/VERSION". */
  readonly userAgent?: string;
  /** sysUpTime.0 of the traps, hundredths of a second (default: the process's uptime). */
  readonly upTime?: () => number;
  /** Runs the flush of an outage's events once its decisions are all in (default: a microtask). */
  readonly defer?: (fn: () => void) => void;
}

export interface DispatchCounters {
  /** Messages queued, by channel. */
  delegation: number;
  traps: number;
  webhooks: number;
  /** Refused by the outbox as already queued or sent (a replayed edge). */
  duplicates: number;
  /** Could not be queued or configured (each one logged). */
  problems: number;
}

export class OutageDispatcher {
  readonly counters: DispatchCounters = { delegation: 0, traps: 0, webhooks: 0, duplicates: 0, problems: 0 };
  private readonly collector: OutageEventCollector;
  /** Queueing in progress, so stop() can wait for it before the outbox closes. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: DispatchOptions) {
    this.collector = new OutageEventCollector(
      (event) => this.track(this.dispatch(event)),
      (err) => options.log('error', `outage event: ${err instanceof Error ? err.message : String(err)}`),
      options.defer,
    );
  }

  /** Registers the 'trap' and 'webhook' channels; call after the outbox is opened. */
  attach(outbox: Outbox): void {
    const config = this.options.config;
    outbox.registerChannel(TRAP_CHANNEL, trapChannel(() => config().snmpOut, this.options.upTime));
    outbox.registerChannel(WEBHOOK_CHANNEL, webhookChannel((url) => config().webhooks.find((w) => w.url === url),
      this.options.userAgent !== undefined ? { userAgent: this.options.userAgent } : {}));
  }

  /** Every decision of the engine, in order. */
  push(d: Decision): void {
    this.collector.push(d);
  }

  /** Emits the open edges now and waits until their messages are in the outbox. */
  async settle(): Promise<void> {
    this.collector.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async dispatch(event: OutageEvent): Promise<void> {
    const outbox = this.options.outbox();
    const c = this.options.config();
    if (outbox === null) return;
    const server = c.servers.find((s) => s.address.text === event.server);
    const name = server?.name ?? event.server;
    const plans: { channel: 'traps' | 'webhooks' | 'delegation'; messages: OutboundMessage[]; problems?: string[] }[] = [
      { channel: 'traps', messages: trapMessages(c.snmpOut, event, name) },
      { channel: 'webhooks', messages: webhookMessages(c.webhooks, event, name) },
      ...(event.kind === 'recovered' ? [{ channel: 'delegation' as const, ...delegationMessages(event, server, c.mail) }] : []),
    ];
    for (const { channel, messages, problems } of plans) {
      const result = await queueOutbound(outbox, messages, problems);
      this.counters[channel] += result.queued;
      this.counters.duplicates += result.duplicate;
      this.counters.problems += result.problems.length;
      for (const p of result.problems) this.options.log('warn', p);
    }
  }
}
