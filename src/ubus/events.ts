// The events backsoon sends on ubus (docs/UBUS.md), built from the engine's decisions:
//   backsoon.down       a server was found down (or went down again while holding)
//   backsoon.recovered  a server is back; `told` and `stale` count the clients of that outage
//   backsoon.notice     one waiting device is being told
//   backsoon.expired    an outage ended without a recovery (forgotten to make room)
// Addresses are text, times Unix seconds. Mail addresses stay out: any process allowed to
// `ubus listen` would read them.
import type { Decision } from '../engine/decisions';

export type BacksoonEventId = 'backsoon.down' | 'backsoon.recovered' | 'backsoon.notice' | 'backsoon.expired';

export interface DownEvent {
  server: string;
  name?: string;
  cause: string;
  /** Down again within the hold time: the outage goes on, nobody was told. */
  flap: boolean;
  since: number;
  time: number;
}

export interface RecoveredEvent {
  server: string;
  name?: string;
  cause: string;
  since: number;
  time: number;
  /** Seconds the server was down. */
  downFor: number;
  /** Clients that are being told (one backsoon.notice each). */
  told: number;
  /** Clients whose last attempt was older than max_attempt_age: not told. */
  stale: number;
}

export interface NoticeEvent {
  server: string;
  name?: string;
  client: string;
  /** Every address the device tried from, `client` first, when more than one. */
  addresses?: string[];
  mac?: string;
  /** Whether a mail address is known for the client (the address itself is not sent). */
  contact: boolean;
  since: number;
  firstAttempt: number;
  lastAttempt: number;
  time: number;
}

export interface ExpiredEvent {
  server: string;
  name?: string;
  /** Why it ended: 'evicted' (a full server table made room). */
  cause: string;
  since: number;
  time: number;
}

export type BacksoonEvent =
  | { id: 'backsoon.down'; data: DownEvent }
  | { id: 'backsoon.recovered'; data: RecoveredEvent }
  | { id: 'backsoon.notice'; data: NoticeEvent }
  | { id: 'backsoon.expired'; data: ExpiredEvent };

export interface EventContext {
  /** The name of config server section for this address, when there is one. */
  serverName(server: string): string | undefined;
}

/**
 * Queues one event per decision that has one and sends them in order once the engine's
 * decisions of this turn are all in (a recovery's notices may be handed out over several turns:
 * engine/paced-decisions.ts), so a recovery's event carries the counts of the notices that follow it.
 */
export class DecisionEvents {
  private queue: BacksoonEvent[] = [];
  private recovering = new Map<string, RecoveredEvent>();

  /** `defer` runs the sending once the decisions of the turn are all in (default: a microtask). */
  constructor(
    private readonly ctx: EventContext,
    private readonly send: (event: BacksoonEvent) => void,
    private readonly defer: (fn: () => void) => void = queueMicrotask,
  ) {}

  push(d: Decision): void {
    const event = this.eventFor(d);
    if (event === null) return;
    if (this.queue.length === 0) this.defer(() => this.flush());
    this.queue.push(event);
  }

  private eventFor(d: Decision): BacksoonEvent | null {
    const name = this.ctx.serverName(d.server);
    const named = name !== undefined ? { name } : {};
    switch (d.event) {
      case 'down':
        return {
          id: 'backsoon.down',
          data: { server: d.server, ...named, cause: d.cause, flap: d.flap, since: d.since, time: d.t },
        };
      case 'recovered': {
        const since = d.since;
        const data: RecoveredEvent = {
          server: d.server, ...named, cause: d.cause, since, time: d.t, downFor: d.t - since, told: 0, stale: 0,
        };
        this.recovering.set(d.server, data);
        return { id: 'backsoon.recovered', data };
      }
      case 'notify': {
        const recovered = this.recovering.get(d.server);
        if (recovered !== undefined) recovered.told++;
        return {
          id: 'backsoon.notice',
          data: {
            server: d.server, ...named, client: d.client, ...(d.addresses.length > 1 ? { addresses: [...d.addresses] } : {}),
            ...(d.mac !== undefined ? { mac: d.mac } : {}),
            contact: d.contact !== undefined, since: d.since, firstAttempt: d.firstAttempt, lastAttempt: d.lastAttempt, time: d.t,
          },
        };
      }
      case 'expired': {
        if (d.client === undefined) {
          return { id: 'backsoon.expired', data: { server: d.server, ...named, cause: d.cause, since: d.since, time: d.t } };
        }
        const recovered = this.recovering.get(d.server);
        if (recovered !== undefined && d.cause === 'stale-at-recovery') recovered.stale++;
        return null;
      }
      default:
        return null;
    }
  }

  private flush(): void {
    const events = this.queue;
    this.queue = [];
    this.recovering.clear();
    for (const e of events) this.send(e);
  }
}
