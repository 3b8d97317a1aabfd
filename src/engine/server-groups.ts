// One server, several addresses: a dual-stack host is reached at an IPv4 and an IPv6 address
// (config: server sections with the same name). Each address has its own outage, detected
// on its own; when one of them recovers, the others that are down recover with it, so a
// client that tried both (the same laptop over IPv4 and IPv6) is one device, told once.
// The addresses are interned once, when the engine is made, and held for its lifetime.

import type { IpAddress } from '../net/ip';
import { NO_ADDRESS, type AddressPool } from './address-pool';

const NONE: readonly number[] = [];

export class ServerGroups {
  /** Pool id -> the other addresses of its server (pool ids). */
  private readonly others = new Map<number, readonly number[]>();
  private readonly held: number[] = [];
  /** The most addresses one server has (1 without groups): what a recovery may gather. */
  readonly largest: number;

  /** `groups`: the addresses of each server that has more than one, at most one per family (later ones are ignored). */
  constructor(pool: AddressPool, groups: readonly (readonly IpAddress[])[]) {
    let largest = 1;
    for (const group of groups) {
      const ids: number[] = [];
      const families = new Set<number>();
      for (const address of group) {
        // One address per family: a client address then waits in one of the server's outages
        // only, which is what device grouping (devices.ts) counts on.
        if (families.has(address.family)) continue;
        families.add(address.family);
        const id = pool.acquire(address);
        if (id === NO_ADDRESS) continue;
        ids.push(id);
        this.held.push(id);
      }
      if (ids.length < 2) continue;
      largest = Math.max(largest, ids.length);
      for (const id of ids) this.others.set(id, ids.filter((other) => other !== id));
    }
    this.largest = largest;
  }

  /** Addresses needed in the pool for `groups` (the engine sizes its pool with it). */
  static addressesOf(groups: readonly (readonly IpAddress[])[]): number {
    return groups.reduce((n, g) => n + g.length, 0);
  }

  /** The other addresses of the server at pool id `server` (none for a single-address server). */
  siblingsOf(server: number): readonly number[] {
    return this.others.get(server) ?? NONE;
  }

  countReferences(refs: Int32Array): void {
    for (const id of this.held) refs[id]++;
  }
}
