// The router's unanswered questions for a neighbour: ARP requests (IPv4) and neighbour
// solicitations (IPv6) per target address, counted until a reply. Fixed capacity; when full,
// the target asked about first makes room. Targets are ids of the engine's address pool, and an
// entry retains its id. Kept in insertion order (a doubly linked list) so the first-asked goes
// first, as a Map would, without allocating per question.

import type { AddressPool } from './address-pool';

const NIL = -1;

export class UnansweredQuestions {
  readonly capacity: number;
  private readonly pool: AddressPool;
  private readonly target: Int32Array;
  /** Questions counted (retransmissions at least ARP_RETRANSMIT_MIN apart). */
  readonly count: Int32Array;
  /** When the run of questions began, and the last one counted. */
  readonly since: Float64Array;
  readonly last: Float64Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** Entry + 1 (0: none) by address-pool id: ids are small and dense, so no hashing. */
  private readonly entryOf: Int32Array;
  private first = NIL;
  private lastEntry = NIL;
  private bump = 0;
  private freeHead = NIL;
  private used = 0;

  constructor(capacity: number, pool: AddressPool) {
    this.capacity = capacity;
    this.pool = pool;
    this.target = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.since = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.entryOf = new Int32Array(pool.capacity);
  }

  get size(): number {
    return this.used;
  }

  /** The entry of a target (address-pool id), or -1. */
  find(target: number): number {
    return target < 0 ? NIL : this.entryOf[target] - 1;
  }

  /** A first question about `target` at `t`; the first-asked target makes room when full. */
  add(target: number, t: number): number {
    if (this.used >= this.capacity) this.remove(this.first);
    let entry: number;
    if (this.freeHead !== NIL) { entry = this.freeHead; this.freeHead = this.next[entry]; }
    else entry = this.bump++;
    this.pool.retain(target);
    this.target[entry] = target;
    this.count[entry] = 1;
    this.since[entry] = t;
    this.last[entry] = t;
    this.next[entry] = NIL;
    this.prev[entry] = this.lastEntry;
    if (this.lastEntry === NIL) this.first = entry;
    else this.next[this.lastEntry] = entry;
    this.lastEntry = entry;
    this.entryOf[target] = entry + 1;
    this.used++;
    return entry;
  }

  /** The target answered (or is known to be there): forget its questions. */
  forget(target: number): void {
    const entry = this.find(target);
    if (entry !== NIL) this.remove(entry);
  }

  /** Drops every run of questions that began before `oldest`. */
  purge(oldest: number): void {
    for (let entry = this.first; entry !== NIL;) {
      const next = this.next[entry];
      if (this.since[entry] < oldest) this.remove(entry);
      entry = next;
    }
  }

  /** Adds one per address-pool id held to `refs` (for invariant checks). */
  countReferences(refs: Int32Array): void {
    for (let entry = this.first; entry !== NIL; entry = this.next[entry]) refs[this.target[entry]]++;
  }

  private remove(entry: number): void {
    const prev = this.prev[entry];
    const next = this.next[entry];
    if (prev === NIL) this.first = next;
    else this.next[prev] = next;
    if (next === NIL) this.lastEntry = prev;
    else this.prev[next] = prev;
    const target = this.target[entry];
    this.entryOf[target] = 0;
    this.next[entry] = this.freeHead;
    this.freeHead = entry;
    this.used--;
    this.pool.release(target);
  }
}
