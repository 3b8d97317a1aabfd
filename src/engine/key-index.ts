// A fixed-size hash index from a key of up to three 32-bit words to a slot number.
// Open addressing with linear probing and backward-shift deletion: memory is allocated once,
// there are no tombstones, and lookups stay short however many deletes have happened. A slot
// stores value + 1, so 0 is empty and nothing is filled at construction.
// A slot's key words and value lie side by side (four words), so a probe reads one cache line
// instead of four: the SYN and link indexes are megabytes, and most probes miss the caches.
// After a burst the keys left can move into a fresh array (renewIfSparse, sparse.ts).

import { sparseAfterBurst } from './sparse';

const EMPTY = -1;
/** Words per slot: key a, b, c, then value + 1. */
const STRIDE = 4;

export class KeyIndex {
  readonly capacity: number;
  private readonly mask: number;
  private slots: Uint32Array;
  private used = 0;
  /** The most keys held since `slots` was made. */
  private peak = 0;

  /** Holds up to `capacity` keys; the table is sized so the load factor stays <= 1/2. */
  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Uint32Array(size * STRIDE);
  }

  get size(): number {
    return this.used;
  }

  /** The value stored for the key (>= 0), or -1. */
  get(a: number, b = 0, c = 0): number {
    const s = this.slots;
    const mask = this.mask;
    a >>>= 0; b >>>= 0; c >>>= 0;
    for (let i = hash(a, b, c) & mask; ; i = (i + 1) & mask) {
      const k = i * STRIDE;
      const v = s[k + 3];
      if (v === 0) return EMPTY;
      if (s[k] === a && s[k + 1] === b && s[k + 2] === c) return v - 1;
    }
  }

  /** Stores or replaces; throws only when the caller broke the capacity contract. */
  set(a: number, b: number, c: number, value: number): void {
    const s = this.slots;
    const mask = this.mask;
    a >>>= 0; b >>>= 0; c >>>= 0;
    for (let i = hash(a, b, c) & mask; ; i = (i + 1) & mask) {
      const k = i * STRIDE;
      if (s[k + 3] === 0) {
        if (this.used >= this.capacity) throw new Error(`KeyIndex: more than ${this.capacity} keys`);
        s[k] = a;
        s[k + 1] = b;
        s[k + 2] = c;
        s[k + 3] = value + 1;
        if (++this.used > this.peak) this.peak = this.used;
        return;
      }
      if (s[k] === a && s[k + 1] === b && s[k + 2] === c) {
        s[k + 3] = value + 1;
        return;
      }
    }
  }

  /**
   * When a burst has come and gone (sparse.ts), moves the keys left into a fresh array, whose
   * pages are touched only where they land, and returns the byte length of the old one, now
   * garbage; 0 when the index is not sparse.
   */
  renewIfSparse(): number {
    if (!sparseAfterBurst(this.peak, this.used)) return 0;
    const old = this.slots;
    const fresh = new Uint32Array(old.length);
    const mask = this.mask;
    for (let k = 0; k < old.length; k += STRIDE) {
      if (old[k + 3] === 0) continue;
      let i = hash(old[k], old[k + 1], old[k + 2]) & mask;
      while (fresh[i * STRIDE + 3] !== 0) i = (i + 1) & mask;
      fresh.set(old.subarray(k, k + STRIDE), i * STRIDE);
    }
    this.slots = fresh;
    this.peak = this.used;
    return old.byteLength;
  }

  /** Removes the key; returns whether it was there. */
  delete(a: number, b = 0, c = 0): boolean {
    const s = this.slots;
    const mask = this.mask;
    a >>>= 0; b >>>= 0; c >>>= 0;
    let i = hash(a, b, c) & mask;
    for (; ; i = (i + 1) & mask) {
      const k = i * STRIDE;
      if (s[k + 3] === 0) return false;
      if (s[k] === a && s[k + 1] === b && s[k + 2] === c) break;
    }
    // Backward shift: pull later members of the probe run into the hole when their home
    // position allows it, so no lookup ever stops early at a gap.
    let hole = i;
    for (let j = (hole + 1) & mask; s[j * STRIDE + 3] !== 0; j = (j + 1) & mask) {
      const k = j * STRIDE;
      const home = hash(s[k], s[k + 1], s[k + 2]) & mask;
      const distanceFromHome = (j - home) & mask;
      const distanceToHole = (j - hole) & mask;
      if (distanceFromHome >= distanceToHole) {
        const h = hole * STRIDE;
        s[h] = s[k];
        s[h + 1] = s[k + 1];
        s[h + 2] = s[k + 2];
        s[h + 3] = s[k + 3];
        hole = j;
      }
    }
    s[hole * STRIDE + 3] = 0;
    this.used--;
    return true;
  }
}

function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
