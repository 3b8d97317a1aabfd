// The running daemon: wires the live inputs (capture, neighbour events, traps, probes) into the
// engine and the engine's decisions into notices, state snapshots and the control socket.
// The engine itself stays pure; everything with I/O lives here or below.

import { join } from 'node:path';
import type { Config, ServerConfig } from '../config/types';
import { formatIPv4, parseIPv4 } from '../net/ipv4';
import { ipFromV4, type IpAddress } from '../net/ip';
import { formatMac } from '../net/mac';
import type { Decision } from '../engine/decisions';
import { Engine } from '../engine/engine';
import { PacedDecisions } from '../engine/paced-decisions';
import type { RouterAddress } from '../engine/router-addresses';
import { engineOptionsFrom } from '../engine/from-config';
import { ForwardingObservations, type Observations } from '../net/observations';
import { exportState, importState, seedContacts, StateCopy, type EngineState } from '../engine/state';
import { addDecodeStats, createDecodeStats, type DecodeStats } from '../packet/stats';
import { ControlServer } from '../control/socket';
import { RegistrationJournal, withRegistrations } from '../control/registration-journal';
import { SnapshotStore } from '../control/snapshot';
import type { CaptureStatus, DeliveryOutcome, OutboxStatus, PartSections, StatusReport } from '../control/status';
import { createMailTransport, mailChannel, MAIL_CHANNEL, type MailTransport } from '../notify/mail';
import { Outbox } from '../notify/outbox/outbox';
import { OutageDispatcher } from '../notify/outbound-dispatch';
import { renderMetrics } from '../control/metrics';
import { metricsFromStatus } from '../control/metrics-from-status';
import { startMetricsListener } from '../control/metrics-listener';
import type { Server } from 'node:http';
import { DirectNotices } from '../notify/direct-notices';
import { lanNetworks } from './lan-networks';
import { logsAt, type Logger } from './log';
import type { ReloadCounts } from './reload';
import { VERSION } from '../version';
import { HeapTrim, lazyFullCollection } from './heap-trim';

/** The state file: the engine's state and the registration journal's cut. */
type SavedFile = EngineState & { readonly registrations: number };
type SavedState = StateCopy<{ registrations: number }>;

/** The pieces with I/O, started after the engine; each may be absent (not configured). */
export interface Inputs {
  start(daemon: Daemon): Promise<void>;
  /** Called after a reload with the new configuration. */
  reconfigure(daemon: Daemon): Promise<void>;
  stop(): Promise<void>;
  /** Counters for `backsoon status`: captures, decoded packets, and the sections of its parts. */
  stats(): PartStats;
}

/** What a group of inputs adds to the status report; a section left undefined is a part that is off. */
export interface PartStats {
  readonly captures: readonly CaptureStatus[];
  readonly packets: readonly DecodeStats[];
  readonly sections: PartSections;
}

export class Daemon {
  config: Config;
  engine: Engine;
  readonly log: Logger;
  readonly startedAt = Date.now() / 1000;
  /** Forwards observations to the current engine (a reload replaces it). */
  readonly sink: Observations;
  /** Packets backsoon itself sent in a server's name (the stand-in's replies): not evidence. */
  isOwnTraffic: OwnTraffic | null = null;
  /** Keyed by the address's canonical text, either family. */
  private serversByAddress = new Map<string, ServerConfig>();
  /** This host's addresses as the kernel last said (live input); router_address comes on top. */
  private hostAddresses: readonly RouterAddress[] = [];
  /** The default client networks the engine has, as text (to log a change once). */
  private lanNetworksText = '';
  private snapshot: SnapshotStore<SavedState>;
  /** Stand-in registrations, on disk before the page confirms them (between two state files). */
  private readonly journal: RegistrationJournal;
  private outbox: Outbox | null = null;
  private mail: MailTransport | null = null;
  private control: ControlServer | null = null;
  private metrics: Server | null = null;
  /** Outbox outcomes since start, by channel. */
  private readonly outboxOutcomes: OutboxStatus['outcomes'] = {};
  private ticker: NodeJS.Timeout | null = null;
  private heapTrim: NodeJS.Timeout | null = null;
  private readonly inputs: Inputs[] = [];
  /** Reloads asked for and how they ended, from run.ts's Reloader. */
  reloadCounts: () => ReloadCounts = () => ({ requested: 0, started: 0, done: 0, refused: 0, failed: 0 });
  /** Traps, webhooks and the targets mails of P13/P14, per outage edge. */
  private readonly outbound = new OutageDispatcher({
    outbox: () => this.outbox,
    defer: (fn) => this.afterDecisions(fn),
    config: () => ({ servers: this.config.servers, mail: this.config.mail, webhooks: this.config.webhooks, snmpOut: this.config.snmpOut }),
    log: (level, msg) => this.log(level, msg),
    userAgent: `backsoon/${VERSION}`,
  });
  private readonly decisionListeners: ((d: Decision) => void)[] = [];
  /** The engine's decisions; a recovery's notices are handed out a slice per turn (handOutSlice). */
  private readonly paced = new PacedDecisions((d) => this.decided(d), () => this.scheduleHandOut());
  private handOutScheduled = false;
  /** P9: the recovery mails to the waiting clients themselves (notify 'direct'). */
  private readonly direct = new DirectNotices({
    config: () => this.config,
    serverConfig: (addr) => this.serverConfig(addr),
    outbox: () => this.outbox,
    log: (level, msg) => this.log(level, msg),
    mailComing: () => this.mail?.warm(),
  });

  constructor(config: Config, log: Logger) {
    this.config = config;
    this.log = log;
    this.engine = this.buildEngine(config);
    this.sink = new OwnTrafficFilter(() => this.engine, () => this.isOwnTraffic);
    this.journal = new RegistrationJournal(config.main.stateDir, (level, msg) => this.log(level, msg));
    this.snapshot = this.buildSnapshot(config);
  }

  static now(): number {
    return Date.now() / 1000;
  }

  addInputs(inputs: Inputs): void {
    this.inputs.push(inputs);
  }

  onDecision(listener: (d: Decision) => void): void {
    this.decisionListeners.push(listener);
  }

  /** Something outside the engine's own decisions changed its state (a page registration). */
  stateChanged(): void {
    this.snapshot.markDirty();
  }

  /**
   * A page registration the engine has taken: resolves true once it is on disk (the journal),
   * false when it could not be written; only then may the page confirm it.
   */
  async saveRegistration(server: IpAddress, client: IpAddress, mac: number, mail: string, t: number): Promise<boolean> {
    return this.journal.save({
      t, server: server.text, client: client.text, mac: mac !== 0 ? formatMac(mac) : null, mail,
      since: this.engine.downSince(server),
    });
  }

  /** The operator policy's text for the stand-in page (render hook, kind 'standin'). */
  pageText(server: IpAddress, client: IpAddress): Promise<string | null> {
    const since = this.engine.downSince(server);
    if (since === null) return Promise.resolve(null);
    const name = (server.family === 4 ? this.serverConfig(server.v4)?.name : undefined) ?? server.text;
    return this.direct.pageText({ server: server.text, name, since, now: Daemon.now() }, { address: client.text });
  }

  /** A configured server by its address: canonical text of either family, or IPv4 as a number. */
  serverConfig(addr: number | string): ServerConfig | undefined {
    return this.serversByAddress.get(typeof addr === 'number' ? formatIPv4(addr >>> 0) : addr);
  }

  async start(): Promise<void> {
    const m = this.config.main;
    // The outbox first: its lock keeps a second daemon off this state_dir before either reads
    // or writes anything there.
    this.outbox = await Outbox.open({
      dir: join(m.stateDir, 'outbox'),
      log: (level, line) => this.log(level, line),
      onEvent: (event) => {
        if (event.type === 'queued') return;
        const byOutcome: Partial<Record<DeliveryOutcome, number>> = this.outboxOutcomes[event.message.channel] ??= {};
        byOutcome[event.type] = (byOutcome[event.type] ?? 0) + 1;
      },
    });
    await this.direct.loadPolicy(m.policy);
    this.attachMail();
    this.outbound.attach(this.outbox);
    // After the outbox: an outage that no longer fits ends with a decision that goes out.
    await this.restoreState();
    this.control = new ControlServer(m.controlSocket, (req) => this.answer(req), (msg) => this.log('warn', msg));
    await this.control.start();
    for (const inputs of this.inputs) await inputs.start(this);
    if (m.metricsListen !== null) {
      this.metrics = await startMetricsListener(m.metricsListen, () => renderMetrics(metricsFromStatus(this.status())));
    }
    this.ticker = setInterval(() => this.engine.tick(Daemon.now()), 1000);
    this.heapTrim = startHeapTrim(() => this.engine.renewSparseIndexes());
    this.log('info', `backsoon ready: watching ${this.describeWatch()}; ${this.engine.outages.serverCount} servers down from saved state`);
  }

  /** SIGHUP: a new configuration; state is kept. A bad file is refused and the old one stays. */
  async reload(next: Config): Promise<{ restored: number }> {
    const saved = exportState(this.engine, Daemon.now());
    this.config = next;
    this.engine = this.buildEngine(next);
    const { restored, skipped } = importState(this.engine, saved, Daemon.now());
    for (const s of skipped) this.log('warn', `reload: ${s}`);
    await this.snapshot.close();
    this.snapshot = this.buildSnapshot(next);
    this.attachMail();
    await this.direct.loadPolicy(next.main.policy);
    for (const inputs of this.inputs) await inputs.reconfigure(this);
    this.log('info', `configuration reloaded from ${next.file}; ${restored} outages kept`);
    this.snapshot.markDirty();
    return { restored };
  }

  /** Writes the state file now, whatever the interval (the process is exiting); false when it could not be written. */
  saveStateNow(): boolean {
    return this.snapshot.saveNowSync();
  }

  /** SIGTERM: stop taking input, write state, give the outbox a moment, close. */
  async stop(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.heapTrim !== null) clearInterval(this.heapTrim);
    for (const inputs of this.inputs) {
      try { await inputs.stop(); } catch (err) { this.log('warn', `stopping: ${(err as Error).message}`); }
    }
    // Notices of a recovery still on their way into the outbox: a moment for them; if they are
    // not all in by then, the state file stays as it was (the outage is restored at the next start).
    this.handOutAll();
    if (!(await this.direct.settle(5000))) {
      this.log('warn', `${this.direct.preparing} recovery notice(s) not yet in the outbox; the state file keeps their outage for the next start`);
    }
    await this.snapshot.close();
    this.control?.stop();
    this.metrics?.close();
    if (this.outbox !== null) {
      await this.outbound.settle();
      const { left } = await this.outbox.drain(3000);
      if (left > 0) this.log('info', `${left} notices stay in the outbox for the next start`);
      await this.outbox.close();
    }
    this.mail?.close();
    this.direct.close();
  }

  status(): StatusReport {
    const e = this.engine;
    const outages = e.outageList();
    const captures: StatusReport['captures'] = [];
    const packets = createDecodeStats();
    const sections: PartSections = { policy: this.direct.policyStats() };
    for (const inputs of this.inputs) {
      const s = inputs.stats();
      captures.push(...s.captures);
      for (const p of s.packets) addDecodeStats(packets, p);
      Object.assign(sections, s.sections);
    }
    const ob = this.outbox?.stats();
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: this.startedAt,
      now: Daemon.now(),
      config: this.config.file,
      outages,
      waitingClients: e.outages.linkCount,
      contacts: e.contacts.size,
      outbox: ob ? {
        queued: ob.queued, sending: ob.sending, sent: ob.sent, failed: ob.failed, retries: ob.retries, unsaved: ob.unsaved,
        storageError: ob.storageError, storageErrorSince: ob.storageErrorSince === null ? null : ob.storageErrorSince / 1000,
        outcomes: structuredClone(this.outboxOutcomes),
      } : { queued: 0, sending: 0, sent: 0, failed: 0, retries: 0, unsaved: 0, storageError: null, storageErrorSince: null, outcomes: {} },
      captures,
      packets,
      engine: e.counters,
      routerAddresses: e.router.list(),
      state: this.snapshot.status(),
      registrations: this.journal.status(),
      tables: {
        servers: e.outages.serverCount, serverCapacity: e.outages.capacity.servers,
        links: e.outages.linkCount, linkCapacity: e.outages.capacity.links,
        pendingSyns: e.syns.pending, synCapacity: e.syns.capacity, synOverflows: e.syns.overflows,
      },
      directNotices: { ...this.direct.counters },
      outbound: { ...this.outbound.counters },
      control: { badRequests: this.control?.badRequests ?? 0 },
      reloads: { ...this.reloadCounts() },
      ...withoutUndefined(sections),
    };
  }

  private answer(req: { cmd: string }): unknown {
    switch (req.cmd) {
      case 'status': return this.status();
      case 'ping': return { ok: true, pid: process.pid };
      case 'test-fault':
        // Tests only (BACKSOON_TEST_FAULTS=1 in the daemon's environment, docs/SECURITY.md):
        // an exception nobody catches, as a bug in any callback would raise.
        if (process.env.BACKSOON_TEST_FAULTS !== '1') return { error: "unknown command 'test-fault' (status, ping)" };
        setImmediate(() => { throw new Error('fault injected by the test-fault command'); });
        return { ok: true };
      default: return { error: `unknown command '${req.cmd}' (status, ping)` };
    }
  }

  /** The kernel's addresses of this host changed: with router_address, whose ICMP errors count. */
  setHostAddresses(addresses: readonly RouterAddress[]): void {
    this.hostAddresses = addresses;
    this.applyRouterAddresses(this.engine, this.config);
    this.followLanNetworks();
  }

  /**
   * Without list client_network, the client networks are the client devices' own, as they are
   * now: a prefix that arrives after the start (IPv6 delegation, DHCP) counts from then on.
   */
  private followLanNetworks(): void {
    if (this.config.watch.clientNetworks.length > 0) return;
    const now = lanNetworks(this.config.main.clientInterfaces);
    const text = now.map((n) => n.text).join(', ');
    if (text === this.lanNetworksText) return;
    this.lanNetworksText = text;
    this.engine.setClientNetworks(now);
    this.log('info', `client networks (the client devices' own): ${text || 'none known, every address'}`);
  }

  private applyRouterAddresses(engine: Engine, config: Config): void {
    const configured = engineOptionsFrom(config).routerAddresses;
    const dropped = engine.setRouterAddresses([...this.hostAddresses, ...configured]);
    if (dropped > 0) {
      this.log('warn', `router addresses: ${dropped} of ${this.hostAddresses.length + configured.length} do not fit (at most ${engine.router.capacity}); ICMP errors from those are counted as forged`);
    }
  }

  private buildEngine(config: Config): Engine {
    this.serversByAddress = new Map(config.servers.map((s) => [s.address.text, s]));
    const lan = lanNetworks(config.main.clientInterfaces);
    this.lanNetworksText = lan.map((n) => n.text).join(', ');
    const engine = new Engine({ ...engineOptionsFrom(config, lan), tellAtOnce: TELL_AT_ONCE }, this.paced);
    this.applyRouterAddresses(engine, config);
    seedContacts(engine, config.contacts, Daemon.now());
    return engine;
  }

  private buildSnapshot(config: Config): SnapshotStore<SavedState> {
    return new SnapshotStore({
      dir: config.main.stateDir,
      minIntervalSeconds: config.main.snapshotInterval,
      produce: () => new StateCopy(this.engine, Daemon.now(), { registrations: this.journal.cut() }),
      written: (saved) => void this.journal.written(saved.extra.registrations),
      // The old file still holds the waiting clients of notices the disk refused: it must stay
      // until they are sent or saved, or a crash would lose them.
      holdReason: () => {
        const unsaved = this.outbox?.stats().unsaved ?? 0;
        if (unsaved > 0) return `${unsaved} notice(s) are in memory only (the outbox cannot write)`;
        // A recovery's notices not yet in the outbox: the old file still has their outage.
        const preparing = this.direct.preparing + this.paced.held;
        if (preparing > 0) return `${preparing} recovery notice(s) are not yet in the outbox`;
        return this.paced.telling ? 'a recovery is still telling its waiting clients' : null;
      },
      log: (level, msg) => this.log(level, msg),
    });
  }

  /** The state file, and the registrations the journal holds beyond it. */
  private async restoreState(): Promise<void> {
    let saved: unknown = null;
    try {
      saved = this.snapshot.load();
    } catch (err) {
      this.log('warn', (err as Error).message);
    }
    const cut = (saved as Partial<SavedFile> | null)?.registrations;
    const records = await this.journal.open(typeof cut === 'number' ? cut : -1);
    const merged = withRegistrations(saved as EngineState | null, records, Daemon.now());
    if (merged === null) return;
    const { restored, skipped } = importState(this.engine, merged, Daemon.now());
    this.log('info', `state restored from ${this.snapshot.file}${records.length > 0 ? ` and ${records.length} registration(s) saved since` : ''}: ` +
      `${restored} outages, ${this.engine.outages.linkCount} waiting clients`);
    for (const s of skipped) this.log('warn', `state: ${s}`);
  }

  private attachMail(): void {
    this.mail?.close();
    this.mail = null;
    if (this.config.mail === null || this.outbox === null) return;
    this.mail = createMailTransport(this.config.mail);
    this.outbox.registerChannel(MAIL_CHANNEL, mailChannel(this.mail));
  }

  /**
   * Runs `fn` once this turn's decisions and every decision held behind them have gone out: for
   * those that gather a burst (a recovery's event with its notices' count) before they send it.
   */
  afterDecisions(fn: () => void): void {
    queueMicrotask(() => this.paced.whenOut(fn));
  }

  private scheduleHandOut(): void {
    if (this.handOutScheduled) return;
    this.handOutScheduled = true;
    setImmediate(this.handOutSlice);
  }

  /**
   * Hands held decisions out for at most HAND_OUT_SLICE_MS. While a recovery is told in pieces
   * and fewer than TELL_AHEAD of its decisions wait, the engine tells its next devices (at least
   * one, at most up to TELL_AHEAD waiting, for what is left of the slice or a quarter of one).
   * Leaves the rest to the next turn.
   */
  private readonly handOutSlice = (): void => {
    this.handOutScheduled = false;
    const ends = performance.now() + HAND_OUT_SLICE_MS;
    try {
      this.paced.handOut(() => performance.now() < ends);
      if (this.engine.telling && this.paced.held < TELL_AHEAD) {
        const tellEnds = Math.max(ends, performance.now() + HAND_OUT_SLICE_MS / 4);
        this.engine.tellMore(() => this.paced.held < TELL_AHEAD && performance.now() < tellEnds);
      }
    } catch (err) {
      this.log('error', `decision: ${(err as Error).message}`);
    } finally {
      if (this.paced.held > 0 || this.engine.telling) this.scheduleHandOut();
    }
  };

  /** Hands every held decision out now (stopping: their notices must reach the outbox first). */
  private handOutAll(): void {
    if (this.engine.telling) this.engine.tellMore(() => true);
    while (this.paced.held > 0) {
      try {
        this.paced.handOut(() => true);
      } catch (err) {
        this.log('error', `decision: ${(err as Error).message}`);
      }
    }
  }

  private decided(d: Decision): void {
    const level = d.event === 'down' || d.event === 'recovered' || (d.event === 'expired' && d.client === undefined) ? 'info' : 'debug';
    if (logsAt(this.log, level)) this.log(level, describeDecision(d)); // a recovery of 10,000 at info: 10,000 lines not composed
    this.snapshot.markDirty();
    if (d.event === 'down' && d.cause !== undefined) this.journal.outageStarted(d.server, d.cause);
    else if (d.event === 'recovered') this.journal.outageEnded(d.server);
    if (d.event === 'notify') this.direct.notify(d);
    this.outbound.push(d);
    for (const listener of this.decisionListeners) {
      try { listener(d); } catch (err) { this.log('error', `decision listener: ${(err as Error).message}`); }
    }
  }

  private describeWatch(): string {
    const c = this.config;
    if (c.servers.length === 0 && c.watch.networks.length === 0) return 'every server seen';
    const parts = [
      ...c.servers.map((s) => `${s.name} (${s.address.text})`),
      ...c.watch.networks.map((n) => n.text),
    ];
    return parts.join(', ');
  }
}

export function describeDecision(d: Decision): string {
  switch (d.event) {
    case 'down': return d.flap ? `server ${d.server} is down again (${d.cause}); the outage goes on` : `server ${d.server} is down (${d.cause})`;
    case 'attempt': return `client ${d.client} tried ${d.server} while it was down`;
    case 'recovered': return `server ${d.server} is back (${d.cause})`;
    case 'notify': {
      const also = d.addresses.length > 1 ? ` (also ${d.addresses.slice(1).join(', ')})` : '';
      return `telling ${d.client}${also}${d.contact ? ` <${d.contact}>` : ''} that ${d.server} is back`;
    }
    case 'expired':
      return d.client === undefined
        ? `outage of ${d.server} forgotten without a recovery (${d.cause}: the server table is full)`
        : `client ${d.client} no longer waits for ${d.server} (${d.cause})`;
  }
}

/** The sections of the parts that are on: JSON and ubus would drop an undefined key anyway. */
function withoutUndefined(sections: PartSections): PartSections {
  return Object.fromEntries(Object.entries(sections).filter(([, v]) => v !== undefined));
}

/** Does a SYN/ACK or RST from (server, port) come from backsoon itself? Per family, as packets carry them. */
export interface OwnTraffic {
  v4(server: number, port: number): boolean;
  v6(bytes: Uint8Array, serverOff: number, port: number): boolean;
}

/** Keeps the stand-in's own replies (SYN/ACK, RST in a down server's name) from the engine. */
class OwnTrafficFilter extends ForwardingObservations {
  constructor(engine: () => Observations, private readonly own: () => OwnTraffic | null) {
    super(engine);
  }

  override synAck(t: number, server: number, client: number, sport: number, dport: number, ack: number): void {
    if (!this.own()?.v4(server, sport)) super.synAck(t, server, client, sport, dport, ack);
  }

  override reset(t: number, server: number, client: number, sport: number, dport: number): void {
    if (!this.own()?.v4(server, sport)) super.reset(t, server, client, sport, dport);
  }

  override synAck6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number, ack: number): void {
    if (!this.own()?.v6(bytes, serverOff, sport)) super.synAck6(t, bytes, serverOff, clientOff, sport, dport, ack);
  }

  override reset6(t: number, bytes: Uint8Array, serverOff: number, clientOff: number, sport: number, dport: number): void {
    if (!this.own()?.v6(bytes, serverOff, sport)) super.reset6(t, bytes, serverOff, clientOff, sport, dport);
  }
}

/**
 * Longest a turn of the event loop hands out held decisions (PacedDecisions): a recovery of
 * thousands goes out over many turns, and the first notices' writes and SMTP sessions advance
 * between them.
 */
const HAND_OUT_SLICE_MS = 2;

/**
 * Devices a recovery tells in the call that recovers it (EngineOptions.tellAtOnce): enough for
 * the outbox's first batch to be written while the engine tells the rest a slice per turn. At
 * 10,000 waiting clients, telling them all in that call held the event loop 44-63 ms before the
 * first write could start (docs/PERFORMANCE.md).
 */
const TELL_AT_ONCE = 32;

/**
 * How many of a recovery's decisions may wait to be handed out before the engine tells more: a
 * batch of the outbox. Telling runs ahead of handing out only that far, so the hand-out keeps
 * its whole slice as when a recovery was told at once.
 */
const TELL_AHEAD = 256;

/** How often the heap is looked at for what a burst left behind, ms. */
const HEAP_CHECK_MS = 5000;

/**
 * Checks every HEAP_CHECK_MS: once the heap grew less than 1 MiB since the previous check, one
 * full collection when it is 16 MiB above its size after the last collection (docs/PERFORMANCE.md,
 * "Memory after a recovery": 10,000 notices left ~50 MiB of garbage resident) or when `renew`
 * replaced indexes a burst left sparse ("The engine's indexes after a burst").
 */
function startHeapTrim(renew: () => number): NodeJS.Timeout {
  const trim = new HeapTrim({
    heapUsed: () => process.memoryUsage().heapUsed,
    collect: lazyFullCollection(),
    slackBytes: 16 << 20,
    quietBytes: 1 << 20,
    renew,
  });
  return setInterval(() => trim.check(), HEAP_CHECK_MS).unref();
}
