// The outage table, shaped like the patent's IP address table 71 (Fig. 4):
//   71a  failed server -> first/last link of its client list, plus state and down-since;
//   71b  a pool of client links (client address, next link), with registration time (72b);
//   71c  the free list of unused links (first/last).
// Everything is allocated once from the configured capacities; nothing grows with traffic.
// A (server, client) index makes "a client already on a server's list is not added twice"
// (P5) an O(1) check. A second list threads every used link in registration order so the
// oldest registration can be evicted in O(1) when the pool is full.

import { KeyIndex } from './key-index';

export const NIL = -1;

export const enum ServerState {
  Free = 0,
  Down = 1,
  /** Back, but inside the hold time (flap damping): no notices yet. */
  Holding = 2,
}

export type EvictReason = 'table-full' | 'server-cap';

export interface Evicted {
  server: number;
  client: number;
  firstAttempt: number;
  lastAttempt: number;
  reason: EvictReason;
}

export interface OutageCapacity {
  readonly servers: number;
  readonly links: number;
  readonly linksPerServer: number;
}

export class OutageTable {
  readonly capacity: OutageCapacity;

  // 71a, one row per server slot.
  readonly serverAddr: Uint32Array;
  readonly serverState: Uint8Array;
  readonly serverFirst: Int32Array;
  readonly serverLast: Int32Array;
  readonly serverLinks: Int32Array;
  readonly downSince: Float64Array;
  readonly downCause: Uint8Array;
  readonly holdUntil: Float64Array;
  /** While holding: what showed the server was back (the engine's cause number). */
  readonly recoveryCause: Uint8Array;
  private readonly freeServers: Int32Array;
  private freeServerCount: number;
  private readonly serverIndex: KeyIndex;

  // 71b / 72b, one row per link.
  readonly linkClient: Uint32Array;
  readonly linkServer: Int32Array;
  readonly linkNext: Int32Array;
  readonly linkPrev: Int32Array;
  readonly firstAttempt: Float64Array;
  readonly lastAttempt: Float64Array;
  readonly linkMac: Float64Array;
  private readonly olderLink: Int32Array;
  private readonly newerLink: Int32Array;
  private oldestLink = NIL;
  private newestLink = NIL;
  private readonly linkIndex: KeyIndex;

  // 71c.
  private freeFirst = NIL;
  private freeLast = NIL;
  private usedLinks = 0;

  constructor(capacity: OutageCapacity) {
    if (capacity.servers < 1 || capacity.links < 1 || capacity.linksPerServer < 1) {
      throw new RangeError('OutageTable: every capacity must be at least 1');
    }
    this.capacity = capacity;
    const s = capacity.servers;
    const l = capacity.links;
    this.serverAddr = new Uint32Array(s);
    this.serverState = new Uint8Array(s);
    this.serverFirst = new Int32Array(s).fill(NIL);
    this.serverLast = new Int32Array(s).fill(NIL);
    this.serverLinks = new Int32Array(s);
    this.downSince = new Float64Array(s);
    this.downCause = new Uint8Array(s);
    this.holdUntil = new Float64Array(s);
    this.recoveryCause = new Uint8Array(s);
    this.freeServers = new Int32Array(s);
    for (let i = 0; i < s; i++) this.freeServers[i] = s - 1 - i;
    this.freeServerCount = s;
    this.serverIndex = new KeyIndex(s);

    this.linkClient = new Uint32Array(l);
    this.linkServer = new Int32Array(l).fill(NIL);
    this.linkNext = new Int32Array(l);
    this.linkPrev = new Int32Array(l).fill(NIL);
    this.firstAttempt = new Float64Array(l);
    this.lastAttempt = new Float64Array(l);
    this.linkMac = new Float64Array(l);
    this.olderLink = new Int32Array(l).fill(NIL);
    this.newerLink = new Int32Array(l).fill(NIL);
    this.linkIndex = new KeyIndex(l);
    for (let i = 0; i < l; i++) this.linkNext[i] = i + 1 < l ? i + 1 : NIL;
    this.freeFirst = 0;
    this.freeLast = l - 1;
  }

  get serverCount(): number {
    return this.capacity.servers - this.freeServerCount;
  }

  get linkCount(): number {
    return this.usedLinks;
  }

  /** The slot of a server in the table, or NIL. */
  findServer(addr: number): number {
    return this.serverIndex.get(addr);
  }

  /** Adds a server in state Down; NIL when all server slots are taken. */
  addServer(addr: number, t: number, cause: number): number {
    if (this.freeServerCount === 0) return NIL;
    const slot = this.freeServers[--this.freeServerCount];
    this.serverAddr[slot] = addr;
    this.serverState[slot] = ServerState.Down;
    this.serverFirst[slot] = NIL;
    this.serverLast[slot] = NIL;
    this.serverLinks[slot] = 0;
    this.downSince[slot] = t;
    this.downCause[slot] = cause;
    this.holdUntil[slot] = 0;
    this.serverIndex.set(addr, 0, 0, slot);
    return slot;
  }

  /** Frees a server and every link of its list. */
  removeServer(slot: number): void {
    let link = this.serverFirst[slot];
    while (link !== NIL) {
      const next = this.linkNext[link];
      this.releaseLink(link);
      link = next;
    }
    this.serverIndex.delete(this.serverAddr[slot]);
    this.serverState[slot] = ServerState.Free;
    this.serverFirst[slot] = NIL;
    this.serverLast[slot] = NIL;
    this.serverLinks[slot] = 0;
    this.freeServers[this.freeServerCount++] = slot;
  }

  /** The link of (server, client), or NIL. */
  findLink(slot: number, client: number): number {
    return this.linkIndex.get(this.serverAddr[slot], client);
  }

  /**
   * Links a client to a down server (P5). Returns the link, and reports in `evicted` a
   * registration that had to go to make room (its reason says which cap), else leaves it.
   * The caller checks findLink first: linking twice is a caller error.
   */
  addLink(slot: number, client: number, t: number, mac: number, evicted: Evicted[]): number {
    if (this.serverLinks[slot] >= this.capacity.linksPerServer) {
      this.evict(this.serverFirst[slot], 'server-cap', evicted);
    } else if (this.freeFirst === NIL) {
      this.evict(this.oldestLink, 'table-full', evicted);
    }
    const link = this.freeFirst;
    this.freeFirst = this.linkNext[link];
    if (this.freeFirst === NIL) this.freeLast = NIL;

    this.linkClient[link] = client;
    this.linkServer[link] = slot;
    this.firstAttempt[link] = t;
    this.lastAttempt[link] = t;
    this.linkMac[link] = mac;
    // Append to the server's list (71a last link -> new link).
    this.linkNext[link] = NIL;
    this.linkPrev[link] = this.serverLast[slot];
    if (this.serverLast[slot] === NIL) this.serverFirst[slot] = link;
    else this.linkNext[this.serverLast[slot]] = link;
    this.serverLast[slot] = link;
    this.serverLinks[slot]++;
    // Append to the registration-order list.
    this.olderLink[link] = this.newestLink;
    this.newerLink[link] = NIL;
    if (this.newestLink === NIL) this.oldestLink = link;
    else this.newerLink[this.newestLink] = link;
    this.newestLink = link;

    this.linkIndex.set(this.serverAddr[slot], client, 0, link);
    this.usedLinks++;
    return link;
  }

  /** Removes one link from its server's list and returns it to the free list (71c). */
  removeLink(link: number): void {
    this.releaseLink(link);
  }

  /** The oldest registration in the whole table, or NIL. */
  get oldest(): number {
    return this.oldestLink;
  }

  /** The next newer registration after `link`, or NIL. */
  newer(link: number): number {
    return this.newerLink[link];
  }

  private evict(link: number, reason: EvictReason, evicted: Evicted[]): void {
    evicted.push({
      server: this.serverAddr[this.linkServer[link]],
      client: this.linkClient[link],
      firstAttempt: this.firstAttempt[link],
      lastAttempt: this.lastAttempt[link],
      reason,
    });
    this.releaseLink(link);
  }

  private releaseLink(link: number): void {
    const slot = this.linkServer[link];
    const prev = this.linkPrev[link];
    const next = this.linkNext[link];
    if (prev === NIL) this.serverFirst[slot] = next;
    else this.linkNext[prev] = next;
    if (next === NIL) this.serverLast[slot] = prev;
    else this.linkPrev[next] = prev;
    this.serverLinks[slot]--;

    const older = this.olderLink[link];
    const newer = this.newerLink[link];
    if (older === NIL) this.oldestLink = newer;
    else this.newerLink[older] = newer;
    if (newer === NIL) this.newestLink = older;
    else this.olderLink[newer] = older;

    this.linkIndex.delete(this.serverAddr[slot], this.linkClient[link]);
    this.linkServer[link] = NIL;
    this.linkPrev[link] = NIL;
    this.olderLink[link] = NIL;
    this.newerLink[link] = NIL;
    // Append to the free list's last link, as 71c keeps first and last.
    this.linkNext[link] = NIL;
    if (this.freeLast === NIL) this.freeFirst = link;
    else this.linkNext[this.freeLast] = link;
    this.freeLast = link;
    this.usedLinks--;
  }

  /**
   * Checks that server lists and the free list partition the pool, that counts, indexes and
   * the registration-order list agree. Returns the problems found (empty when sound).
   * For tests: it walks everything.
   */
  checkInvariants(): string[] {
    const problems: string[] = [];
    const seen = new Uint8Array(this.capacity.links);
    let listed = 0;
    for (let slot = 0; slot < this.capacity.servers; slot++) {
      if (this.serverState[slot] === ServerState.Free) continue;
      if (this.serverIndex.get(this.serverAddr[slot]) !== slot) problems.push(`server slot ${slot} not indexed`);
      let count = 0;
      let prev = NIL;
      for (let link = this.serverFirst[slot]; link !== NIL; link = this.linkNext[link]) {
        if (seen[link]) { problems.push(`link ${link} reached twice`); break; }
        seen[link] = 1;
        count++;
        if (this.linkServer[link] !== slot) problems.push(`link ${link} names server ${this.linkServer[link]}, listed under ${slot}`);
        if (this.linkPrev[link] !== prev) problems.push(`link ${link} has a wrong back link`);
        if (this.linkIndex.get(this.serverAddr[slot], this.linkClient[link]) !== link) problems.push(`link ${link} not indexed`);
        prev = link;
      }
      if (this.serverLast[slot] !== prev) problems.push(`server slot ${slot} last link is wrong`);
      if (count !== this.serverLinks[slot]) problems.push(`server slot ${slot} counts ${this.serverLinks[slot]}, has ${count}`);
      if (count > this.capacity.linksPerServer) problems.push(`server slot ${slot} is over its cap`);
      listed += count;
    }
    if (listed !== this.usedLinks) problems.push(`lists hold ${listed} links, count says ${this.usedLinks}`);
    if (this.linkIndex.size !== this.usedLinks) problems.push(`index holds ${this.linkIndex.size}, count says ${this.usedLinks}`);
    let free = 0;
    let last = NIL;
    for (let link = this.freeFirst; link !== NIL; link = this.linkNext[link]) {
      if (seen[link]) { problems.push(`free link ${link} is also in use or reached twice`); break; }
      seen[link] = 1;
      free++;
      last = link;
    }
    if (last !== this.freeLast) problems.push('free list last link is wrong');
    if (free + listed !== this.capacity.links) problems.push(`leak: ${this.capacity.links - free - listed} links in no list`);
    let aged = 0;
    for (let link = this.oldestLink; link !== NIL && aged <= this.capacity.links; link = this.newerLink[link]) aged++;
    if (aged !== this.usedLinks) problems.push(`registration-order list holds ${aged}, count says ${this.usedLinks}`);
    if (this.serverIndex.size !== this.serverCount) problems.push('server index size is wrong');
    return problems;
  }
}
