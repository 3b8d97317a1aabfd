// The router's own addresses: the only sources whose ICMP / ICMPv6 destination-unreachable
// may mark a server down (P3). Any LAN client can send such an error; only the router, which
// tried to reach the server for the client, can know it is true.
//
// Fixed capacity, set from outside (the kernel's address list, `option router_address`,
// `replay --router`) and replaced whole when that changes. Addresses are ids of the engine's
// address pool, so the check on the packet path is one pool lookup and a short scan, without
// allocation. Each address may carry the MAC of the router's interface that holds it (0: not
// known). Once any router MAC is known, an error in a frame with an Ethernet source must come
// from one of them, whatever its IP source: every legitimate error on the captured LAN was
// sent or forwarded by the router, so it leaves from a router MAC. Any of them, not the MAC of
// the interface holding the source address: Linux may source an ICMP error from another
// interface's address than the one the frame leaves by (icmp_errors_use_inbound_ifaddr).

import type { IpAddress } from '../net/ip';
import { NO_ADDRESS, type AddressPool } from './address-pool';

/** A router address and the MAC of its interface (0: not known, as for a configured address). */
export interface RouterAddress {
  readonly address: IpAddress;
  readonly mac: number;
}

/** What the check says of an ICMP error's source. */
export const Reporter = {
  Router: 0,
  /** The IP source is not one of the router's addresses. */
  ForgedAddress: 1,
  /** The IP source is the router's, but the frame's Ethernet source is not a router MAC. */
  ForgedMac: 2,
} as const;
export type Reporter = (typeof Reporter)[keyof typeof Reporter];

export const MAX_ROUTER_ADDRESSES = 256;

export class RouterAddresses {
  readonly capacity: number;
  private readonly ids: Int32Array;
  private readonly macs: Float64Array;
  private count = 0;
  /** Whether any entry has a known MAC (then the frame's MAC is checked). */
  private macsKnown = false;

  constructor(private readonly pool: AddressPool, capacity = MAX_ROUTER_ADDRESSES) {
    this.capacity = capacity;
    this.ids = new Int32Array(capacity);
    this.macs = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Replaces the whole set; an address listed twice keeps the first known MAC. Returns how many
   * did not fit (beyond the capacity, or the pool was full).
   */
  set(entries: readonly RouterAddress[]): number {
    for (let i = 0; i < this.count; i++) this.pool.release(this.ids[i]);
    this.count = 0;
    this.macsKnown = false;
    let dropped = 0;
    for (const { address, mac } of entries) {
      const id = this.pool.acquire(address);
      if (id === NO_ADDRESS) { dropped++; continue; }
      const at = this.indexOf(id);
      if (at >= 0) {
        this.pool.release(id);
        if (this.macs[at] === 0) this.macs[at] = mac;
      } else if (this.count === this.capacity) {
        this.pool.release(id);
        dropped++;
        continue;
      } else {
        this.ids[this.count] = id;
        this.macs[this.count] = mac;
        this.count++;
      }
      if (mac !== 0) this.macsKnown = true;
    }
    return dropped;
  }

  /**
   * Is `id` (a pool id, NO_ADDRESS when the pool does not hold the address) a router address,
   * and `mac` (the frame's Ethernet source, 0 when the link has none) one of the router's MACs
   * where those are known?
   */
  check(id: number, mac: number): Reporter {
    if (id === NO_ADDRESS || this.indexOf(id) < 0) return Reporter.ForgedAddress;
    if (mac === 0 || !this.macsKnown) return Reporter.Router;
    for (let i = 0; i < this.count; i++) if (this.macs[i] === mac) return Reporter.Router;
    return Reporter.ForgedMac;
  }

  /** The addresses as text, for status. */
  list(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.pool.format(this.ids[i]));
    return out;
  }

  /** For the engine's invariant check: one reference per entry. */
  countReferences(refs: Int32Array): void {
    for (let i = 0; i < this.count; i++) refs[this.ids[i]]++;
  }

  private indexOf(id: number): number {
    for (let i = 0; i < this.count; i++) if (this.ids[i] === id) return i;
    return -1;
  }
}
