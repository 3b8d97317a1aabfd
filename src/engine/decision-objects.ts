// Where decisions leave the engine: the numeric sink's calls become Decision objects with
// addresses as text. Only consumers that want objects pay for them (the daemon, replay, tests);
// the hot path of a counting sink allocates nothing.

import { formatMac } from '../net/mac';
import type { AddressPool } from './address-pool';
import {
  DOWN_CAUSES, EXPIRY_CAUSES, RECOVERY_CAUSES, outageId,
  type ClientExpiryCause, type DecisionListener, type DecisionSink, type NotifyDecision, type WaitingDevice,
} from './decisions';

export class DecisionObjects implements DecisionSink {
  /** The outage whose notices are being made: a recovery of thousands names it once, not per notice. */
  private outageServer = -1;
  private outageSince = NaN;
  private outageText = { server: '', outage: '' };

  constructor(private readonly pool: AddressPool, private readonly listener: DecisionListener) {}

  down(t: number, server: number, cause: number, since: number, flap: boolean): void {
    this.listener({ t, event: 'down', server: this.pool.format(server), cause: DOWN_CAUSES[cause], since, flap });
  }

  attempt(t: number, server: number, client: number, mac: number): void {
    this.listener({
      t, event: 'attempt', server: this.pool.format(server), client: this.pool.format(client),
      ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
    });
  }

  recovered(t: number, server: number, cause: number, since: number): void {
    const address = this.pool.format(server);
    this.listener({ t, event: 'recovered', server: address, cause: RECOVERY_CAUSES[cause], since, outage: outageId(address, since) });
  }

  notify(t: number, server: number, since: number, device: WaitingDevice): void {
    const text = this.outageTextOf(server, since);
    const addresses: string[] = new Array<string>(device.count);
    for (let i = 0; i < device.count; i++) addresses[i] = this.pool.format(device.addresses[i]);
    this.listener(notifyDecision(t, text.server, since, text.outage, addresses, device.contact, device.firstAttempt, device.lastAttempt, device.mac));
  }

  /** Server and outage id as text, made once per outage: a recovery of thousands names it once. */
  outageTextOf(server: number, since: number): { readonly server: string; readonly outage: string } {
    if (server !== this.outageServer || since !== this.outageSince) {
      const address = this.pool.format(server);
      this.outageServer = server;
      this.outageSince = since;
      this.outageText = { server: address, outage: outageId(address, since) };
    }
    return this.outageText;
  }

  expired(t: number, server: number, client: number, cause: number): void {
    this.listener({
      t, event: 'expired', server: this.pool.format(server), client: this.pool.format(client),
      cause: EXPIRY_CAUSES[cause] as ClientExpiryCause,
    });
  }

  evicted(t: number, server: number, since: number): void {
    const address = this.pool.format(server);
    this.listener({ t, event: 'expired', server: address, cause: 'evicted', since, outage: outageId(address, since) });
  }
}

/** A notify decision; fields in the order they have always had (replay prints decisions as JSON). */
export function notifyDecision(
  t: number, server: string, since: number, outage: string, addresses: string[], contact: string | undefined,
  firstAttempt: number, lastAttempt: number, mac: number,
): NotifyDecision {
  return {
    t, event: 'notify', server, client: addresses[0], addresses,
    ...(contact !== undefined ? { contact } : {}),
    since, firstAttempt, lastAttempt, outage,
    ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
  };
}
