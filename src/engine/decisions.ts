// What the engine concludes, as the rest of backsoon sees it: one type per event, each with
// exactly its fields, addresses as canonical text (dotted quad or RFC 5952). Inside the engine
// decisions are numbers (DecisionSink below); these objects are made where they leave it
// (decision-objects.ts). Each vocabulary of causes is defined here once; the engine stores a
// cause as its index in the list.

/** Why a server is marked down. */
export const DOWN_CAUSES = [
  'icmp-unreachable', // P3: the router's ICMP / ICMPv6 destination unreachable after ARP / ND failed
  'syn-timeout',      // P4: a SYN no SYN/ACK answered within syn_timeout
  'arp-silence',      // the router's ARP requests for the server went unanswered
  'nd-silence',       // the router's neighbour solicitations for the server went unanswered
  'neigh-failed',     // the kernel's neighbour entry turned FAILED
] as const;
export type DownCause = (typeof DOWN_CAUSES)[number];

/** What showed a down server is back. */
export const RECOVERY_CAUSES = [
  'arp-reply',        // P8: an ARP reply (or announcement, or request) from the server
  'nd-advert',        // P8 over IPv6: a neighbour advertisement for the server (or a solicitation from it)
  'syn-ack',          // P8: the server accepted a connection
  'reset',            // the server refused a connection with RST: the host is alive
  'neigh-reachable',  // the kernel's neighbour entry turned REACHABLE
  'trap',             // P7: an SNMP trap from the server (or its NMS)
  'probe',            // an active probe succeeded
] as const;
export type RecoveryCause = (typeof RECOVERY_CAUSES)[number];

/** Why a waiting client, or a whole outage, was dropped without a notice. */
export const EXPIRY_CAUSES = [
  'max-attempt-age',  // P10: the periodic purge
  'stale-at-recovery',// P10: the attempt was too old when the server came back
  'table-full',       // the client table was full and this registration was the least trusted
  'server-cap',       // the server reached max_links_per_server
  'evicted',          // the whole outage was pushed out of a full server table
] as const;
export type ExpiryCause = (typeof EXPIRY_CAUSES)[number];
/** Causes of dropping one waiting client (every expiry cause but the outage's own). */
export type ClientExpiryCause = Exclude<ExpiryCause, 'evicted'>;

/** Down causes that say the host itself is gone: any sign of life from it ends the outage. */
export const HOST_LEVEL_DOWN: ReadonlySet<DownCause> = new Set<DownCause>(['icmp-unreachable', 'arp-silence', 'nd-silence', 'neigh-failed']);
/** Recovery causes that speak for the service, not just the host: they end any outage. */
export const SERVICE_LEVEL_RECOVERY: ReadonlySet<RecoveryCause> = new Set<RecoveryCause>(['syn-ack', 'trap', 'probe']);

export type DecisionEvent = 'down' | 'attempt' | 'recovered' | 'notify' | 'expired';

interface DecisionBase {
  /** Unix seconds (float). */
  readonly t: number;
  /** The server's address. */
  readonly server: string;
}

/** The server is down (or, `flap`, down again inside the hold time: the outage goes on). */
export interface DownDecision extends DecisionBase {
  readonly event: 'down';
  readonly cause: DownCause;
  /** When the outage began (the earliest failed attempt). */
  readonly since: number;
  readonly flap: boolean;
}

/** A client tried the down server and now waits for it (P5). */
export interface AttemptDecision extends DecisionBase {
  readonly event: 'attempt';
  readonly client: string;
  /** The client's MAC when seen, "aa:bb:cc:dd:ee:ff". */
  readonly mac?: string;
}

/** The server is back; the notify decisions of its waiting devices follow. */
export interface RecoveredDecision extends DecisionBase {
  readonly event: 'recovered';
  readonly cause: RecoveryCause;
  readonly since: number;
  /** A stable id of the outage, "server@since", for dedup of notices. */
  readonly outage: string;
}

/** Tell one waiting device (P9): one per device, whatever number of addresses it tried from. */
export interface NotifyDecision extends DecisionBase {
  readonly event: 'notify';
  /** The device's first address that tried (the one it is known by). */
  readonly client: string;
  /** Every address the device tried from, `client` first. */
  readonly addresses: readonly string[];
  /** The mail address when one is known (73/74), for any of its addresses or its MAC. */
  readonly contact?: string;
  readonly since: number;
  /** The device's first and last attempt during this outage. */
  readonly firstAttempt: number;
  readonly lastAttempt: number;
  readonly outage: string;
  readonly mac?: string;
}

/** A waiting client was dropped without a notice. */
export interface ClientExpiredDecision extends DecisionBase {
  readonly event: 'expired';
  readonly cause: ClientExpiryCause;
  readonly client: string;
}

/** The whole outage was dropped (cause 'evicted'): no recovery will follow for it. */
export interface OutageExpiredDecision extends DecisionBase {
  readonly event: 'expired';
  readonly cause: 'evicted';
  readonly client?: undefined;
  readonly since: number;
  /** The id its down and recovered decisions carry, "server@since". */
  readonly outage: string;
}

export type ExpiredDecision = ClientExpiredDecision | OutageExpiredDecision;

export type Decision = DownDecision | AttemptDecision | RecoveredDecision | NotifyDecision | ExpiredDecision;

export type DecisionListener = (decision: Decision) => void;

/** The id of an outage in every decision, notice, trap and webhook about it. */
export function outageId(server: string, since: number): string {
  return `${server}@${since}`;
}

/** One waiting device at recovery, as the engine hands it to its sink (reused: copy what you keep). */
export interface WaitingDevice {
  /** Address-pool ids of the addresses it tried from, the first that tried first. */
  readonly addresses: Int32Array;
  /** How many of `addresses` are set. */
  count: number;
  /** 48-bit MAC, 0 when not known. */
  mac: number;
  /** The mail address when one is known, for any of its addresses or its MAC. */
  contact: string | undefined;
  firstAttempt: number;
  lastAttempt: number;
}

/**
 * The engine's decisions as numbers: addresses are ids of its address pool (valid during the
 * call), causes are indexes into the lists above. Nothing is allocated to make the call, so a
 * sink that only counts costs nothing on the hot path.
 */
export interface DecisionSink {
  down(t: number, server: number, cause: number, since: number, flap: boolean): void;
  attempt(t: number, server: number, client: number, mac: number): void;
  recovered(t: number, server: number, cause: number, since: number): void;
  notify(t: number, server: number, since: number, device: WaitingDevice): void;
  /** One waiting client dropped (cause: an EXPIRY_CAUSES index other than 'evicted'). */
  expired(t: number, server: number, client: number, cause: number): void;
  /** The whole outage pushed out of the server table (expired, cause 'evicted'). */
  evicted(t: number, server: number, since: number): void;
  /**
   * A recovery goes on telling its devices after the call that recovered it (Engine.tellAtOnce):
   * more notify calls follow, from tellMore() or the engine's next call.
   */
  tellingStarted?(): void;
  /** That recovery told its last device. */
  tellingEnded?(): void;
}

export const DOWN = indexes(DOWN_CAUSES);
export const RECOVERY = indexes(RECOVERY_CAUSES);
export const EXPIRY = indexes(EXPIRY_CAUSES);

function indexes<T extends string>(list: readonly T[]): { readonly [K in T]: number } {
  const out = {} as { [K in T]: number };
  list.forEach((name, i) => { out[name] = i; });
  return out;
}
