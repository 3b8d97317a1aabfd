// The rules of the method (P1-P10), free of I/O: observations and signals come in with their
// time, decisions go out through a sink. The same input always gives the same decisions.
//
// Addresses of both families live in one address pool; the tables hold its ids. Packet
// observations arrive as numbers (IPv4) or as 16 bytes inside the frame (IPv6) and are
// interned without copying; signals from outside the packet path (neighbour table, traps,
// probes, the stand-in) come as IpAddress. Decisions leave as numbers (DecisionSink) and become
// objects only for a DecisionListener (decision-objects.ts).

import { formatMac } from '../net/mac';
import { isV4Mapped, prefixHolds, prefixHoldsV4, type IpAddress, type IpPrefix } from '../net/ip';
import { isLinkLocalIPv6, isUnspecifiedIPv6 } from '../net/ipv6';
import type { Observations } from '../net/observations';
import { AddressPool, NO_ADDRESS } from './address-pool';
import { ClientNetworks } from './client-networks';
import { Contacts } from './contacts';
import { DecisionObjects } from './decision-objects';
import {
  DOWN, DOWN_CAUSES, EXPIRY, EXPIRY_CAUSES, HOST_LEVEL_DOWN, RECOVERY, RECOVERY_CAUSES, SERVICE_LEVEL_RECOVERY,
  type ClientExpiryCause, type DecisionListener, type DecisionSink, type DownCause, type RecoveryCause,
} from './decisions';
import { DeviceGrouping } from './devices';
import { ANY_MAC, NeighbourBindings } from './neighbour-bindings';
import { NIL, OutageTable, ServerState, Trust } from './outages';
import { MAX_ROUTER_ADDRESSES, Reporter, RouterAddresses, type RouterAddress } from './router-addresses';
import { ServerGroups } from './server-groups';
import { OutagesCopy, type OutageView } from './state-copy';
import { SynTracker } from './syn-tracker';
import { UnansweredQuestions } from './unanswered';

export interface EngineOptions {
  readonly synTimeout: number;
  readonly arpRetries: number;
  /** ICMP destination-unreachable codes (type 3) that mean the server is down. */
  readonly icmpCodes: readonly number[];
  /** ICMPv6 destination-unreachable codes (type 1) that mean the server is down. */
  readonly icmp6Codes: readonly number[];
  readonly maxAttemptAge: number;
  readonly purgeInterval: number;
  readonly hold: number;
  readonly maxServers: number;
  readonly maxLinks: number;
  readonly maxLinksPerServer: number;
  readonly maxPendingSyns: number;
  readonly maxContacts: number;
  readonly requireContact: boolean;
  /** Watched servers: these addresses and networks (either family); both empty = every server seen. */
  readonly servers: readonly IpAddress[];
  readonly networks: readonly IpPrefix[];
  /** Client networks (either family): only clients inside one are registered; empty = every client. */
  readonly clientNetworks: readonly IpPrefix[];
  /**
   * The addresses of each server reached at more than one (a dual-stack host): when one of its
   * outages recovers, its other down addresses recover with it and each device is told once.
   */
  readonly serverGroups: readonly (readonly IpAddress[])[];
  /**
   * The router's own addresses (either family): the only sources whose ICMP errors count (P3).
   * Empty: every ICMP error is counted as forged until setRouterAddresses names them.
   */
  readonly routerAddresses: readonly RouterAddress[];
  /**
   * Devices a recovery tells within the call that recovers it; the rest are told by tellMore(),
   * or all at once before the engine makes its next decision. 0: every device in that call.
   */
  readonly tellAtOnce: number;
}

export const defaultEngineOptions: EngineOptions = {
  synTimeout: 30,
  arpRetries: 3,
  icmpCodes: [0, 1, 5, 6, 7, 11, 12],
  // RFC 4443 3.1: 0 no route to destination (as IPv4's 0), 3 address unreachable (neighbour
  // discovery failed: the host is gone, as IPv4's 1).
  icmp6Codes: [0, 3],
  maxAttemptAge: 86400,
  purgeInterval: 300,
  hold: 0,
  maxServers: 1024,
  maxLinks: 65536,
  maxLinksPerServer: 8192,
  maxPendingSyns: 65536,
  maxContacts: 65536,
  requireContact: false,
  servers: [],
  networks: [],
  clientNetworks: [],
  serverGroups: [],
  routerAddresses: [],
  tellAtOnce: 0,
};

/** Seconds between two ARP requests (or solicitations) for them to count as two tries (the kernel waits ~1 s). */
const ARP_RETRANSMIT_MIN = 0.5;
/** Ids an operation holds for itself at most at once (its own temporary references). */
const TEMPORARY_REFERENCES = 8;

/** Makes the engine's sink once its address pool exists (PacedDecisions is one). */
export interface DecisionSinkFactory {
  sinkFor(pool: AddressPool): DecisionSink;
}

export interface EngineCounters {
  downs: Record<DownCause, number>;
  recoveries: Record<RecoveryCause, number>;
  attempts: number;
  /** Devices told (one per device, whatever number of addresses it tried from). */
  notices: number;
  noContact: number;
  expired: number;
  /** Registrations dropped without a notice, by why. */
  dropped: Record<ClientExpiryCause, number>;
  evictions: { 'table-full': number; 'server-cap': number };
  /** The same evictions by the trust of the client that went (outages.ts). */
  evicted: { verified: number; unverified: number };
  /** Attempts from addresses outside the client networks: never registered. */
  refusedOffNetwork: number;
  /** Whole outages pushed out of a full server table (expired, cause 'evicted'). */
  outagesEvicted: number;
  serversFull: number;
  flaps: number;
  icmpOtherCode: number;
  /** ICMP / ICMPv6 errors not from the router, counted and not acted on: the IP source is not a
   *  router address, or the frame's Ethernet source is not the router's MAC. */
  icmpForged: { address: number; mac: number };
  unwatched: number;
  refusedNoContact: number;
  /** IPv6 observations about addresses that are never a server or a client here: link-local
   *  servers, duplicate-address-detection probes, multicast, unspecified or IPv4-mapped addresses. */
  ipv6Ignored: number;
  /** Observations dropped because the address pool was full (never, when sized as the tables). */
  addressPoolFull: number;
}

export type { OutageView } from './state-copy';

export class Engine implements Observations {
  readonly options: EngineOptions;
  readonly pool: AddressPool;
  readonly outages: OutageTable;
  readonly syns: SynTracker;
  readonly contacts: Contacts;
  /** Clients seen as real hosts: their registrations are evicted last. */
  readonly bindings: NeighbourBindings;
  /** Whose ICMP errors count. */
  readonly router: RouterAddresses;
  readonly counters: EngineCounters;
  /** Unanswered ARP requests and neighbour solicitations per target. */
  private readonly questions: UnansweredQuestions;
  private readonly sink: DecisionSink;
  private readonly icmpDown = new Uint8Array(256);
  private readonly icmp6Down = new Uint8Array(256);
  private readonly hostLevelDown = new Uint8Array(DOWN_CAUSES.length);
  private readonly serviceLevelRecovery = new Uint8Array(RECOVERY_CAUSES.length);
  private readonly watchAll: boolean;
  private readonly watchedV4 = new Set<number>();
  private readonly networksV4: readonly IpPrefix[];
  /** Watched IPv6 servers (as /128) and networks. */
  private readonly watchedV6: readonly IpPrefix[];
  private clientNetworks: ClientNetworks;
  /** Waiting addresses as devices, at recovery. */
  private readonly devices: DeviceGrouping;
  /** The other addresses of servers reached at several. */
  private readonly groups: ServerGroups;
  /** The outage slots of one recovery: the one that recovered, then its server's other addresses. */
  private readonly recovering: Int32Array;
  private holding = 0;
  private nextPurge = -Infinity;
  private now = -Infinity;
  /** The down server whose pending SYNs are being taken, and when (see takePending). */
  private takingSlot = NIL;
  private takingAt = 0;
  /**
   * A recovery still telling its devices (tellAtOnce): its outages are `recovering[0, tellCount)`
   * (0: none), the one being told is `tellIndex` and its next link `tellLink`; every device is
   * told with `tellT` and expired before `tellOldest`.
   */
  private tellCount = 0;
  private tellIndex = 0;
  private tellLink = NIL;
  private tellT = 0;
  private tellOldest = 0;
  /** The sink was told that the telling goes on after the recovery's call (tellingStarted). */
  private tellingSaid = false;
  /** Inside tellSome: a sink calling back into the engine does not start another. */
  private inTelling = false;

  /**
   * `out`: a DecisionListener gets Decision objects; a DecisionSink gets the numbers; a factory
   * makes the sink for this engine's address pool (PacedDecisions).
   */
  constructor(options: EngineOptions, out: DecisionListener | DecisionSink | DecisionSinkFactory) {
    this.options = options;
    // Every table row holds at most one reference per address it stores, so this never runs out.
    this.pool = new AddressPool(
      options.maxServers /* 71a */ + options.maxServers /* questions */ + options.maxLinks +
      2 * options.maxPendingSyns + options.maxContacts + options.maxLinks /* bindings */ + MAX_ROUTER_ADDRESSES +
      ServerGroups.addressesOf(options.serverGroups) + TEMPORARY_REFERENCES,
    );
    this.sink = typeof out === 'function' ? new DecisionObjects(this.pool, out) : 'sinkFor' in out ? out.sinkFor(this.pool) : out;
    this.outages = new OutageTable({
      servers: options.maxServers,
      links: options.maxLinks,
      linksPerServer: options.maxLinksPerServer,
    }, this.pool);
    this.syns = new SynTracker(options.maxPendingSyns, this.pool);
    this.contacts = new Contacts(options.maxContacts, this.pool);
    this.bindings = new NeighbourBindings(options.maxLinks, this.pool);
    this.clientNetworks = new ClientNetworks(options.clientNetworks);
    this.questions = new UnansweredQuestions(options.maxServers, this.pool);
    this.router = new RouterAddresses(this.pool, MAX_ROUTER_ADDRESSES);
    this.router.set(options.routerAddresses);
    for (const code of options.icmpCodes) this.icmpDown[code & 255] = 1;
    for (const code of options.icmp6Codes) this.icmp6Down[code & 255] = 1;
    for (const cause of HOST_LEVEL_DOWN) this.hostLevelDown[DOWN[cause]] = 1;
    for (const cause of SERVICE_LEVEL_RECOVERY) this.serviceLevelRecovery[RECOVERY[cause]] = 1;
    const v6: IpPrefix[] = [];
    for (const s of options.servers) {
      if (s.family === 4) this.watchedV4.add(s.v4);
      else v6.push({ family: 6, bytes: s.bytes, length: 128, v4: -1, text: `${s.text}/128` });
    }
    this.networksV4 = options.networks.filter((n) => n.family === 4);
    this.watchedV6 = [...v6, ...options.networks.filter((n) => n.family === 6)];
    this.watchAll = options.servers.length === 0 && options.networks.length === 0;
    this.groups = new ServerGroups(this.pool, options.serverGroups);
    this.recovering = new Int32Array(this.groups.largest);
    this.devices = new DeviceGrouping(options.maxLinksPerServer * this.groups.largest, options.maxLinks, this.outages, this.pool, this.contacts);
    this.counters = {
      downs: countersOf(DOWN_CAUSES),
      recoveries: countersOf(RECOVERY_CAUSES),
      attempts: 0,
      notices: 0,
      noContact: 0,
      expired: 0,
      dropped: countersOf(EXPIRY_CAUSES.filter((c): c is ClientExpiryCause => c !== 'evicted')),
      evictions: { 'table-full': 0, 'server-cap': 0 },
      evicted: { verified: 0, unverified: 0 },
      refusedOffNetwork: 0,
      outagesEvicted: 0,
      serversFull: 0,
      flaps: 0,
      icmpOtherCode: 0,
      icmpForged: { address: 0, mac: 0 },
      unwatched: 0,
      refusedNoContact: 0,
      ipv6Ignored: 0,
      addressPoolFull: 0,
    };
  }

  /** Is this address one of the servers we watch? (Never an IPv6 link-local one.) */
  watches(server: IpAddress): boolean {
    return server.family === 4 ? this.watchesV4(server.v4) : usableServer6(server.bytes, 0) && this.watchesV6(server.bytes, 0);
  }

  /**
   * Replaces the client networks (the default ones follow the client devices' addresses, which
   * may come later than the daemon, as a delegated IPv6 prefix does). Clients already waiting stay.
   */
  setClientNetworks(networks: readonly IpPrefix[]): void {
    this.clientNetworks = new ClientNetworks(networks);
  }

  /**
   * Replaces the router's addresses (the kernel's list changed, or a reload); returns how many
   * did not fit.
   */
  setRouterAddresses(addresses: readonly RouterAddress[]): number {
    return this.router.set(addresses);
  }

  /** Is the server down (or holding) right now? */
  isDown(server: IpAddress): boolean {
    return this.outages.findServer(this.pool.find(server)) !== NIL;
  }

  /** When the server's outage began, or null when it is not down. */
  downSince(server: IpAddress): number | null {
    const slot = this.outages.findServer(this.pool.find(server));
    return slot === NIL ? null : this.outages.downSince[slot];
  }

  // ---- Observations (from the packet decoders) ----

  syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.advance(t);
    if (!this.watchesV4(server)) { this.counters.unwatched++; return; }
    if (!this.clientNetworks.holdsV4(client)) { this.counters.refusedOffNetwork++; return; }
    const c = this.pool.acquireV4(client);
    const s = this.pool.acquireV4(server);
    this.synFrom(t, c, s, sport, dport, seq, clientMac);
  }

  synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    this.advance(t);
    const s = this.pool.findV4(server);
    if (s === NO_ADDRESS) return; // nothing pending for it, and it is not down
    this.syns.synAck(s, this.pool.findV4(client), sport, dport, ack);
    this.alive(t, s, RECOVERY['syn-ack']);
  }

  reset(t: number, server: number, client: number, sport: number, dport: number): void {
    this.advance(t);
    const s = this.pool.findV4(server);
    if (s !== NO_ADDRESS) this.resetFrom(t, s, this.pool.findV4(client), sport, dport);
  }

  icmpUnreachable(t: number, reporter: number, reporterMac: number, client: number, server: number, code: number, _proto: number, sport: number, dport: number): void {
    this.advance(t);
    if (this.forged(this.pool.findV4(reporter), reporterMac)) return;
    if (!this.watchesV4(server)) { this.counters.unwatched++; return; }
    if (!this.icmpDown[code & 255]) { this.counters.icmpOtherCode++; return; }
    this.unreachable(t, this.pool.acquireV4(client), this.pool.acquireV4(server), sport, dport);
  }

  arpRequest(t: number, sender: number, target: number): void {
    this.advance(t);
    // A request from a down server is a sign of life as good as a reply.
    const s = this.pool.findV4(sender);
    if (this.outages.findServer(s) !== NIL) this.alive(t, s, RECOVERY['arp-reply']);
    if (!this.watchesV4(target)) return;
    this.asked(t, this.pool.acquireV4(target), DOWN['arp-silence']);
  }

  arpReply(t: number, sender: number, senderMac: number): void {
    this.advance(t);
    if (senderMac !== 0 && this.clientNetworks.holdsV4(sender)) this.bindId(this.pool.acquireV4(sender), senderMac);
    const s = this.pool.findV4(sender);
    if (s === NO_ADDRESS) return;
    this.alive(t, s, RECOVERY['arp-reply']); // P8
    this.questions.forget(s);
  }

  syn6(t: number, bytes: Uint8Array, clientOff: number, serverOff: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.advance(t);
    if (!usableServer6(bytes, serverOff) || !usableClient6(bytes, clientOff)) { this.counters.ipv6Ignored++; return; }
    if (!this.watchesV6(bytes, serverOff)) { this.counters.unwatched++; return; }
    if (!this.clientNetworks.holdsV6(bytes, clientOff)) { this.counters.refusedOffNetwork++; return; }
    const c = this.pool.acquireBytes(bytes, clientOff);
    const s = this.pool.acquireBytes(bytes, serverOff);
    this.synFrom(t, c, s, sport, dport, seq, clientMac);
  }

  synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void {
    this.advance(t);
    if (isV4Mapped(bytes, serverOff) || isV4Mapped(bytes, clientOff)) { this.counters.ipv6Ignored++; return; }
    const s = this.pool.findBytes(bytes, serverOff);
    if (s === NO_ADDRESS) return;
    this.syns.synAck(s, this.pool.findBytes(bytes, clientOff), sport, dport, ack);
    this.alive(t, s, RECOVERY['syn-ack']);
  }

  reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void {
    this.advance(t);
    if (isV4Mapped(bytes, serverOff) || isV4Mapped(bytes, clientOff)) { this.counters.ipv6Ignored++; return; }
    const s = this.pool.findBytes(bytes, serverOff);
    if (s !== NO_ADDRESS) this.resetFrom(t, s, this.pool.findBytes(bytes, clientOff), sport, dport);
  }

  icmp6Unreachable(t: number, bytes: Uint8Array, reporterOff: number, reporterMac: number, clientOff: number, serverOff: number, code: number, _proto: number, sport: number, dport: number): void {
    this.advance(t);
    if (this.forged(this.pool.findBytes(bytes, reporterOff), reporterMac)) return;
    if (!usableServer6(bytes, serverOff) || !usableClient6(bytes, clientOff)) { this.counters.ipv6Ignored++; return; }
    if (!this.watchesV6(bytes, serverOff)) { this.counters.unwatched++; return; }
    if (!this.icmp6Down[code & 255]) { this.counters.icmpOtherCode++; return; }
    this.unreachable(t, this.pool.acquireBytes(bytes, clientOff), this.pool.acquireBytes(bytes, serverOff), sport, dport);
  }

  neighbourSolicit(t: number, bytes: Uint8Array, senderOff: number, targetOff: number): void {
    this.advance(t);
    // Duplicate address detection (from ::) asks about the sender's own new address.
    if (isUnspecifiedIPv6(bytes, senderOff)) { this.counters.ipv6Ignored++; return; }
    // A solicitation from a down server is a sign of life as good as an advertisement.
    if (!isV4Mapped(bytes, senderOff)) {
      const s = this.pool.findBytes(bytes, senderOff);
      if (this.outages.findServer(s) !== NIL) this.alive(t, s, RECOVERY['nd-advert']);
    }
    if (!usableServer6(bytes, targetOff)) { this.counters.ipv6Ignored++; return; }
    if (!this.watchesV6(bytes, targetOff)) return;
    this.asked(t, this.pool.acquireBytes(bytes, targetOff), DOWN['nd-silence']);
  }

  neighbourAdvert(t: number, bytes: Uint8Array, targetOff: number, targetMac: number): void {
    this.advance(t);
    if (isV4Mapped(bytes, targetOff)) { this.counters.ipv6Ignored++; return; }
    if (targetMac !== 0 && usableClient6(bytes, targetOff) && this.clientNetworks.holdsV6(bytes, targetOff)) {
      this.bindId(this.pool.acquireBytes(bytes, targetOff), targetMac);
    }
    const s = this.pool.findBytes(bytes, targetOff);
    if (s === NO_ADDRESS) return;
    this.alive(t, s, RECOVERY['nd-advert']); // P8
    this.questions.forget(s);
  }

  // ---- Other signals (kernel neighbour table, SNMP traps, probes, the stand-in) ----

  neighbour(t: number, address: IpAddress, state: 'FAILED' | 'REACHABLE'): void {
    this.advance(t);
    if (state === 'REACHABLE') {
      const s = this.pool.find(address);
      if (s === NO_ADDRESS) return;
      this.alive(t, s, RECOVERY['neigh-reachable']);
      this.questions.forget(s);
    } else if (this.watches(address)) {
      this.markDownId(t, this.pool.acquire(address), DOWN['neigh-failed']);
    }
  }

  /**
   * The router's own neighbour table confirmed `address` (REACHABLE): a real host, whatever
   * frame claims otherwise. Its registrations count as verified.
   */
  bound(t: number, address: IpAddress): void {
    this.advance(t);
    if (address.family === 4 ? this.clientNetworks.holdsV4(address.v4) : this.clientNetworks.holdsV6(address.bytes, 0)) {
      this.bindId(this.pool.acquire(address), ANY_MAC);
    }
  }

  /** P7 (trap) or a successful active probe: the server is back. */
  recoverySignal(t: number, server: IpAddress, cause: 'trap' | 'probe'): void {
    this.advance(t);
    const s = this.pool.find(server);
    if (s !== NO_ADDRESS) this.alive(t, s, RECOVERY[cause]);
  }

  /** Marks a server down on an outside word (tools, tests, a stand-in driver). */
  markDown(t: number, server: IpAddress, cause: DownCause): void {
    this.advance(t);
    this.markDownId(t, this.pool.acquire(server), DOWN[cause]);
  }

  /** Registers a client's attempt on a down server (the stand-in page does this, P11). */
  registerAttempt(t: number, server: IpAddress, client: IpAddress, mac: number): boolean {
    this.advance(t);
    const slot = this.outages.findServer(this.pool.find(server));
    if (slot === NIL || this.outages.serverState[slot] !== ServerState.Down) return false;
    const c = this.pool.acquire(client);
    if (c === NO_ADDRESS) { this.counters.addressPoolFull++; return false; }
    this.attempt(slot, c, t, mac);
    const linked = this.outages.findLink(slot, c) !== NIL;
    this.pool.release(c);
    return linked;
  }

  /** The MAC `client` was first seen with while waiting for `server` (0: not waiting, or not known). */
  waitingMac(server: IpAddress, client: IpAddress): number {
    const slot = this.outages.findServer(this.pool.find(server));
    const c = this.pool.find(client);
    if (slot === NIL || c === NO_ADDRESS) return 0;
    const link = this.outages.findLink(slot, c);
    return link === NIL ? 0 : this.outages.linkMac[link];
  }

  /** Lets time pass: SYN timeouts, the end of hold times, the periodic purge (P10). */
  tick(t: number): void {
    this.advance(t);
  }

  /** A recovery is still telling its devices (tellAtOnce): tellMore() goes on with it. */
  get telling(): boolean {
    return this.tellCount > 0;
  }

  /**
   * Tells the devices of the recovery in progress: at least one, then while `more()` says so.
   * Returns whether some are still to be told. The engine tells the rest itself before its next
   * decision, so the decisions come in the same order as when a recovery tells all at once.
   */
  tellMore(more: () => boolean): boolean {
    if (this.tellCount > 0) this.tellSome(more);
    return this.tellCount > 0;
  }

  // ---- Restoring saved state (state.ts) ----

  /**
   * Puts back a saved outage (state Down); returns its slot, or NIL when it is already there or
   * the server table is full. A saved outage that does not fit ends here: it is reported as
   * expired (cause 'evicted') at `t`, like one pushed out at run time.
   */
  restoreOutage(t: number, server: IpAddress, since: number, cause: DownCause): number | 'duplicate' {
    this.settle();
    const s = this.pool.acquire(server);
    if (s === NO_ADDRESS) { this.counters.addressPoolFull++; return NIL; }
    let slot: number | 'duplicate' = this.outages.findServer(s);
    if (slot !== NIL) slot = 'duplicate';
    else {
      slot = this.outages.addServer(s, since, DOWN[cause]);
      if (slot === NIL) {
        this.counters.outagesEvicted++;
        this.sink.evicted(t, s, since);
      }
    }
    this.pool.release(s);
    return slot;
  }

  /** Puts back a saved waiting client of a restored outage; making room evicts as at run time. */
  restoreClient(t: number, slot: number, client: IpAddress, firstAttempt: number, lastAttempt: number, mac: number): void {
    this.settle();
    const c = this.pool.acquire(client);
    if (c === NO_ADDRESS) { this.counters.addressPoolFull++; return; }
    if (this.outages.findLink(slot, c) === NIL) {
      this.makeRoom(slot, t);
      const link = this.outages.addLink(slot, c, firstAttempt, mac);
      this.outages.lastAttempt[link] = lastAttempt;
    }
    this.pool.release(c);
  }

  // ---- Views ----

  /** The servers down now and who waits for them (a recovery still telling is not among them). */
  outageList(): OutageView[] {
    return new OutagesCopy(this.outages, this.pool).views();
  }

  /**
   * The outage table at this instant, formatted later (the state file is written from it); a
   * recovery still telling tells the rest first, so no waiting client is left out of the copy.
   */
  copyOutages(): OutagesCopy {
    this.settle();
    return new OutagesCopy(this.outages, this.pool);
  }

  /**
   * After a burst (a recovery of thousands, a flood) has come and gone, the hash indexes left
   * mostly empty move their keys into fresh arrays (sparse.ts): the pages the burst touched are
   * given back once the old arrays are collected. Returns the bytes that became garbage, 0 when
   * no index was sparse. The daemon calls it when its heap is quiet (daemon/heap-trim.ts).
   */
  renewSparseIndexes(): number {
    this.settle();
    return this.pool.renewIfSparse() + this.outages.renewIfSparse() + this.syns.renewIfSparse();
  }

  /**
   * For tests: the tables' and the pool's invariants, including that every address-pool
   * reference is held by exactly one table row. Returns the problems found.
   */
  checkInvariants(): string[] {
    this.settle();
    const refs = new Int32Array(this.pool.capacity);
    this.outages.countReferences(refs);
    this.syns.countReferences(refs);
    this.questions.countReferences(refs);
    this.contacts.countReferences(refs);
    this.bindings.countReferences(refs);
    this.router.countReferences(refs);
    this.groups.countReferences(refs);
    return [...this.outages.checkInvariants(), ...this.pool.checkInvariants(refs)];
  }

  // ---- The rules ----

  private watchesV4(server: number): boolean {
    if (this.watchAll || this.watchedV4.has(server >>> 0)) return true;
    for (const net of this.networksV4) if (prefixHoldsV4(net, server)) return true;
    return false;
  }

  private watchesV6(bytes: Uint8Array, off: number): boolean {
    if (this.watchAll) return true;
    for (const net of this.watchedV6) if (prefixHolds(net, bytes, off)) return true;
    return false;
  }

  /** An ICMP error whose source (pool id `reporter`, frame MAC) is not the router's: counted. */
  private forged(reporter: number, mac: number): boolean {
    const said = this.router.check(reporter, mac);
    if (said === Reporter.Router) return false;
    if (said === Reporter.ForgedAddress) this.counters.icmpForged.address++;
    else this.counters.icmpForged.mac++;
    return true;
  }

  /** A SYN from client `c` to server `s` (temporary references, released here). */
  private synFrom(t: number, c: number, s: number, sport: number, dport: number, seq: number, clientMac: number): void {
    if (c !== NO_ADDRESS && s !== NO_ADDRESS) {
      const slot = this.outages.findServer(s);
      if (slot !== NIL && this.outages.serverState[slot] === ServerState.Down) {
        this.attempt(slot, c, t, clientMac); // P4: later SYNs to a down server register at once
      } else {
        // Trust is looked up only when it decides something: a full table.
        this.syns.syn(t, c, s, sport, dport, seq, clientMac, !this.syns.full || this.verified(c, clientMac));
      }
    }
    this.releaseTemporary(c, s);
  }

  private resetFrom(t: number, s: number, c: number, sport: number, dport: number): void {
    this.syns.answered(s, c, dport, sport);
    const slot = this.outages.findServer(s);
    if (slot !== NIL && this.hostLevelDown[this.outages.downCause[slot]]) this.alive(t, s, RECOVERY.reset);
  }

  /** P3: an ICMP / ICMPv6 error says `s` is unreachable for `c` (temporary references, released here). */
  private unreachable(t: number, c: number, s: number, sport: number, dport: number): void {
    if (c !== NO_ADDRESS && s !== NO_ADDRESS) {
      // The error quotes the client's packet but not its MAC; the SYN it answers knew it.
      const mac = this.syns.answered(s, c, sport, dport);
      this.down(t, s, DOWN['icmp-unreachable'], t, c, mac);
    }
    this.releaseTemporary(c, s);
  }

  /** An unanswered ARP request or neighbour solicitation for `target` (a temporary reference). */
  private asked(t: number, target: number, cause: number): void {
    if (target === NO_ADDRESS) { this.counters.addressPoolFull++; return; }
    const q = this.questions;
    const entry = q.find(target);
    if (entry === NIL) {
      q.add(target, t);
      if (this.options.arpRetries > 1) { this.pool.release(target); return; }
    } else {
      // The kernel retransmits about once a second; copies of one request (a capture on
      // 'any' sees it on the bridge and on the port) must not count as several.
      if (t - q.last[entry] < ARP_RETRANSMIT_MIN) { this.pool.release(target); return; }
      q.count[entry]++;
      q.last[entry] = t;
      if (q.count[entry] < this.options.arpRetries) { this.pool.release(target); return; }
    }
    if (this.outages.findServer(target) === NIL) this.down(t, target, cause);
    this.pool.release(target);
  }

  private markDownId(t: number, s: number, cause: number): void {
    if (s === NO_ADDRESS) { this.counters.addressPoolFull++; return; }
    this.down(t, s, cause);
    this.pool.release(s);
  }

  private bindId(id: number, mac: number): void {
    if (id === NO_ADDRESS) { this.counters.addressPoolFull++; return; }
    this.bindings.bind(id, mac);
    this.pool.release(id);
  }

  /** A client seen as a real host (bound by the neighbour table) or known by address to the contacts. */
  private verified(client: number, mac: number): boolean {
    return this.bindings.verifies(client, mac) || this.contacts.lookupId(client, 0) !== undefined;
  }

  private releaseTemporary(c: number, s: number): void {
    if (c === NO_ADDRESS || s === NO_ADDRESS) this.counters.addressPoolFull++;
    if (c !== NO_ADDRESS) this.pool.release(c);
    if (s !== NO_ADDRESS) this.pool.release(s);
  }

  /** Time only moves forward; due timers fire before the observation at `t` is applied. */
  private advance(t: number): void {
    if (!(t > this.now)) return;
    this.now = t;
    if (this.syns.oldest + this.options.synTimeout <= t) {
      this.syns.expire(t, this.options.synTimeout, this.onSynTimeout);
    }
    if (this.holding > 0) this.endHolds(t);
    if (t >= this.nextPurge) {
      if (this.nextPurge !== -Infinity) this.purge(t);
      this.nextPurge = t + this.options.purgeInterval;
    }
  }

  private readonly onSynTimeout = (t: number, sent: number, client: number, server: number, mac: number): void => {
    // P4: the outage began no later than the unanswered SYN, and that SYN was the attempt.
    this.down(t, server, DOWN['syn-timeout'], sent, client, mac, sent);
  };

  /**
   * Marks a server down (or keeps it down) and registers the client whose failed attempt showed
   * it (`client` NO_ADDRESS: none), then every client whose SYN to it is still pending: they
   * tried and failed too. `since` is when the outage began, `tried` when the client tried.
   * Addresses are live pool ids.
   */
  private down(t: number, server: number, cause: number, since = t, client = NO_ADDRESS, mac = 0, tried = t): void {
    this.settle();
    const o = this.outages;
    let slot = o.findServer(server);
    if (slot !== NIL && o.serverState[slot] === ServerState.Down) {
      if (client !== NO_ADDRESS) this.attempt(slot, client, tried, mac, t);
      return;
    }
    if (slot !== NIL) {
      // Down again inside the hold time: the outage goes on, nobody is told yet.
      o.serverState[slot] = ServerState.Down;
      this.holding--;
      this.counters.flaps++;
      this.sink.down(t, server, cause, o.downSince[slot], true);
    } else {
      // A client whose SYN is still unanswered tried earlier: the outage began no later.
      since = Math.min(since, this.syns.earliestFor(server));
      slot = o.addServer(server, since, cause);
      if (slot === NIL && this.dropIdleServer(t)) slot = o.addServer(server, since, cause);
      if (slot === NIL) { this.counters.serversFull++; return; }
      this.counters.downs[DOWN_CAUSES[cause]]++;
      this.sink.down(t, server, cause, since, false);
    }
    if (client !== NO_ADDRESS) this.attempt(slot, client, tried, mac, t);
    this.takingSlot = slot;
    this.takingAt = t;
    this.syns.takeServer(server, this.takePending);
  }

  private readonly takePending = (sent: number, client: number, mac: number): void => {
    this.attempt(this.takingSlot, client, sent, mac, this.takingAt);
  };

  /** `t` is when the client (a live pool id) tried; `decidedAt` when we learnt of it (later for P4). */
  private attempt(slot: number, client: number, t: number, mac: number, decidedAt = t): void {
    const o = this.outages;
    const link = o.findLink(slot, client);
    if (link !== NIL) {
      // P5: already waiting; remember the latest attempt for P10.
      if (t > o.lastAttempt[link]) o.lastAttempt[link] = t;
      if (o.linkMac[link] === 0) o.linkMac[link] = mac;
      return;
    }
    if (!this.clientNetworks.holdsId(this.pool, client)) { this.counters.refusedOffNetwork++; return; }
    if (this.options.requireContact && this.contacts.lookupId(client, mac) === undefined) {
      this.counters.refusedNoContact++;
      return;
    }
    this.settle(); // before an eviction can pick a link still to be told, and before this decision
    this.makeRoom(slot, decidedAt);
    o.addLink(slot, client, t, mac, this.verified(client, mac) ? Trust.Verified : Trust.Unverified);
    this.counters.attempts++;
    this.sink.attempt(decidedAt, o.serverAddr[slot], client, mac);
  }

  /**
   * Evicts the registration that must go before `slot` takes one more client, if any. A client
   * verified since it registered (a binding or contact learnt later) is marked so when it comes
   * up as the victim, and the next is taken: each link is promoted once, so this is amortised O(1).
   */
  private makeRoom(slot: number, t: number): void {
    const o = this.outages;
    let victim = o.victimFor(slot);
    while (victim !== NIL && o.linkTrust[victim] === Trust.Unverified && this.verified(o.linkClient[victim], o.linkMac[victim])) {
      o.verify(victim);
      victim = o.victimFor(slot);
    }
    if (victim === NIL) return;
    const reason = o.serverCapped(slot) ? 'server-cap' : 'table-full';
    this.counters.evictions[reason]++;
    this.counters.evicted[o.linkTrust[victim] === Trust.Verified ? 'verified' : 'unverified']++;
    this.counters.dropped[reason]++;
    this.counters.expired++;
    this.sink.expired(t, o.serverAddr[o.linkServer[victim]], o.linkClient[victim], EXPIRY[reason]);
    o.removeLink(victim);
  }

  private alive(t: number, server: number, cause: number): void {
    const o = this.outages;
    const slot = o.findServer(server);
    if (slot === NIL || o.serverState[slot] !== ServerState.Down) return;
    // A host that answers ARP says nothing of a service that stopped answering SYNs.
    if (!this.serviceLevelRecovery[cause] && !this.hostLevelDown[o.downCause[slot]]) return;
    this.counters.recoveries[RECOVERY_CAUSES[cause]]++;
    if (this.options.hold > 0) {
      o.serverState[slot] = ServerState.Holding;
      o.holdUntil[slot] = t + this.options.hold;
      o.recoveryCause[slot] = cause;
      this.holding++;
      return;
    }
    this.recover(slot, t, cause);
  }

  private endHolds(t: number): void {
    const o = this.outages;
    for (let slot = 0; slot < o.serverSlots && this.holding > 0; slot++) {
      if (o.serverState[slot] === ServerState.Holding && o.holdUntil[slot] <= t) {
        this.holding--;
        this.recover(slot, o.holdUntil[slot], o.recoveryCause[slot]);
      }
    }
  }

  /**
   * P9: tell every waiting device (P10: unless its attempts are too old), then forget the
   * outage, with those of the server's other addresses that recover with it: a device that
   * waited at several is told once, under the first outage it waited in. The recovered outages
   * are no longer found by address at once (state Telling); with tellAtOnce the call tells the
   * first devices only, and their lists stay until the last one is told (tellSome). Whatever
   * makes a decision or reads the whole table tells the rest first (settle), so the decisions
   * keep the order of a recovery told at once and no eviction or purge takes a link still to tell.
   */
  private recover(slot: number, t: number, cause: number): void {
    this.settle(); // a recovery of the same hold-time sweep may still be telling
    const o = this.outages;
    const n = this.gatherRecovering(slot, cause);
    const slots = this.recovering;
    for (let i = 0; i < n; i++) this.sink.recovered(t, o.serverAddr[slots[i]], cause, o.downSince[slots[i]]);
    for (let i = 0; i < n; i++) this.devices.group(slots[i]);
    for (let i = 0; i < n; i++) o.beginTelling(slots[i]);
    this.tellCount = n;
    this.tellIndex = 0;
    this.tellLink = o.serverFirst[slots[0]];
    this.tellT = t;
    this.tellOldest = t - this.options.maxAttemptAge;
    const atOnce = this.options.tellAtOnce;
    if (atOnce <= 0) { this.tellSome(() => true); return; }
    let told = 0;
    this.tellSome(() => ++told < atOnce);
    if (this.tellCount > 0) {
      this.tellingSaid = true;
      this.sink.tellingStarted?.();
    }
  }

  /**
   * Tells the rest of a recovery in progress, if any: before the engine makes another decision
   * or reads the whole table; not from a sink called while devices are being told.
   */
  private settle(): void {
    if (this.tellCount > 0 && !this.inTelling) this.tellSome(() => true);
  }

  /**
   * Tells devices of the recovery in progress (at least one, then while `more()`), each under the
   * first of its outages it waited in; after the last, forgets those outages.
   */
  private tellSome(more: () => boolean): void {
    this.inTelling = true;
    try {
      this.tellPiece(more);
    } finally {
      this.inTelling = false;
    }
  }

  private tellPiece(more: () => boolean): void {
    const o = this.outages;
    const slots = this.recovering;
    while (this.tellIndex < this.tellCount) {
      const server = o.serverAddr[slots[this.tellIndex]];
      const since = o.downSince[slots[this.tellIndex]];
      while (this.tellLink !== NIL) {
        const link = this.tellLink;
        this.tellLink = o.linkNext[link];
        if (this.devices.deviceOf(link)) {
          this.tell(this.tellT, server, since, this.tellOldest);
          if (!more()) return;
        }
      }
      if (++this.tellIndex < this.tellCount) this.tellLink = o.serverFirst[slots[this.tellIndex]];
    }
    const n = this.tellCount;
    this.tellCount = 0;
    this.devices.clear();
    for (let i = 0; i < n; i++) o.removeServer(slots[i]);
    if (this.tellingSaid) {
      this.tellingSaid = false;
      this.sink.tellingEnded?.();
    }
  }

  /**
   * Fills `recovering` with `slot` and the outages of the same server's other addresses that
   * this sign of life ends too (by the rule of `alive`: a host-level sign ends only host-level
   * outages; one already holding ends now); returns how many.
   */
  private gatherRecovering(slot: number, cause: number): number {
    const o = this.outages;
    this.recovering[0] = slot;
    let n = 1;
    for (const other of this.groups.siblingsOf(o.serverAddr[slot])) {
      const s = o.findServer(other);
      if (s === NIL) continue;
      if (o.serverState[s] === ServerState.Holding) {
        this.holding--;
      } else if (!this.serviceLevelRecovery[cause] && !this.hostLevelDown[o.downCause[s]]) {
        continue;
      } else {
        this.counters.recoveries[RECOVERY_CAUSES[cause]]++;
      }
      this.recovering[n++] = s;
    }
    return n;
  }

  /** Tells the current device, or expires its addresses when it last tried before `oldest`. */
  private tell(t: number, server: number, since: number, oldest: number): void {
    const d = this.devices.device;
    if (d.lastAttempt < oldest) {
      for (let i = 0; i < d.count; i++) {
        this.counters.expired++;
        this.counters.dropped['stale-at-recovery']++;
        this.sink.expired(t, server, d.addresses[i], EXPIRY['stale-at-recovery']);
      }
      return;
    }
    const contact = this.contacts.lookupDevice(d.addresses, d.count, d.mac);
    d.contact = contact?.mail;
    this.counters.notices++;
    if (contact === undefined) this.counters.noContact++;
    this.sink.notify(t, server, since, d);
  }

  /** P10: drop registrations whose last attempt is older than max_attempt_age. */
  private purge(t: number): void {
    this.settle();
    const o = this.outages;
    const oldest = t - this.options.maxAttemptAge;
    for (const trust of [Trust.Unverified, Trust.Verified]) {
      for (let link = o.oldest(trust); link !== NIL;) {
        const next = o.newer(link);
        if (o.lastAttempt[link] < oldest) {
          this.counters.expired++;
          this.counters.dropped['max-attempt-age']++;
          this.sink.expired(t, o.serverAddr[o.linkServer[link]], o.linkClient[link], EXPIRY['max-attempt-age']);
          o.removeLink(link);
        }
        link = next;
      }
    }
    this.questions.purge(oldest);
  }

  /**
   * When 71a is full, a server nobody is waiting for makes room (the oldest such). Its outage
   * ends without a recovery: that is said (expired, cause 'evicted'), so whoever acts on the
   * outage (stand-in, webhooks, traps) can stop.
   */
  private dropIdleServer(t: number): boolean {
    const o = this.outages;
    let victim = NIL;
    for (let slot = 0; slot < o.serverSlots; slot++) {
      if (o.serverState[slot] === ServerState.Down && o.serverLinks[slot] === 0 &&
          (victim === NIL || o.downSince[slot] < o.downSince[victim])) victim = slot;
    }
    if (victim === NIL) return false;
    this.counters.outagesEvicted++;
    this.sink.evicted(t, o.serverAddr[victim], o.downSince[victim]);
    o.removeServer(victim);
    return true;
  }
}

/** A server address worth tracking: not link-local, multicast, unspecified or IPv4-mapped. */
function usableServer6(bytes: Uint8Array, off: number): boolean {
  return bytes[off] !== 0xff && !isLinkLocalIPv6(bytes, off) && !isUnspecifiedIPv6(bytes, off) && !isV4Mapped(bytes, off);
}

/** A client address worth registering: not multicast, unspecified or IPv4-mapped. */
function usableClient6(bytes: Uint8Array, off: number): boolean {
  return bytes[off] !== 0xff && !isUnspecifiedIPv6(bytes, off) && !isV4Mapped(bytes, off);
}

function countersOf<T extends string>(names: readonly T[]): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const name of names) out[name] = 0;
  return out;
}
