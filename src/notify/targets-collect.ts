// Turns the engine's per-client decisions into one event per outage edge, which is what the
// delegation mail (P13, P14), the SNMP traps and the webhooks report:
//   down:      a 'down' decision and the 'attempt's the engine registers with it, synchronously
//              (the client that showed the outage and every pending SYN, P4);
//   recovered: a 'recovered' decision and the 'notify' (and stale 'expired') decisions that the
//              engine emits right after it for the same outage (P9).
// The engine emits a whole edge within one synchronous call, so an event is complete when the
// current job ends: it is flushed from a microtask (or at once by flush()).
import type { Cause, Decision } from '../engine/decisions';

export interface WaitingClient {
  readonly client: string;
  readonly firstAttempt: number;
  readonly lastAttempt: number;
  readonly mac?: string;
  /** The router's own mail address for the client (73/74), when it knows one. */
  readonly contact?: string;
}

export interface ServerDownEvent {
  readonly kind: 'down';
  /** Unix seconds of the decision. */
  readonly t: number;
  readonly server: string;
  readonly since: number;
  readonly cause: Cause | undefined;
  /** "server@since", the id the recovery of this outage will carry. */
  readonly outage: string;
  /** Clients registered together with the down decision. */
  readonly waitingClients: number;
}

export interface ServerRecoveredEvent {
  readonly kind: 'recovered';
  readonly t: number;
  readonly server: string;
  readonly since: number;
  readonly cause: Cause | undefined;
  readonly outage: string;
  /** Every client to be told, in the engine's order. */
  readonly clients: readonly WaitingClient[];
  /** Clients dropped at recovery because their attempt was too old (P10). */
  readonly stale: number;
}

export type OutageEvent = ServerDownEvent | ServerRecoveredEvent;

interface OpenDown { kind: 'down'; d: Decision; waiting: number }
interface OpenRecovery { kind: 'recovered'; d: Decision; clients: WaitingClient[]; stale: number }

export class OutageEventCollector {
  /** By server: at most one open edge per server. */
  private readonly open = new Map<string, OpenDown | OpenRecovery>();
  private scheduled = false;

  /**
   * `sink` gets each finished event; a throw there is passed to `onError` and does not stop
   * the others. `defer` runs the flush after the current job (a microtask by default).
   */
  constructor(
    private readonly sink: (event: OutageEvent) => void,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly defer: (fn: () => void) => void = queueMicrotask,
  ) {}

  push(d: Decision): void {
    switch (d.event) {
      case 'down':
        // a flap is the same outage going on (no recovery was reported): nothing new to say
        if (d.cause === 'flap') return;
        this.start(d.server, { kind: 'down', d, waiting: 0 });
        return;
      case 'attempt': {
        const open = this.open.get(d.server);
        if (open?.kind === 'down') open.waiting++;
        return;
      }
      case 'recovered':
        this.start(d.server, { kind: 'recovered', d, clients: [], stale: 0 });
        return;
      case 'notify': {
        let open = this.open.get(d.server);
        if (open?.kind !== 'recovered' || open.d.outage !== d.outage) {
          // a notify without its recovered decision (not emitted so by the engine today):
          // report it as a recovery of its own rather than lose the client
          const since = d.since ?? d.firstAttempt ?? d.t;
          const recovered: Decision = { t: d.t, event: 'recovered', server: d.server, since, outage: d.outage ?? `${d.server}@${since}` };
          open = { kind: 'recovered', d: recovered, clients: [], stale: 0 };
          this.start(d.server, open);
        }
        if (d.client === undefined) return;
        open.clients.push({
          client: d.client,
          firstAttempt: d.firstAttempt ?? d.since ?? d.t,
          lastAttempt: d.lastAttempt ?? d.firstAttempt ?? d.t,
          ...(d.mac !== undefined ? { mac: d.mac } : {}),
          ...(d.contact !== undefined && d.contact !== '' ? { contact: d.contact } : {}),
        });
        return;
      }
      case 'expired': {
        const open = this.open.get(d.server);
        if (open?.kind === 'recovered' && d.cause === 'stale-at-recovery') open.stale++;
        return;
      }
    }
  }

  /** Emits every open event now. */
  flush(): void {
    const events = [...this.open.values()];
    this.open.clear();
    for (const e of events) this.emit(e);
  }

  private start(server: string, edge: OpenDown | OpenRecovery): void {
    const earlier = this.open.get(server);
    if (earlier !== undefined) {
      this.open.delete(server);
      this.emit(earlier);
    }
    this.open.set(server, edge);
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private emit(open: OpenDown | OpenRecovery): void {
    const d = open.d;
    const since = d.since ?? d.t;
    const outage = d.outage ?? `${d.server}@${since}`;
    const event: OutageEvent = open.kind === 'down'
      ? { kind: 'down', t: d.t, server: d.server, since, cause: d.cause, outage, waitingClients: open.waiting }
      : { kind: 'recovered', t: d.t, server: d.server, since, cause: d.cause, outage, clients: open.clients, stale: open.stale };
    try {
      this.sink(event);
    } catch (err) {
      this.onError(err);
    }
  }
}
