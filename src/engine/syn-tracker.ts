// P4: remember each client's SYN (client, server, ports, seq) until the server's SYN/ACK with
// ack = seq + 1 answers it; a SYN still unanswered after the timeout means the server is down.
// SYNs arrive in time order, so the pending ones sit in a ring, oldest first, and expiry only
// looks at the head. A fixed index finds the entry a SYN/ACK answers. Addresses are ids of the
// engine's address pool: an entry retains both while it is pending.

import type { AddressPool } from './address-pool';
import { KeyIndex } from './key-index';

/**
 * `t` is when the timeout ran out, `sent` when the unanswered SYN was seen; the ids stay valid
 * during the call.
 */
export type SynTimeout = (t: number, sent: number, client: number, server: number, clientMac: number) => void;
/** One pending SYN handed over by takeServer; the client id stays valid during the call. */
export type SynTaken = (sent: number, client: number, clientMac: number) => void;

export class SynTracker {
  readonly capacity: number;
  private readonly pool: AddressPool;
  private readonly client: Int32Array;
  private readonly server: Int32Array;
  private readonly ports: Uint32Array;
  private readonly seq: Uint32Array;
  private readonly time: Float64Array;
  private readonly mac: Float64Array;
  private readonly live: Uint8Array;
  private readonly index: KeyIndex;
  // Each server's pending SYNs also form a circular list, oldest first, so that a server
  // going down takes its waiting clients without scanning the whole ring. Its oldest entry
  // + 1 (0: none) by the server's address-pool id: ids are small and dense, so an array does
  // what a hash index would, without hashing.
  private readonly oldestOfServer: Int32Array;
  private readonly serverNext: Int32Array;
  private readonly serverPrev: Int32Array;
  private head = 0;
  private length = 0;
  /** SYNs lost because the ring was full of older, still pending ones (the oldest or the new one). */
  overflows = 0;

  constructor(capacity: number, pool: AddressPool) {
    this.capacity = capacity;
    this.pool = pool;
    this.client = new Int32Array(capacity);
    this.server = new Int32Array(capacity);
    this.ports = new Uint32Array(capacity);
    this.seq = new Uint32Array(capacity);
    this.time = new Float64Array(capacity);
    this.mac = new Float64Array(capacity);
    this.live = new Uint8Array(capacity);
    this.index = new KeyIndex(capacity);
    this.oldestOfServer = new Int32Array(pool.capacity);
    this.serverNext = new Int32Array(capacity);
    this.serverPrev = new Int32Array(capacity);
  }

  get pending(): number {
    return this.index.size;
  }

  /** The index's renewal after a burst of SYNs (KeyIndex.renewIfSparse): bytes now garbage. */
  renewIfSparse(): number {
    return this.index.renewIfSparse();
  }

  /** Is every entry taken by a SYN still pending (a new one needs `mayEvict`)? */
  get full(): boolean {
    if (this.length < this.capacity) return false;
    this.skipAnswered();
    return this.length === this.capacity;
  }

  /** Time of the oldest pending SYN, or Infinity. */
  get oldest(): number {
    this.skipAnswered();
    return this.length === 0 ? Infinity : this.time[this.head];
  }

  /**
   * Records a SYN (addresses by pool id; the entry retains them); a retransmission (same flow,
   * same seq) keeps the first one's time. When the ring is full, the oldest pending SYN makes
   * room only if `mayEvict`; otherwise this one is not recorded, so a flood of new SYNs cannot
   * push out the client that tried first (its timeout is what shows the outage).
   */
  syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, mac: number, mayEvict = true): void {
    const ports = ((sport << 16) | dport) >>> 0;
    const found = this.index.get(client, server, ports);
    if (found >= 0) {
      if (this.seq[found] !== seq >>> 0) {
        // The client reused the ports for a new connection: that one is answered or lost.
        this.seq[found] = seq;
      }
      return;
    }
    if (this.length === this.capacity) {
      this.skipAnswered();
      if (this.length === this.capacity) {
        this.overflows++;
        if (!mayEvict) return;
        const head = this.head;
        this.drop(head);
        this.releaseIds(head);
        this.skipAnswered();
      }
    }
    const slot = (this.head + this.length) % this.capacity;
    this.pool.retain(client);
    this.pool.retain(server);
    this.client[slot] = client;
    this.server[slot] = server;
    this.ports[slot] = ports;
    this.seq[slot] = seq;
    this.time[slot] = t;
    this.mac[slot] = mac;
    this.live[slot] = 1;
    this.index.set(client, server, ports, slot);
    const first = this.oldestOfServer[server] - 1;
    if (first < 0) {
      this.serverNext[slot] = slot;
      this.serverPrev[slot] = slot;
      this.oldestOfServer[server] = slot + 1;
    } else {
      const last = this.serverPrev[first];
      this.serverNext[last] = slot;
      this.serverPrev[slot] = last;
      this.serverNext[slot] = first;
      this.serverPrev[first] = slot;
    }
    this.length++;
  }

  /** A SYN/ACK from the server; true when it answered a pending SYN (ack = seq + 1). */
  synAck(server: number, client: number, serverPort: number, clientPort: number, ack: number): boolean {
    if (client < 0 || server < 0) return false;
    const found = this.index.get(client, server, ((clientPort << 16) | serverPort) >>> 0);
    if (found < 0 || ((this.seq[found] + 1) >>> 0) !== ack >>> 0) return false;
    this.drop(found);
    this.releaseIds(found);
    return true;
  }

  /**
   * The server refused or an ICMP error answered the flow: it is no longer pending. Returns the
   * MAC its SYN was seen with (0: none pending, or not known), which the ICMP error lacks.
   */
  answered(server: number, client: number, clientPort: number, serverPort: number): number {
    if (client < 0 || server < 0) return 0;
    const found = this.index.get(client, server, ((clientPort << 16) | serverPort) >>> 0);
    if (found < 0) return 0;
    const mac = this.mac[found];
    this.drop(found);
    this.releaseIds(found);
    return mac;
  }

  /** When the oldest SYN still pending for `server` was seen, or Infinity. */
  earliestFor(server: number): number {
    const first = server < 0 ? -1 : this.oldestOfServer[server] - 1;
    return first < 0 ? Infinity : this.time[first];
  }

  /** Removes every SYN pending for `server`, handing each to `take` (oldest first). */
  takeServer(server: number, take: SynTaken): void {
    for (let slot = this.oldestOfServer[server] - 1; slot >= 0; slot = this.oldestOfServer[server] - 1) {
      this.drop(slot);
      take(this.time[slot], this.client[slot], this.mac[slot]);
      this.releaseIds(slot);
    }
  }

  /** Reports and removes every SYN pending for `timeout` seconds or more at time `t`. */
  expire(t: number, timeout: number, onTimeout: SynTimeout): void {
    for (;;) {
      this.skipAnswered();
      if (this.length === 0 || this.time[this.head] + timeout > t) return;
      const slot = this.head;
      const client = this.client[slot];
      const server = this.server[slot];
      const mac = this.mac[slot];
      const sent = this.time[slot];
      this.drop(slot);
      onTimeout(sent + timeout, sent, client, server, mac);
      this.releaseIds(slot);
    }
  }

  /** Adds one per address-pool id the pending SYNs hold to `refs` (for invariant checks). */
  countReferences(refs: Int32Array): void {
    for (let i = 0; i < this.length; i++) {
      const slot = (this.head + i) % this.capacity;
      if (!this.live[slot]) continue;
      refs[this.client[slot]]++;
      refs[this.server[slot]]++;
    }
  }

  /** Gives back the ids of an entry drop() took out (kept until its callback has run). */
  private releaseIds(slot: number): void {
    this.pool.release(this.client[slot]);
    this.pool.release(this.server[slot]);
  }

  private drop(slot: number): void {
    if (!this.live[slot]) return;
    this.live[slot] = 0;
    this.index.delete(this.client[slot], this.server[slot], this.ports[slot]);
    const next = this.serverNext[slot];
    if (next === slot) {
      this.oldestOfServer[this.server[slot]] = 0;
    } else {
      const prev = this.serverPrev[slot];
      this.serverNext[prev] = next;
      this.serverPrev[next] = prev;
      if (this.oldestOfServer[this.server[slot]] === slot + 1) this.oldestOfServer[this.server[slot]] = next + 1;
    }
  }

  private skipAnswered(): void {
    while (this.length > 0 && !this.live[this.head]) {
      this.head = (this.head + 1) % this.capacity;
      this.length--;
    }
  }
}
