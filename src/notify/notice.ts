// A recovery notice (P9): what one waiting device is told when its server is back. Built from
// the engine's `notify` decision plus what the engine does not know (the server's name).
import type { NotifyDecision } from '../engine/decisions';

export interface RecoveryNotice {
  /** The client's mail address (table 73/74). */
  readonly to: string;
  /** The client's address (the first its device tried from): dotted quad or RFC 5952. */
  readonly client: string;
  /** Every address the device tried from, `client` first, when more than one. */
  readonly addresses?: readonly string[];
  /** The device's MAC, when known: which device the notice is about (an address can be taken over). */
  readonly mac?: string;
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
 * The notice for a `notify` decision, or null when there is nothing to send: a client without
 * a known mail address. `serverName` is the configured host name (the address itself when
 * none is configured).
 */
export function noticeFromDecision(d: NotifyDecision, serverName: string, recoveredAt: number): RecoveryNotice | null {
  if (d.contact === undefined || d.contact === '') return null;
  return {
    to: d.contact,
    client: d.client,
    ...(d.addresses.length > 1 ? { addresses: d.addresses } : {}),
    ...(d.mac !== undefined ? { mac: d.mac } : {}),
    server: { name: serverName === '' ? d.server : serverName, address: d.server },
    outageStart: d.since,
    recoveredAt,
    firstAttempt: d.firstAttempt,
    lastAttempt: d.lastAttempt,
    outage: d.outage,
  };
}
