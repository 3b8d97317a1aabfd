// Turns the engine's per-client decisions into one event per outage edge, which is what the
// delegation mail (P13, P14), the SNMP traps and the webhooks report:
//   down:      a 'down' decision and the 'attempt's the engine registers with it, synchronously
//              (the client that showed the outage and every pending SYN, P4);
//   recovered: a 'recovered' decision and the 'notify' (and stale 'expired') decisions that the
//              engine emits right after it for the same outage (P9);
//   expired:   an outage that ended without a recovery ('expired' without a client: it was
//              pushed out of a full server table).
// The engine emits a whole edge within one synchronous call, so an event is complete when the
// current job ends: it is flushed from a microtask (or at once by flush()).
import {
  outageId, type Decision, type DownCause, type DownDecision, type OutageExpiredDecision, type RecoveredDecision, type RecoveryCause,
} from '../engine/decisions';

/** One waiting device to be told (one notify decision). */
export interface WaitingClient {
  /** The address it is known by (the first it tried from). */
  readonly client: string;
  /** Every address it tried from, `client` first. */
  readonly addresses: readonly string[];
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
  readonly cause: DownCause;
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
  /** Undefined for a recovery assembled from notify decisions alone. */
  readonly cause: RecoveryCause | undefined;
  readonly outage: string;
  /** Every device to be told, in the engine's order. */
  readonly clients: readonly WaitingClient[];
  /** Clients dropped at recovery because their attempt was too old (P10). */
  readonly stale: number;
}

/** The outage ended without a recovery: it was pushed out of a full server table. */
export interface OutageExpiredEvent {
  readonly kind: 'expired';
  readonly t: number;
  readonly server: string;
  readonly since: number;
  readonly cause: 'evicted';
  readonly outage: string;
}

export type OutageEvent = ServerDownEvent | ServerRecoveredEvent | OutageExpiredEvent;

interface OpenDown { kind: 'down'; d: DownDecision; waiting: number }
interface RecoveryEdge { t: number; server: string; since: number; cause: RecoveryCause | undefined; outage: string }
interface OpenRecovery { kind: 'recovered'; d: RecoveryEdge; clients: WaitingClient[]; stale: number }
interface OpenExpiry { kind: 'expired'; d: OutageExpiredDecision }
type OpenEdge = OpenDown | OpenRecovery | OpenExpiry;

export class OutageEventCollector {
  /** By server: at most one open edge per server. */
  private readonly open = new Map<string, OpenEdge>();
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
        if (d.flap) return;
        this.start(d.server, { kind: 'down', d, waiting: 0 });
        return;
      case 'attempt': {
        const open = this.open.get(d.server);
        if (open?.kind === 'down') open.waiting++;
        return;
      }
      case 'recovered':
        this.start(d.server, { kind: 'recovered', d: recoveryEdge(d), clients: [], stale: 0 });
        return;
      case 'notify': {
        let open = this.open.get(d.server);
        if (open?.kind !== 'recovered' || open.d.outage !== d.outage) {
          // a notify without its recovered decision (not emitted so by the engine today):
          // report it as a recovery of its own rather than lose the client
          open = { kind: 'recovered', d: { t: d.t, server: d.server, since: d.since, cause: undefined, outage: d.outage }, clients: [], stale: 0 };
          this.start(d.server, open);
        }
        open.clients.push({
          client: d.client,
          addresses: d.addresses,
          firstAttempt: d.firstAttempt,
          lastAttempt: d.lastAttempt,
          ...(d.mac !== undefined ? { mac: d.mac } : {}),
          ...(d.contact !== undefined && d.contact !== '' ? { contact: d.contact } : {}),
        });
        return;
      }
      case 'expired': {
        if (d.client === undefined) {
          this.start(d.server, { kind: 'expired', d });
          return;
        }
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

  private start(server: string, edge: OpenEdge): void {
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

  private emit(open: OpenEdge): void {
    const event = eventOf(open);
    try {
      this.sink(event);
    } catch (err) {
      this.onError(err);
    }
  }
}

function recoveryEdge(d: RecoveredDecision): RecoveryEdge {
  return { t: d.t, server: d.server, since: d.since, cause: d.cause, outage: d.outage };
}

function eventOf(open: OpenEdge): OutageEvent {
  const d = open.d;
  switch (open.kind) {
    case 'down':
      return { kind: 'down', t: d.t, server: d.server, since: open.d.since, cause: open.d.cause, outage: outageId(d.server, open.d.since), waitingClients: open.waiting };
    case 'recovered':
      return { kind: 'recovered', t: d.t, server: d.server, since: open.d.since, cause: open.d.cause, outage: open.d.outage, clients: open.clients, stale: open.stale };
    case 'expired':
      return { kind: 'expired', t: d.t, server: d.server, since: open.d.since, cause: 'evicted', outage: open.d.outage };
  }
}
