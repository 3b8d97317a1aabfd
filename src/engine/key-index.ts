// A fixed-size hash index from a key of up to three 32-bit words to a slot number.
// Open addressing with linear probing and backward-shift deletion: memory is allocated once,
// there are no tombstones, and lookups stay short however many deletes have happened. A slot
// stores value + 1, so 0 is empty and nothing is filled at construction.

const EMPTY = -1;

export class KeyIndex {
  readonly capacity: number;
  private readonly mask: number;
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly keyC: Uint32Array;
  private readonly values: Int32Array;
  private used = 0;

  /** Holds up to `capacity` keys; the table is sized so the load factor stays <= 1/2. */
  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.keyA = new Uint32Array(size);
    this.keyB = new Uint32Array(size);
    this.keyC = new Uint32Array(size);
    this.values = new Int32Array(size);
  }

  get size(): number {
    return this.used;
  }

  /** The value stored for the key (>= 0), or -1. */
  get(a: number, b = 0, c = 0): number {
    const mask = this.mask;
    for (let i = hash(a, b, c) & mask; ; i = (i + 1) & mask) {
      const v = this.values[i];
      if (v === 0) return EMPTY;
      if (this.keyA[i] === a >>> 0 && this.keyB[i] === b >>> 0 && this.keyC[i] === c >>> 0) return v - 1;
    }
  }

  /** Stores or replaces; throws only when the caller broke the capacity contract. */
  set(a: number, b: number, c: number, value: number): void {
    const mask = this.mask;
    for (let i = hash(a, b, c) & mask; ; i = (i + 1) & mask) {
      if (this.values[i] === 0) {
        if (this.used >= this.capacity) throw new Error(`KeyIndex: more than ${this.capacity} keys`);
        this.keyA[i] = a;
        this.keyB[i] = b;
        this.keyC[i] = c;
        this.values[i] = value + 1;
        this.used++;
        return;
      }
      if (this.keyA[i] === a >>> 0 && this.keyB[i] === b >>> 0 && this.keyC[i] === c >>> 0) {
        this.values[i] = value + 1;
        return;
      }
    }
  }

  /** Removes the key; returns whether it was there. */
  delete(a: number, b = 0, c = 0): boolean {
    const mask = this.mask;
    let i = hash(a, b, c) & mask;
    for (; ; i = (i + 1) & mask) {
      if (this.values[i] === 0) return false;
      if (this.keyA[i] === a >>> 0 && this.keyB[i] === b >>> 0 && this.keyC[i] === c >>> 0) break;
    }
    // Backward shift: pull later members of the probe run into the hole when their home
    // position allows it, so no lookup ever stops early at a gap.
    let hole = i;
    for (let j = (hole + 1) & mask; this.values[j] !== 0; j = (j + 1) & mask) {
      const home = hash(this.keyA[j], this.keyB[j], this.keyC[j]) & mask;
      const distanceFromHome = (j - home) & mask;
      const distanceToHole = (j - hole) & mask;
      if (distanceFromHome >= distanceToHole) {
        this.keyA[hole] = this.keyA[j];
        this.keyB[hole] = this.keyB[j];
        this.keyC[hole] = this.keyC[j];
        this.values[hole] = this.values[j];
        hole = j;
      }
    }
    this.values[hole] = 0;
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
