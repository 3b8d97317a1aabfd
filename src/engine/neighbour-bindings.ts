// Addresses seen as real hosts on the wire, with the MAC they were bound to: the router's own
// neighbour table (an entry the kernel confirmed REACHABLE: any MAC) and ARP replies / neighbour
// advertisements (that MAC). A waiting client whose address is bound here, to the MAC its
// attempt came from, is verified (outages.ts: verified links are evicted last). Fixed capacity;
// when full, the binding learnt first makes room. Addresses are ids of the engine's address
// pool, and an entry retains its id.

import type { AddressPool } from './address-pool';

const NIL = -1;
/** The kernel confirmed the address: whatever MAC an attempt came from, it is a real host. */
export const ANY_MAC = -1;

export class NeighbourBindings {
  readonly capacity: number;
  private readonly pool: AddressPool;
  private readonly address: Int32Array;
  private readonly mac: Float64Array;
  /** Entry + 1 (0: not bound) by address-pool id: ids are small and dense, so no hashing. */
  private readonly entryOf: Int32Array;
  /** A ring in learning order: `head` is the oldest entry. */
  private head = 0;
  private used = 0;

  constructor(capacity: number, pool: AddressPool) {
    this.capacity = capacity;
    this.pool = pool;
    this.address = new Int32Array(capacity);
    this.mac = new Float64Array(capacity);
    this.entryOf = new Int32Array(pool.capacity);
  }

  get size(): number {
    return this.used;
  }

  /** Binds `id` to `mac` (ANY_MAC: the kernel's word, never narrowed by a frame's later claim). */
  bind(id: number, mac: number): void {
    const found = this.entryOf[id] - 1;
    if (found !== NIL) {
      if (this.mac[found] !== ANY_MAC) this.mac[found] = mac;
      return;
    }
    if (this.used === this.capacity) {
      this.entryOf[this.address[this.head]] = 0;
      this.pool.release(this.address[this.head]);
      this.head = (this.head + 1) % this.capacity;
      this.used--;
    }
    const entry = (this.head + this.used) % this.capacity;
    this.pool.retain(id);
    this.address[entry] = id;
    this.mac[entry] = mac;
    this.entryOf[id] = entry + 1;
    this.used++;
  }

  /** Is `id` bound, to `mac` (0: the attempt's MAC is not known, e.g. a raw-IP capture)? */
  verifies(id: number, mac: number): boolean {
    const entry = id < 0 ? NIL : this.entryOf[id] - 1;
    if (entry === NIL) return false;
    const bound = this.mac[entry];
    return bound === ANY_MAC || mac === 0 || bound === mac;
  }

  /** Adds one per address-pool id held to `refs` (for invariant checks). */
  countReferences(refs: Int32Array): void {
    for (let i = 0; i < this.used; i++) refs[this.address[(this.head + i) % this.capacity]]++;
  }
}
