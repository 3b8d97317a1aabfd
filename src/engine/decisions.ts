// What the engine concludes. Decisions are rare (per outage and per client, not per packet),
// so they are plain objects with addresses already formatted.

export type Cause =
  | 'icmp-unreachable' // P3
  | 'syn-timeout'      // P4
  | 'arp-silence'      // the router's ARP requests went unanswered
  | 'neigh-failed'     // the kernel's neighbour entry turned FAILED
  | 'arp-reply'        // P8
  | 'syn-ack'          // P8
  | 'reset'            // the host answered with RST: it is alive
  | 'neigh-reachable'  // the kernel's neighbour entry turned REACHABLE
  | 'trap'             // P7
  | 'probe'            // an active probe succeeded
  | 'max-attempt-age'  // P10 purge
  | 'stale-at-recovery'// P10: attempt too old when the server came back
  | 'table-full'       // evicted to make room
  | 'server-cap'       // evicted: the server reached its per-server cap
  | 'flap';            // went down again during the hold time

export type DecisionEvent = 'down' | 'attempt' | 'recovered' | 'notify' | 'expired';

export interface Decision {
  readonly t: number;               // Unix seconds (float)
  readonly event: DecisionEvent;
  readonly server: string;          // dotted quad
  readonly client?: string;         // dotted quad, for attempt/notify/expired of one client
  readonly cause?: Cause;
  /** notify: the client's mail address when one is known (73/74), else absent. */
  readonly contact?: string;
  /** notify/recovered: when the outage began (the server's down-since). */
  readonly since?: number;
  /** notify: the client's first and last attempt during this outage. */
  readonly firstAttempt?: number;
  readonly lastAttempt?: number;
  /** attempt/notify: the client's MAC when seen, "aa:bb:cc:dd:ee:ff". */
  readonly mac?: string;
  /** recovered: a stable id of the outage, "server@since", for dedup of notices. */
  readonly outage?: string;
}

export type DecisionSink = (decision: Decision) => void;
