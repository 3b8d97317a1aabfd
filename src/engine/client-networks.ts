// The client networks: only an address inside one of them is ever registered as a waiting
// client, so forged sources from elsewhere cannot fill the outage table. None: every address.

import { prefixHolds, prefixHoldsV4, type IpPrefix } from '../net/ip';
import type { AddressPool } from './address-pool';

export class ClientNetworks {
  private readonly all: boolean;
  private readonly v4: readonly IpPrefix[];
  private readonly v6: readonly IpPrefix[];
  /** Scratch for an IPv6 address read out of the pool. */
  private readonly scratch = new Uint8Array(16);

  constructor(networks: readonly IpPrefix[]) {
    this.all = networks.length === 0;
    this.v4 = networks.filter((n) => n.family === 4);
    this.v6 = networks.filter((n) => n.family === 6);
  }

  holdsV4(v4: number): boolean {
    if (this.all) return true;
    for (const net of this.v4) if (prefixHoldsV4(net, v4)) return true;
    return false;
  }

  /** The IPv6 address at `off` of `bytes` (not IPv4-mapped). */
  holdsV6(bytes: Uint8Array, off: number): boolean {
    if (this.all) return true;
    for (const net of this.v6) if (prefixHolds(net, bytes, off)) return true;
    return false;
  }

  /** An address by its pool id. */
  holdsId(pool: AddressPool, id: number): boolean {
    if (this.all) return true;
    if (pool.isV4(id)) return this.holdsV4(pool.v4(id));
    pool.copyBytes(id, this.scratch, 0);
    return this.holdsV6(this.scratch, 0);
  }
}
