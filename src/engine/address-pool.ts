// Every address the engine's tables hold, interned once: a 128-bit address (IPv4 as
// ::ffff:a.b.c.d) gets a small slot id, and the tables store that id instead of the address.
// So servers, links, pending SYNs and contacts hold one number whatever the family, and the
// P5 duplicate check stays one probe of a fixed index.
//
// Fixed capacity, allocated once (the sum of what the tables can hold, so it never runs out).
// Each id is reference-counted: a table entry retains the id it stores and releases it when the
// entry goes; the last release frees the id. The hash index uses open addressing with linear
// probing and backward-shift deletion (no tombstones), and stores id + 1 so that 0 means empty:
// nothing is filled at construction, and memory no address has used stays untouched. After a
// burst of addresses the ones left can move into a fresh index (renewIfSparse, sparse.ts).

import { formatIPv4 } from '../net/ipv4';
import { formatIp, ipFromBytes, ipFromV4, type IpAddress } from '../net/ip';
import { sparseAfterBurst } from './sparse';

export const NO_ADDRESS = -1;

/** Words 0-2 of every IPv4-mapped address: 0, 0, 0x0000ffff. */
const MAPPED = 0xffff;

export class AddressPool {
  readonly capacity: number;
  private readonly mask: number;
  /** Four big-endian 32-bit words per id. */
  private readonly words: Uint32Array;
  private readonly refs: Int32Array;
  /** Next id of the free list (valid only for freed ids). */
  private readonly nextFree: Int32Array;
  /** Hash slot -> id + 1; 0 = empty. */
  private index: Int32Array;
  /** Ids below this one have been handed out at least once. */
  private bump = 0;
  private freeHead = NO_ADDRESS;
  private live = 0;
  /** The most addresses held since `index` was made. */
  private peak = 0;
  private readonly scratch = new Uint8Array(16);

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('AddressPool: capacity must be at least 1');
    this.capacity = capacity;
    // The capacity counts references (every row of every table at its maximum), not distinct
    // addresses, which are far fewer in any real mix: an index of 1.5 slots per reference keeps
    // linear probing short even in that worst case (load <= 2/3) at half the memory of 2 slots.
    let size = 8;
    while (size < capacity * 1.5) size *= 2;
    this.mask = size - 1;
    this.words = new Uint32Array(capacity * 4);
    this.refs = new Int32Array(capacity);
    this.nextFree = new Int32Array(capacity);
    this.index = new Int32Array(size);
  }

  /** Addresses held right now. */
  get size(): number {
    return this.live;
  }

  // ---- Lookup (no reference taken) ----

  /** The id of an IPv4 address (32-bit number), or NO_ADDRESS. */
  findV4(v4: number): number {
    const mask = this.mask;
    const w = this.words;
    for (let i = hashV4(v4) & mask; ; i = (i + 1) & mask) {
      const slot = this.index[i];
      if (slot === 0) return NO_ADDRESS;
      const id = slot - 1;
      const k = id << 2;
      if (w[k + 3] === v4 >>> 0 && w[k + 2] === MAPPED && w[k + 1] === 0 && w[k] === 0) return id;
    }
  }

  /** The id of the 16 bytes at `off` (read where they lie), or NO_ADDRESS. */
  findBytes(bytes: Uint8Array, off: number): number {
    const a = word(bytes, off);
    const b = word(bytes, off + 4);
    const c = word(bytes, off + 8);
    const d = word(bytes, off + 12);
    return this.findWords(a, b, c, d, hash(a, b, c, d));
  }

  find(ip: IpAddress): number {
    return ip.family === 4 ? this.findV4(ip.v4) : this.findBytes(ip.bytes, 0);
  }

  // ---- References ----

  /** The id of an IPv4 address with one more reference; NO_ADDRESS only when the pool is full. */
  acquireV4(v4: number): number {
    const found = this.findV4(v4);
    if (found !== NO_ADDRESS) { this.refs[found]++; return found; }
    return this.insert(0, 0, MAPPED, v4 >>> 0, hashV4(v4));
  }

  /** As acquireV4, for the 16 bytes at `off`. */
  acquireBytes(bytes: Uint8Array, off: number): number {
    const a = word(bytes, off);
    const b = word(bytes, off + 4);
    const c = word(bytes, off + 8);
    const d = word(bytes, off + 12);
    const h = hash(a, b, c, d);
    const found = this.findWords(a, b, c, d, h);
    if (found !== NO_ADDRESS) { this.refs[found]++; return found; }
    return this.insert(a, b, c, d, h);
  }

  acquire(ip: IpAddress): number {
    return ip.family === 4 ? this.acquireV4(ip.v4) : this.acquireBytes(ip.bytes, 0);
  }

  /** One more reference to a live id (a table storing an id it was handed). */
  retain(id: number): void {
    this.refs[id]++;
  }

  /** Drops one reference; the last one frees the id. */
  release(id: number): void {
    if (--this.refs[id] > 0) return;
    this.remove(id);
    this.nextFree[id] = this.freeHead;
    this.freeHead = id;
    this.live--;
  }

  references(id: number): number {
    return this.refs[id];
  }

  /**
   * When a burst of addresses has come and gone (sparse.ts), indexes the ones left in a fresh
   * array, whose pages are touched only where they land, and returns the byte length of the old
   * one, now garbage; 0 when the index is not sparse. Ids do not change.
   */
  renewIfSparse(): number {
    if (!sparseAfterBurst(this.peak, this.live)) return 0;
    const old = this.index;
    const fresh = new Int32Array(old.length);
    const mask = this.mask;
    const w = this.words;
    for (let j = 0; j < old.length; j++) {
      const slot = old[j];
      if (slot === 0) continue;
      const k = (slot - 1) << 2;
      let i = hash(w[k], w[k + 1], w[k + 2], w[k + 3]) & mask;
      while (fresh[i] !== 0) i = (i + 1) & mask;
      fresh[i] = slot;
    }
    this.index = fresh;
    this.peak = this.live;
    return old.byteLength;
  }

  // ---- What an id holds ----

  isV4(id: number): boolean {
    const k = id << 2;
    return this.words[k + 2] === MAPPED && this.words[k + 1] === 0 && this.words[k] === 0;
  }

  /** The IPv4 address as a 32-bit number; meaningful only when isV4(id). */
  v4(id: number): number {
    return this.words[(id << 2) + 3];
  }

  /** Canonical text: dotted quad or RFC 5952. For the edges: it allocates. */
  format(id: number): string {
    return formatWords(this.words, id << 2, this.scratch);
  }

  /** The four words of `id` into `out` at `off`: a copy that outlives the id, for formatWords. */
  copyWords(id: number, out: Uint32Array, off: number): void {
    const k = id << 2;
    out[off] = this.words[k];
    out[off + 1] = this.words[k + 1];
    out[off + 2] = this.words[k + 2];
    out[off + 3] = this.words[k + 3];
  }

  /** The address as the edges take it (allocates). */
  ip(id: number): IpAddress {
    if (this.isV4(id)) return ipFromV4(this.v4(id));
    this.copyBytes(id, this.scratch, 0);
    return ipFromBytes(this.scratch, 0);
  }

  copyBytes(id: number, out: Uint8Array, off: number): void {
    wordsToBytes(this.words, id << 2, out, off);
  }

  /**
   * Walks everything: every live id is indexed under its own words, reference counts are
   * positive, freed ids are on the free list once and not indexed. For tests; returns the
   * problems found (empty when sound). `expectedRefs`, when given, is what the tables hold.
   */
  checkInvariants(expectedRefs?: Int32Array): string[] {
    const problems: string[] = [];
    const freed = new Uint8Array(this.capacity);
    let free = 0;
    for (let id = this.freeHead; id !== NO_ADDRESS; id = this.nextFree[id]) {
      if (id < 0 || id >= this.bump) { problems.push(`free list holds id ${id} outside the used range`); break; }
      if (freed[id]) { problems.push(`id ${id} is on the free list twice`); break; }
      freed[id] = 1;
      free++;
      if (this.refs[id] !== 0) problems.push(`free id ${id} has ${this.refs[id]} references`);
    }
    let indexed = 0;
    for (let i = 0; i <= this.mask; i++) {
      const slot = this.index[i];
      if (slot === 0) continue;
      indexed++;
      const id = slot - 1;
      if (freed[id]) problems.push(`free id ${id} is still indexed`);
      const k = id << 2;
      const w = this.words;
      if (this.findWords(w[k], w[k + 1], w[k + 2], w[k + 3], hash(w[k], w[k + 1], w[k + 2], w[k + 3])) !== id) {
        problems.push(`id ${id} (${this.format(id)}) is not found under its own address`);
      }
    }
    for (let id = 0; id < this.bump; id++) {
      if (!freed[id] && this.refs[id] <= 0) problems.push(`live id ${id} has ${this.refs[id]} references`);
      if (expectedRefs !== undefined && !freed[id] && this.refs[id] !== expectedRefs[id]) {
        problems.push(`id ${id} (${this.format(id)}) counts ${this.refs[id]} references, the tables hold ${expectedRefs[id]}`);
      }
    }
    if (indexed !== this.live) problems.push(`index holds ${indexed}, count says ${this.live}`);
    if (free + this.live !== this.bump) problems.push(`leak: ${this.bump - free - this.live} ids neither live nor free`);
    return problems;
  }

  private findWords(a: number, b: number, c: number, d: number, h: number): number {
    const mask = this.mask;
    const w = this.words;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = this.index[i];
      if (slot === 0) return NO_ADDRESS;
      const k = (slot - 1) << 2;
      if (w[k + 3] === d && w[k + 2] === c && w[k + 1] === b && w[k] === a) return slot - 1;
    }
  }

  private insert(a: number, b: number, c: number, d: number, h: number): number {
    let id: number;
    if (this.freeHead !== NO_ADDRESS) {
      // Reuse freed ids first: memory stays where addresses have already been.
      id = this.freeHead;
      this.freeHead = this.nextFree[id];
    } else if (this.bump < this.capacity) {
      id = this.bump++;
    } else {
      return NO_ADDRESS;
    }
    const k = id << 2;
    this.words[k] = a;
    this.words[k + 1] = b;
    this.words[k + 2] = c;
    this.words[k + 3] = d;
    this.refs[id] = 1;
    const mask = this.mask;
    let i = h & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = id + 1;
    if (++this.live > this.peak) this.peak = this.live;
    return id;
  }

  private remove(id: number): void {
    const mask = this.mask;
    const w = this.words;
    const k = id << 2;
    let hole = hash(w[k], w[k + 1], w[k + 2], w[k + 3]) & mask;
    while (this.index[hole] !== id + 1) hole = (hole + 1) & mask;
    // Backward shift: pull later members of the probe run into the hole when their home slot
    // allows it, so no lookup ever stops early at a gap.
    for (let j = (hole + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const m = (this.index[j] - 1) << 2;
      const home = hash(w[m], w[m + 1], w[m + 2], w[m + 3]) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.index[hole] = this.index[j];
        hole = j;
      }
    }
    this.index[hole] = 0;
  }
}

function word(bytes: Uint8Array, off: number): number {
  return ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hash(a: number, b: number, c: number, d: number): number {
  return finish(mix(mix(mix(mix(0x9e3779b9, a), b), c), d));
}

/** hash(0, 0, 0xffff, v4) with the constant words mixed once. */
const MAPPED_PREFIX = mix(mix(mix(0x9e3779b9, 0), 0), MAPPED);

function hashV4(v4: number): number {
  return finish(mix(MAPPED_PREFIX, v4 >>> 0));
}

/** Canonical text of an address held as four words (an id's, or copyWords'); `scratch`: 16 bytes for IPv6. */
export function formatWords(words: Uint32Array, off: number, scratch: Uint8Array): string {
  if (words[off + 2] === MAPPED && words[off + 1] === 0 && words[off] === 0) return formatIPv4(words[off + 3]);
  wordsToBytes(words, off, scratch, 0);
  return formatIp(scratch, 0);
}

function wordsToBytes(words: Uint32Array, off: number, out: Uint8Array, outOff: number): void {
  for (let i = 0; i < 4; i++) {
    const w = words[off + i];
    out[outOff + 4 * i] = w >>> 24;
    out[outOff + 4 * i + 1] = (w >>> 16) & 255;
    out[outOff + 4 * i + 2] = (w >>> 8) & 255;
    out[outOff + 4 * i + 3] = w & 255;
  }
}
