// A recovery notice (P9): what one waiting client is told when its server is back. Built from
// the engine's `notify` decision plus what the engine does not know (the server's name).
import type { Decision } from '../engine/decisions';

export interface RecoveryNotice {
  /** The client's mail address (table 73/74). */
  readonly to: string;
  /** The client's IPv4 address, dotted quad. */
  readonly client: string;
  readonly server: { readonly name: string; readonly address: string };
  /** Unix seconds: when the outage began (the server's down-since). */
  readonly outageStart: number;
  /** Unix seconds: when the server was seen back. */
  readonly recoveredAt: number;
  /** Unix seconds: the client's first and last attempt during the outage. */
  readonly firstAttempt: number;
  readonly lastAttempt: number;
  /** Stable id of the outage ("server@since"); with `to` it makes the dedup key. */
  readonly outage: string;
}

/**
 * The notice for a `notify` decision, or null when there is nothing to send: another event,
 * or a client without a known mail address. `serverName` is the configured host name (the
 * address itself when none is configured).
 */
export function noticeFromDecision(d: Decision, serverName: string, recoveredAt: number): RecoveryNotice | null {
  if (d.event !== 'notify' || d.client === undefined || d.contact === undefined || d.contact === '') return null;
  const outageStart = d.since ?? d.firstAttempt ?? recoveredAt;
  const firstAttempt = d.firstAttempt ?? outageStart;
  return {
    to: d.contact,
    client: d.client,
    server: { name: serverName === '' ? d.server : serverName, address: d.server },
    outageStart,
    recoveredAt,
    firstAttempt,
    lastAttempt: d.lastAttempt ?? firstAttempt,
    // The engine always sets it; the fallback is the engine's own formula.
    outage: d.outage ?? `${d.server}@${outageStart}`,
  };
}
