// The outage table, shaped like the patent's IP address table 71 (Fig. 4):
//   71a  failed server -> first/last link of its client list, plus state and down-since;
//   71b  a pool of client links (client address, next link), with registration time (72b);
//   71c  the free list of unused links (first/last).
// Addresses are ids of the engine's address pool (either family); each row retains the id it
// stores and releases it when the row goes. Everything is allocated once from the configured
// capacities and nothing grows with traffic; rows are initialised when first used, so capacity
// never used costs no resident memory. A (server, client) index makes "a client already on a
// server's list is not added twice" (P5) an O(1) check.
//
// Which registration goes when there is no room is a matter of trust: a link is verified when
// its client was seen as a real host (a valid neighbour binding, a known contact), unverified
// otherwise (a SYN proves nothing: its source may be forged). Used links are threaded into two
// age lists, one per trust, and each server's unverified links into a third, so both victims
// are found in O(1): the newest unverified link first (a flood's latest forged sources go
// before the client that tried before it), the oldest verified link only when none is left.

import type { AddressPool } from './address-pool';
import { KeyIndex } from './key-index';

export const NIL = -1;

export const enum ServerState {
  Free = 0,
  Down = 1,
  /** Back, but inside the hold time (flap damping): no notices yet. */
  Holding = 2,
  /** Back, its devices still being told (Engine.tellAtOnce): not found by address any more. */
  Telling = 3,
}

export const enum Trust {
  Unverified = 0,
  Verified = 1,
}

export interface OutageCapacity {
  readonly servers: number;
  readonly links: number;
  readonly linksPerServer: number;
}

export class OutageTable {
  readonly capacity: OutageCapacity;
  readonly pool: AddressPool;

  // 71a, one row per server slot.
  /** The server's address-pool id. */
  readonly serverAddr: Int32Array;
  readonly serverState: Uint8Array;
  readonly serverFirst: Int32Array;
  readonly serverLast: Int32Array;
  readonly serverLinks: Int32Array;
  readonly downSince: Float64Array;
  /** Index into DOWN_CAUSES. */
  readonly downCause: Uint8Array;
  readonly holdUntil: Float64Array;
  /** While holding: what showed the server was back (index into RECOVERY_CAUSES). */
  readonly recoveryCause: Uint8Array;
  private readonly freeServers: Int32Array;
  private freeServerCount = 0;
  /** Server slots below this one have been used at least once. */
  private serverBump = 0;
  /** Address-pool id -> server slot + 1; 0: not in the table. */
  private readonly slotByAddress: Int32Array;

  // 71b / 72b, one row per link.
  /** The client's address-pool id. */
  readonly linkClient: Int32Array;
  readonly linkServer: Int32Array;
  readonly linkNext: Int32Array;
  readonly linkPrev: Int32Array;
  readonly firstAttempt: Float64Array;
  readonly lastAttempt: Float64Array;
  readonly linkMac: Float64Array;
  /** Trust of each used link (Trust). */
  readonly linkTrust: Uint8Array;
  // The two age lists, by Trust: registration order (verified: order of verification).
  private readonly olderLink: Int32Array;
  private readonly newerLink: Int32Array;
  private readonly oldestOf = new Int32Array([NIL, NIL]);
  private readonly newestOf = new Int32Array([NIL, NIL]);
  // Each server's unverified links, newest last.
  private readonly serverNewestUnverified: Int32Array;
  private readonly olderUnverified: Int32Array;
  private readonly newerUnverified: Int32Array;
  private readonly linkIndex: KeyIndex;

  // 71c: links given back, the latest first (memory stays where links have already been),
  // then links never used yet (from linkBump on), so rows untouched stay unresident.
  private linkBump = 0;
  private freeFirst = NIL;
  private freeLast = NIL;
  private usedLinks = 0;

  constructor(capacity: OutageCapacity, pool: AddressPool) {
    if (capacity.servers < 1 || capacity.links < 1 || capacity.linksPerServer < 1) {
      throw new RangeError('OutageTable: every capacity must be at least 1');
    }
    this.capacity = capacity;
    this.pool = pool;
    const s = capacity.servers;
    const l = capacity.links;
    this.serverAddr = new Int32Array(s);
    this.serverState = new Uint8Array(s);
    this.serverFirst = new Int32Array(s);
    this.serverLast = new Int32Array(s);
    this.serverLinks = new Int32Array(s);
    this.downSince = new Float64Array(s);
    this.downCause = new Uint8Array(s);
    this.holdUntil = new Float64Array(s);
    this.recoveryCause = new Uint8Array(s);
    this.serverNewestUnverified = new Int32Array(s);
    this.freeServers = new Int32Array(s);
    this.slotByAddress = new Int32Array(pool.capacity);

    this.linkClient = new Int32Array(l);
    this.linkServer = new Int32Array(l);
    this.linkNext = new Int32Array(l);
    this.linkPrev = new Int32Array(l);
    this.firstAttempt = new Float64Array(l);
    this.lastAttempt = new Float64Array(l);
    this.linkMac = new Float64Array(l);
    this.linkTrust = new Uint8Array(l);
    this.olderLink = new Int32Array(l);
    this.newerLink = new Int32Array(l);
    this.olderUnverified = new Int32Array(l);
    this.newerUnverified = new Int32Array(l);
    this.linkIndex = new KeyIndex(l);
  }

  get serverCount(): number {
    return this.serverBump - this.freeServerCount;
  }

  /** Slots to look at when walking the table: every slot ever used lies below. */
  get serverSlots(): number {
    return this.serverBump;
  }

  get linkCount(): number {
    return this.usedLinks;
  }

  /** The slot of a server by its address-pool id (NIL for none), or NIL. */
  findServer(address: number): number {
    return address < 0 ? NIL : this.slotByAddress[address] - 1;
  }

  /** Adds a server in state Down; NIL when all server slots are taken. */
  addServer(address: number, t: number, cause: number): number {
    let slot: number;
    if (this.freeServerCount > 0) slot = this.freeServers[--this.freeServerCount];
    else if (this.serverBump < this.capacity.servers) slot = this.serverBump++;
    else return NIL;
    this.pool.retain(address);
    this.serverAddr[slot] = address;
    this.serverState[slot] = ServerState.Down;
    this.serverFirst[slot] = NIL;
    this.serverLast[slot] = NIL;
    this.serverLinks[slot] = 0;
    this.serverNewestUnverified[slot] = NIL;
    this.downSince[slot] = t;
    this.downCause[slot] = cause;
    this.holdUntil[slot] = 0;
    this.slotByAddress[address] = slot + 1;
    return slot;
  }

  /**
   * The server is back and its devices are being told: its slot is no longer found by address
   * (findServer), while its list stays until removeServer.
   */
  beginTelling(slot: number): void {
    this.serverState[slot] = ServerState.Telling;
    this.slotByAddress[this.serverAddr[slot]] = 0;
  }

  /** Frees a server and every link of its list. */
  removeServer(slot: number): void {
    let link = this.serverFirst[slot];
    while (link !== NIL) {
      const next = this.linkNext[link];
      this.releaseLink(link);
      link = next;
    }
    const address = this.serverAddr[slot];
    if (this.slotByAddress[address] === slot + 1) this.slotByAddress[address] = 0;
    this.serverState[slot] = ServerState.Free;
    this.serverFirst[slot] = NIL;
    this.serverLast[slot] = NIL;
    this.serverLinks[slot] = 0;
    this.freeServers[this.freeServerCount++] = slot;
    this.pool.release(address);
  }

  /** The link of (server, client) by the client's address-pool id, or NIL. */
  findLink(slot: number, client: number): number {
    return client < 0 ? NIL : this.linkIndex.get(this.serverAddr[slot], client);
  }

  /**
   * The registration that must go before `slot` can take one more client, or NIL when there
   * is room. When the server reached its cap (serverCapped): its newest unverified link, else
   * its oldest; when no link is free: the newest unverified link of the table, else the oldest.
   */
  victimFor(slot: number): number {
    if (this.serverCapped(slot)) {
      const unverified = this.serverNewestUnverified[slot];
      return unverified !== NIL ? unverified : this.serverFirst[slot];
    }
    if (this.linkBump === this.capacity.links && this.freeFirst === NIL) {
      const unverified = this.newestOf[Trust.Unverified];
      return unverified !== NIL ? unverified : this.oldestOf[Trust.Verified];
    }
    return NIL;
  }

  serverCapped(slot: number): boolean {
    return this.serverLinks[slot] >= this.capacity.linksPerServer;
  }

  /**
   * Links a client (address-pool id) to a down server (P5) and returns the link. The caller
   * checked findLink and made room (victimFor): linking twice or over capacity is a caller error.
   */
  addLink(slot: number, client: number, t: number, mac: number, trust: Trust = Trust.Unverified): number {
    if (this.victimFor(slot) !== NIL) throw new Error('OutageTable.addLink: no room (call victimFor first)');
    let link: number;
    if (this.freeFirst !== NIL) {
      link = this.freeFirst;
      this.freeFirst = this.linkNext[link];
      if (this.freeFirst === NIL) this.freeLast = NIL;
    } else {
      link = this.linkBump++;
    }

    this.pool.retain(client);
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
    this.linkTrust[link] = trust;
    this.appendAged(link, trust);
    if (trust === Trust.Unverified) this.appendUnverified(slot, link);

    this.linkIndex.set(this.serverAddr[slot], client, 0, link);
    this.usedLinks++;
    return link;
  }

  /** Removes one link from its server's list and returns it to the free list (71c). */
  removeLink(link: number): void {
    this.releaseLink(link);
  }

  /** Marks a link's client as seen for real: it becomes the newest verified link. */
  verify(link: number): void {
    if (this.linkTrust[link] === Trust.Verified) return;
    this.unlinkAged(link);
    this.unlinkUnverified(link);
    this.linkTrust[link] = Trust.Verified;
    this.appendAged(link, Trust.Verified);
  }

  /** The oldest link of one trust in the whole table, or NIL. */
  oldest(trust: Trust): number {
    return this.oldestOf[trust];
  }

  /** The next newer link of the same trust after `link`, or NIL. */
  newer(link: number): number {
    return this.newerLink[link];
  }

  /** Adds one per address-pool id this table holds to `refs` (for invariant checks). */
  countReferences(refs: Int32Array): void {
    for (let slot = 0; slot < this.serverBump; slot++) {
      if (this.serverState[slot] === ServerState.Free) continue;
      refs[this.serverAddr[slot]]++;
      for (let link = this.serverFirst[slot]; link !== NIL; link = this.linkNext[link]) refs[this.linkClient[link]]++;
    }
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

    this.unlinkAged(link);
    if (this.linkTrust[link] === Trust.Unverified) this.unlinkUnverified(link);

    const client = this.linkClient[link];
    this.linkIndex.delete(this.serverAddr[slot], client);
    this.linkServer[link] = NIL;
    this.linkPrev[link] = NIL;
    // 71c keeps first and last; a link given back goes first, so the next one taken is the one
    // whose rows are still in the caches.
    this.linkNext[link] = this.freeFirst;
    if (this.freeFirst === NIL) this.freeLast = link;
    this.freeFirst = link;
    this.usedLinks--;
    this.pool.release(client);
  }

  private appendAged(link: number, trust: Trust): void {
    const newest = this.newestOf[trust];
    this.olderLink[link] = newest;
    this.newerLink[link] = NIL;
    if (newest === NIL) this.oldestOf[trust] = link;
    else this.newerLink[newest] = link;
    this.newestOf[trust] = link;
  }

  private unlinkAged(link: number): void {
    const trust = this.linkTrust[link];
    const older = this.olderLink[link];
    const newer = this.newerLink[link];
    if (older === NIL) this.oldestOf[trust] = newer;
    else this.newerLink[older] = newer;
    if (newer === NIL) this.newestOf[trust] = older;
    else this.olderLink[newer] = older;
  }

  private appendUnverified(slot: number, link: number): void {
    const newest = this.serverNewestUnverified[slot];
    this.olderUnverified[link] = newest;
    this.newerUnverified[link] = NIL;
    if (newest !== NIL) this.newerUnverified[newest] = link;
    this.serverNewestUnverified[slot] = link;
  }

  private unlinkUnverified(link: number): void {
    const older = this.olderUnverified[link];
    const newer = this.newerUnverified[link];
    if (older !== NIL) this.newerUnverified[older] = newer;
    if (newer === NIL) this.serverNewestUnverified[this.linkServer[link]] = older;
    else this.olderUnverified[newer] = older;
  }

  /**
   * Checks that server lists and the free list partition the pool, that counts, indexes and
   * the registration-order list agree. Returns the problems found (empty when sound).
   * For tests: it walks everything.
   */
  /** The link index's renewal after a burst of links (KeyIndex.renewIfSparse): bytes now garbage. */
  renewIfSparse(): number {
    return this.linkIndex.renewIfSparse();
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    const seen = new Uint8Array(this.capacity.links);
    let listed = 0;
    let servers = 0;
    for (let slot = 0; slot < this.serverBump; slot++) {
      if (this.serverState[slot] === ServerState.Free) continue;
      servers++;
      const indexed = this.serverState[slot] === ServerState.Telling ? NIL : slot; // a slot being told is found by nobody
      if (this.findServer(this.serverAddr[slot]) !== indexed) problems.push(`server slot ${slot} not indexed as it should be`);
      if (this.pool.references(this.serverAddr[slot]) <= 0) problems.push(`server slot ${slot} holds a freed address id`);
      let count = 0;
      let prev = NIL;
      for (let link = this.serverFirst[slot]; link !== NIL; link = this.linkNext[link]) {
        if (link >= this.linkBump) { problems.push(`link ${link} was never handed out`); break; }
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
    const neverUsed = this.capacity.links - this.linkBump;
    if (free + listed + neverUsed !== this.capacity.links) problems.push(`leak: ${this.capacity.links - free - listed - neverUsed} links in no list`);
    let aged = 0;
    for (const trust of [Trust.Unverified, Trust.Verified]) {
      let older = NIL;
      for (let link = this.oldestOf[trust]; link !== NIL && aged <= this.capacity.links; link = this.newerLink[link]) {
        aged++;
        if (this.linkTrust[link] !== trust) problems.push(`link ${link} is in the age list of the other trust`);
        if (this.olderLink[link] !== older) problems.push(`link ${link} has a wrong older link`);
        older = link;
      }
      if (this.newestOf[trust] !== older) problems.push(`age list ${trust} has a wrong newest link`);
    }
    if (aged !== this.usedLinks) problems.push(`age lists hold ${aged}, count says ${this.usedLinks}`);
    for (let slot = 0; slot < this.serverBump; slot++) {
      if (this.serverState[slot] === ServerState.Free) continue;
      let unverified = 0;
      let expected = 0;
      for (let link = this.serverFirst[slot]; link !== NIL; link = this.linkNext[link]) if (this.linkTrust[link] === Trust.Unverified) expected++;
      for (let link = this.serverNewestUnverified[slot]; link !== NIL && unverified <= expected; link = this.olderUnverified[link]) {
        unverified++;
        if (this.linkServer[link] !== slot || this.linkTrust[link] !== Trust.Unverified) problems.push(`link ${link} wrongly in server slot ${slot}'s unverified list`);
      }
      if (unverified !== expected) problems.push(`server slot ${slot} lists ${unverified} unverified links, has ${expected}`);
    }
    if (servers !== this.serverCount) problems.push(`${servers} servers in use, count says ${this.serverCount}`);
    return problems;
  }
}
