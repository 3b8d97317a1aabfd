// The rules of the method (P1-P10), free of I/O: observations and signals come in with their
// time, decisions go out through a sink. The same input always gives the same decisions.

import { formatIPv4, prefixContains, type Prefix } from '../net/ipv4';
import { formatMac } from '../net/mac';
import { Contacts } from './contacts';
import type { Cause, Decision, DecisionSink } from './decisions';
import type { Observations } from '../net/observations';
import { NIL, OutageTable, ServerState, type Evicted } from './outages';
import { SynTracker } from './syn-tracker';

export interface EngineOptions {
  readonly synTimeout: number;
  readonly arpRetries: number;
  readonly icmpCodes: readonly number[];
  readonly maxAttemptAge: number;
  readonly purgeInterval: number;
  readonly hold: number;
  readonly maxServers: number;
  readonly maxLinks: number;
  readonly maxLinksPerServer: number;
  readonly maxPendingSyns: number;
  readonly maxContacts: number;
  readonly requireContact: boolean;
  /** Watched servers: these addresses and networks; both empty = every server seen. */
  readonly servers: readonly number[];
  readonly networks: readonly Prefix[];
}

export const defaultEngineOptions: EngineOptions = {
  synTimeout: 30,
  arpRetries: 3,
  icmpCodes: [0, 1, 5, 6, 7, 11, 12],
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
};

export type RecoveryCause = 'arp-reply' | 'syn-ack' | 'reset' | 'neigh-reachable' | 'trap' | 'probe';
type DownCause = 'icmp-unreachable' | 'syn-timeout' | 'arp-silence' | 'neigh-failed';

const downCauses: readonly DownCause[] = ['icmp-unreachable', 'syn-timeout', 'arp-silence', 'neigh-failed'];
/** Seconds between two ARP requests for them to count as two tries (the kernel waits ~1 s). */
const ARP_RETRANSMIT_MIN = 0.5;
const recoveryCauses: readonly RecoveryCause[] = ['arp-reply', 'syn-ack', 'reset', 'neigh-reachable', 'trap', 'probe'];
/** Signs of life that speak for the service, not just the host. */
const serviceLevel = new Set<RecoveryCause>(['syn-ack', 'trap', 'probe']);
/** Causes that say the host itself is gone, so any sign of life from it ends the outage. */
const hostLevel = new Set<DownCause>(['icmp-unreachable', 'arp-silence', 'neigh-failed']);

export interface EngineCounters {
  downs: Record<DownCause, number>;
  recoveries: Record<RecoveryCause, number>;
  attempts: number;
  notices: number;
  noContact: number;
  expired: number;
  /** Registrations dropped without a notice, by why. */
  dropped: { 'table-full': number; 'server-cap': number; 'max-attempt-age': number; 'stale-at-recovery': number };
  evictions: { 'table-full': number; 'server-cap': number };
  serversFull: number;
  flaps: number;
  icmpOtherCode: number;
  unwatched: number;
  refusedNoContact: number;
  /** IPv6 observations, not yet acted on. */
  ipv6Undecided: number;
}

/** A server in the outage table, as `backsoon status` and snapshots see it. */
export interface OutageView {
  server: string;
  state: 'down' | 'holding';
  since: number;
  cause: Cause;
  holdUntil?: number;
  clients: { client: string; firstAttempt: number; lastAttempt: number; mac?: string }[];
}

export class Engine implements Observations {
  readonly options: EngineOptions;
  readonly outages: OutageTable;
  readonly syns: SynTracker;
  readonly contacts: Contacts;
  readonly counters: EngineCounters;
  private readonly emit: DecisionSink;
  private readonly icmpDown = new Uint8Array(256);
  private readonly watchAll: boolean;
  private readonly watchedServers = new Set<number>();
  /** Unanswered ARP requests per target: count, and when the run began. */
  private readonly arpAsked = new Map<number, { count: number; since: number; last: number }>();
  private readonly evicted: Evicted[] = [];
  private holding = 0;
  private nextPurge = -Infinity;
  private now = -Infinity;

  constructor(options: EngineOptions, emit: DecisionSink) {
    this.options = options;
    this.emit = emit;
    this.outages = new OutageTable({
      servers: options.maxServers,
      links: options.maxLinks,
      linksPerServer: options.maxLinksPerServer,
    });
    this.syns = new SynTracker(options.maxPendingSyns);
    this.contacts = new Contacts(options.maxContacts);
    for (const code of options.icmpCodes) this.icmpDown[code & 255] = 1;
    for (const s of options.servers) this.watchedServers.add(s >>> 0);
    this.watchAll = options.servers.length === 0 && options.networks.length === 0;
    this.counters = {
      downs: { 'icmp-unreachable': 0, 'syn-timeout': 0, 'arp-silence': 0, 'neigh-failed': 0 },
      recoveries: { 'arp-reply': 0, 'syn-ack': 0, reset: 0, 'neigh-reachable': 0, trap: 0, probe: 0 },
      attempts: 0,
      notices: 0,
      noContact: 0,
      expired: 0,
      dropped: { 'table-full': 0, 'server-cap': 0, 'max-attempt-age': 0, 'stale-at-recovery': 0 },
      evictions: { 'table-full': 0, 'server-cap': 0 },
      serversFull: 0,
      flaps: 0,
      icmpOtherCode: 0,
      unwatched: 0,
      refusedNoContact: 0,
      ipv6Undecided: 0,
    };
  }

  /** Is this address one of the servers we watch? */
  watches(server: number): boolean {
    if (this.watchAll || this.watchedServers.has(server >>> 0)) return true;
    for (const net of this.options.networks) if (prefixContains(net, server)) return true;
    return false;
  }

  /** Is the server down (or holding) right now? */
  isDown(server: number): boolean {
    return this.outages.findServer(server) !== NIL;
  }

  // ---- Observations (from the packet decoders) ----

  syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, clientMac: number): void {
    this.advance(t);
    if (!this.watches(server)) { this.counters.unwatched++; return; }
    const slot = this.outages.findServer(server);
    if (slot !== NIL && this.outages.serverState[slot] === ServerState.Down) {
      this.attempt(slot, client, t, clientMac); // P4: later SYNs to a down server register at once
      return;
    }
    this.syns.syn(t, client, server, sport, dport, seq, clientMac);
  }

  synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    this.advance(t);
    this.syns.synAck(server, client, sport, dport, ack);
    this.alive(t, server, 'syn-ack');
  }

  reset(t: number, server: number, client: number, sport: number, dport: number): void {
    this.advance(t);
    this.syns.answered(server, client, dport, sport);
    const slot = this.outages.findServer(server);
    if (slot !== NIL && hostLevel.has(downCauses[this.outages.downCause[slot]])) this.alive(t, server, 'reset');
  }

  icmpUnreachable(t: number, _reporter: number, _reporterMac: number, client: number, server: number, code: number, _proto: number, sport: number, dport: number): void {
    this.advance(t);
    if (!this.watches(server)) { this.counters.unwatched++; return; }
    if (!this.icmpDown[code & 255]) { this.counters.icmpOtherCode++; return; }
    this.syns.answered(server, client, sport, dport);
    this.down(t, server, 'icmp-unreachable', t, client); // P3
  }

  arpRequest(t: number, sender: number, target: number): void {
    this.advance(t);
    // A request from a down server is a sign of life as good as a reply.
    if (this.outages.findServer(sender) !== NIL) this.alive(t, sender, 'arp-reply');
    if (!this.watches(target)) return;
    const asked = this.arpAsked.get(target);
    if (asked === undefined) {
      if (this.arpAsked.size >= this.options.maxServers) this.arpAsked.delete(this.arpAsked.keys().next().value as number);
      this.arpAsked.set(target, { count: 1, since: t, last: t });
      if (this.options.arpRetries > 1) return;
    } else {
      // The kernel retransmits about once a second; copies of one request (a capture on
      // 'any' sees it on the bridge and on the port) must not count as several.
      if (t - asked.last < ARP_RETRANSMIT_MIN) return;
      asked.count++;
      asked.last = t;
      if (asked.count < this.options.arpRetries) return;
    }
    if (this.outages.findServer(target) === NIL) this.down(t, target, 'arp-silence');
  }

  arpReply(t: number, sender: number, _senderMac: number): void {
    this.advance(t);
    this.arpAsked.delete(sender);
    this.alive(t, sender, 'arp-reply'); // P8
  }

  // IPv6 observations are decoded but decide nothing yet: they are counted.
  syn6(t: number): void { this.ipv6(t); }
  synAck6(t: number): void { this.ipv6(t); }
  reset6(t: number): void { this.ipv6(t); }
  icmp6Unreachable(t: number): void { this.ipv6(t); }
  neighbourSolicit(t: number): void { this.ipv6(t); }
  neighbourAdvert(t: number): void { this.ipv6(t); }

  private ipv6(t: number): void {
    this.advance(t);
    this.counters.ipv6Undecided++;
  }

  // ---- Other signals (kernel neighbour table, SNMP traps, probes) ----

  neighbour(t: number, addr: number, state: 'FAILED' | 'REACHABLE'): void {
    this.advance(t);
    if (state === 'REACHABLE') { this.arpAsked.delete(addr); this.alive(t, addr, 'neigh-reachable'); }
    else if (this.watches(addr)) this.down(t, addr, 'neigh-failed');
  }

  /** P7 (trap) or a successful active probe: the server is back. */
  recoverySignal(t: number, server: number, cause: 'trap' | 'probe'): void {
    this.advance(t);
    this.alive(t, server, cause);
  }

  /** Marks a server down on an outside word (tools, tests, a stand-in driver). */
  markDown(t: number, server: number, cause: DownCause): void {
    this.advance(t);
    this.down(t, server, cause);
  }

  /** Registers a client's attempt on a down server (the stand-in page does this, P11). */
  registerAttempt(t: number, server: number, client: number, mac: number): boolean {
    this.advance(t);
    const slot = this.outages.findServer(server);
    if (slot === NIL || this.outages.serverState[slot] !== ServerState.Down) return false;
    this.attempt(slot, client, t, mac);
    return this.outages.findLink(slot, client) !== NIL;
  }

  /** Lets time pass: SYN timeouts, the end of hold times, the periodic purge (P10). */
  tick(t: number): void {
    this.advance(t);
  }

  // ---- Views ----

  outageList(): OutageView[] {
    const out: OutageView[] = [];
    const o = this.outages;
    for (let slot = 0; slot < o.capacity.servers; slot++) {
      const state = o.serverState[slot];
      if (state === ServerState.Free) continue;
      const clients: OutageView['clients'] = [];
      for (let link = o.serverFirst[slot]; link !== NIL; link = o.linkNext[link]) {
        const mac = o.linkMac[link];
        clients.push({
          client: formatIPv4(o.linkClient[link]),
          firstAttempt: o.firstAttempt[link],
          lastAttempt: o.lastAttempt[link],
          ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
        });
      }
      out.push({
        server: formatIPv4(o.serverAddr[slot]),
        state: state === ServerState.Down ? 'down' : 'holding',
        since: o.downSince[slot],
        cause: downCauses[o.downCause[slot]],
        ...(state === ServerState.Holding ? { holdUntil: o.holdUntil[slot] } : {}),
        clients,
      });
    }
    return out.sort((a, b) => a.since - b.since);
  }

  // ---- The rules ----

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
    this.down(t, server, 'syn-timeout', sent, client, mac, sent);
  };

  /**
   * Marks a server down (or keeps it down) and registers the client whose failed attempt showed
   * it (`client` < 0: none), then every client whose SYN to it is still pending: they tried
   * and failed too. `since` is when the outage began, `tried` when the client tried.
   */
  private down(t: number, server: number, cause: DownCause, since = t, client = -1, mac = 0, tried = t): void {
    const o = this.outages;
    let slot = o.findServer(server);
    if (slot !== NIL && o.serverState[slot] === ServerState.Down) {
      if (client >= 0) this.attempt(slot, client, tried, mac, t);
      return;
    }
    if (slot !== NIL) {
      // Down again inside the hold time: the outage goes on, nobody is told yet.
      o.serverState[slot] = ServerState.Down;
      this.holding--;
      this.counters.flaps++;
      this.emitDecision({ t, event: 'down', server: formatIPv4(server), cause: 'flap', since: o.downSince[slot] });
    } else {
      // A client whose SYN is still unanswered tried earlier: the outage began no later.
      since = Math.min(since, this.syns.earliestFor(server));
      slot = o.addServer(server, since, downCauses.indexOf(cause));
      if (slot === NIL && this.dropIdleServer()) slot = o.addServer(server, since, downCauses.indexOf(cause));
      if (slot === NIL) { this.counters.serversFull++; return; }
      this.counters.downs[cause]++;
      this.emitDecision({ t, event: 'down', server: formatIPv4(server), cause, since });
    }
    if (client >= 0) this.attempt(slot, client, tried, mac, t);
    const downSlot = slot;
    this.syns.takeServer(server, (sent, waiting, waitingMac) => this.attempt(downSlot, waiting, sent, waitingMac, t));
  }

  /** `t` is when the client tried; `decidedAt` when we learnt of it (later for P4). */
  private attempt(slot: number, client: number, t: number, mac: number, decidedAt = t): void {
    const o = this.outages;
    const link = o.findLink(slot, client);
    if (link !== NIL) {
      // P5: already waiting; remember the latest attempt for P10.
      if (t > o.lastAttempt[link]) o.lastAttempt[link] = t;
      if (o.linkMac[link] === 0) o.linkMac[link] = mac;
      return;
    }
    if (this.options.requireContact && this.contacts.lookup(client, mac) === undefined) {
      this.counters.refusedNoContact++;
      return;
    }
    o.addLink(slot, client, t, mac, this.evicted);
    this.flushEvictions(decidedAt);
    this.counters.attempts++;
    this.emitDecision({
      t: decidedAt, event: 'attempt', server: formatIPv4(o.serverAddr[slot]), client: formatIPv4(client),
      ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
    });
  }

  private alive(t: number, server: number, cause: RecoveryCause): void {
    const o = this.outages;
    const slot = o.findServer(server);
    if (slot === NIL || o.serverState[slot] !== ServerState.Down) return;
    // A host that answers ARP says nothing of a service that stopped answering SYNs.
    if (!serviceLevel.has(cause) && !hostLevel.has(downCauses[o.downCause[slot]])) return;
    this.counters.recoveries[cause]++;
    if (this.options.hold > 0) {
      o.serverState[slot] = ServerState.Holding;
      o.holdUntil[slot] = t + this.options.hold;
      o.recoveryCause[slot] = recoveryCauses.indexOf(cause);
      this.holding++;
      return;
    }
    this.recover(slot, t, cause);
  }

  private endHolds(t: number): void {
    const o = this.outages;
    for (let slot = 0; slot < o.capacity.servers && this.holding > 0; slot++) {
      if (o.serverState[slot] === ServerState.Holding && o.holdUntil[slot] <= t) {
        this.holding--;
        this.recover(slot, o.holdUntil[slot], recoveryCauses[o.recoveryCause[slot]]);
      }
    }
  }

  /** P9: tell every waiting client (P10: unless its attempt is too old), then forget the outage. */
  private recover(slot: number, t: number, cause: RecoveryCause): void {
    const o = this.outages;
    const server = formatIPv4(o.serverAddr[slot]);
    const since = o.downSince[slot];
    const outage = `${server}@${since}`;
    this.emitDecision({ t, event: 'recovered', server, cause, since, outage });
    const oldest = t - this.options.maxAttemptAge;
    for (let link = o.serverFirst[slot]; link !== NIL; link = o.linkNext[link]) {
      const client = o.linkClient[link];
      const mac = o.linkMac[link];
      if (o.lastAttempt[link] < oldest) {
        this.counters.expired++;
        this.counters.dropped['stale-at-recovery']++;
        this.emitDecision({ t, event: 'expired', server, client: formatIPv4(client), cause: 'stale-at-recovery' });
        continue;
      }
      const contact = this.contacts.lookup(client, mac);
      this.counters.notices++;
      if (contact === undefined) this.counters.noContact++;
      this.emitDecision({
        t, event: 'notify', server, client: formatIPv4(client),
        ...(contact !== undefined ? { contact: contact.mail } : {}),
        since, firstAttempt: o.firstAttempt[link], lastAttempt: o.lastAttempt[link], outage,
        ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
      });
    }
    o.removeServer(slot);
  }

  /** P10: drop registrations whose last attempt is older than max_attempt_age. */
  private purge(t: number): void {
    const o = this.outages;
    const oldest = t - this.options.maxAttemptAge;
    for (let link = o.oldest; link !== NIL;) {
      const next = o.newer(link);
      if (o.lastAttempt[link] < oldest) {
        const slot = o.linkServer[link];
        this.counters.expired++;
        this.counters.dropped['max-attempt-age']++;
        this.emitDecision({
          t, event: 'expired', server: formatIPv4(o.serverAddr[slot]),
          client: formatIPv4(o.linkClient[link]), cause: 'max-attempt-age',
        });
        o.removeLink(link);
      }
      link = next;
    }
    for (const [addr, asked] of this.arpAsked) if (asked.since < oldest) this.arpAsked.delete(addr);
  }

  /** When 71a is full, a server nobody is waiting for makes room (the oldest such). */
  private dropIdleServer(): boolean {
    const o = this.outages;
    let victim = NIL;
    for (let slot = 0; slot < o.capacity.servers; slot++) {
      if (o.serverState[slot] === ServerState.Down && o.serverLinks[slot] === 0 &&
          (victim === NIL || o.downSince[slot] < o.downSince[victim])) victim = slot;
    }
    if (victim === NIL) return false;
    o.removeServer(victim);
    return true;
  }

  private flushEvictions(t: number): void {
    for (const e of this.evicted) {
      this.counters.evictions[e.reason]++;
      this.counters.dropped[e.reason]++;
      this.counters.expired++;
      this.emitDecision({ t, event: 'expired', server: formatIPv4(e.server), client: formatIPv4(e.client), cause: e.reason });
    }
    this.evicted.length = 0;
  }

  private emitDecision(d: Decision): void {
    this.emit(d);
  }
}
