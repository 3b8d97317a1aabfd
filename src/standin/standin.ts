// The stand-in for a down server (P11, P12, P15). While a server with stand-in enabled is down,
// new connections from clients to its web port(s) are redirected by backsoon's nftables table
// to a listener on the router that serves the page for that server; its HTTPS ports get a TCP
// reset. When the server is back its rules go first (new connections reach it again), then the
// open pages are told to reload, then its listener closes.
//
// The daemon creates one StandIn, calls start() after the engine's state is restored, forwards
// 'down', 'recovered' and 'expired' decisions (onDecision), and calls stop() on exit. Changes are applied
// one at a time, in order.
import type { Server } from 'node:http';
import { formatIPv4 } from '../net/ipv4';
import { formatIp, parseIp, type IpAddress } from '../net/ip';
import type { Decision } from '../engine/decisions';
import { systemUtcOffset, type UtcOffset } from '../notify/time-format';
import { ConntrackMissing, flushUnanswered, type ConntrackFlusher } from './conntrack';
import { CsrfTokens } from './csrf';
import { DeclinedClients } from './declined';
import { EventStreams } from './events';
import { handleRequest, type HandlerDeps } from './handler';
import { loadCatalogs, type Catalog } from './i18n';
import { ConnectionGate } from './connection-gate';
import { closeListener, newListenerCounters, openListener, type ListenerCounters } from './listener';
import { buildRuleset, REMOVE_SCRIPT, runNft, type Interception, type NftRunner } from './nft';
import { PortPool } from './ports';
import { WindowLimiter } from './rate-limit';
import { defaultStandInSettings, standInSettingsProblem, type StandInServer, type StandInSettings } from './settings';
import { newStandInCounters, type StandInCallbacks, type StandInCounters } from './types';

export interface StandInOptions {
  /** The servers stood in for while down (config server with option standin '1'). */
  readonly servers: readonly StandInServer[];
  readonly settings?: Partial<StandInSettings>;
  readonly callbacks: StandInCallbacks;
  /** Loads nft scripts; default: the nft command. */
  readonly nft?: NftRunner;
  /** Deletes a server's unanswered conntrack entries; default: the conntrack command. */
  readonly conntrack?: ConntrackFlusher;
  /** The router's clock for times on the page; default: the process's time zone. */
  readonly utcOffset?: UtcOffset;
}

export interface StandInStats extends StandInCounters {
  /** Servers stood in for now, with their listener ports. */
  readonly active: readonly { readonly server: string; readonly listenPort: number }[];
  readonly listener: Readonly<ListenerCounters>;
  readonly openConnections: number;
  readonly eventStreams: number;
  readonly eventStreamsRefused: number;
  /** "back" events sent to open pages. */
  readonly backEvents: number;
  readonly languages: readonly string[];
}

interface Active {
  readonly listenPort: number;
  readonly http: Server;
}

/** Milliseconds a closing listener lets answers in flight finish. */
const CLOSE_GRACE_MS = 2000;
/** Ports of the range tried when one is held by another process. */
const BIND_TRIES = 8;

export class StandIn {
  readonly settings: StandInSettings;
  /** Keyed by the address's canonical text, as are the other per-server tables here. */
  private readonly servers = new Map<string, StandInServer>();
  private readonly active = new Map<string, Active>();
  /** Servers back, whose redirect is still being removed: their pages must wait for that. */
  private readonly leaving = new Set<string>();
  private readonly callbacks: StandInCallbacks;
  private readonly nft: NftRunner;
  private readonly conntrack: ConntrackFlusher;
  private conntrackMissing = false;
  private readonly pool: PortPool;
  private readonly busyPorts = new Set<number>();
  private readonly counters = newStandInCounters();
  private readonly listenerCounters = newListenerCounters();
  private readonly gate: ConnectionGate;
  private readonly events: EventStreams;
  private readonly deps: HandlerDeps;
  private catalogs: readonly Catalog[] = [];
  private queue: Promise<void> = Promise.resolve();
  private state: 'new' | 'running' | 'stopped' = 'new';
  /** listen_address as bound: every address ('0.0.0.0') is '::', both families, unless the kernel lacks IPv6. */
  private bindAddress: string;

  constructor(opts: StandInOptions) {
    this.settings = { ...defaultStandInSettings, ...opts.settings };
    const problem = standInSettingsProblem(this.settings);
    if (problem !== null) throw new Error(`stand-in settings (config standin): ${problem}`);
    for (const s of opts.servers) this.servers.set(s.address.text, s);
    this.bindAddress = this.settings.listenAddress === '0.0.0.0' ? '::' : this.settings.listenAddress;
    this.callbacks = opts.callbacks;
    this.nft = opts.nft ?? runNft;
    this.conntrack = opts.conntrack ?? flushUnanswered;
    this.pool = new PortPool(this.settings.portBase, this.settings.portCount);
    this.gate = new ConnectionGate({
      total: this.settings.maxConnections, perClient: this.settings.maxClientConnections, perNetwork: this.settings.maxNetworkConnections,
    }, this.listenerCounters);
    this.events = new EventStreams(this.settings.maxConnections, Math.max(1, Math.floor(this.settings.maxClientConnections / 2)));
    const s = this.settings;
    const self = this;
    this.deps = {
      settings: s,
      get catalogs() { return self.catalogs; },
      csrf: new CsrfTokens(),
      callbacks: this.callbacks,
      clientPosts: new WindowLimiter(s.clientPosts, s.clientWindow),
      addressRegistrations: new WindowLimiter(s.addressRegistrations, s.addressWindow),
      events: this.events,
      redirected: (server) => this.active.has(server) || this.leaving.has(server),
      declined: new DeclinedClients(),
      counters: this.counters,
      utcOffset: opts.utcOffset ?? systemUtcOffset,
    };
  }

  /** Loads the languages and stands in for every configured server that is down now. */
  start(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'new') throw new Error(`stand-in: start() called when ${this.state}; create a new StandIn`);
      this.state = 'running';
      this.catalogs = loadCatalogs(this.settings.languagesDir, (m) => this.callbacks.log('warn', m));
      // Also replaces whatever a killed predecessor left in the table.
      await this.reconcile(true);
      this.callbacks.log('info', `stand-in up: ${this.servers.size} servers configured, ${this.active.size} stood in for now, ` +
        `listener ports ${this.pool.first}-${this.pool.last}, languages ${this.catalogs.map((c) => c.tag).join(' ')}`);
    }, true);
  }

  /** Removes the nftables table and closes every listener and page stream. */
  stop(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'running') return;
      this.state = 'stopped';
      this.events.closeAll();
      const closing = [...this.active.values()].map((a) => closeListener(a.http, 0));
      this.active.clear();
      if (this.settings.nftables) {
        try {
          await this.nft(REMOVE_SCRIPT);
        } catch (err) {
          this.counters.nftErrors++;
          this.callbacks.log('error', `stand-in: removing nftables table inet backsoon failed: ${(err as Error).message}; remove it with: nft delete table inet backsoon`);
        }
      }
      await Promise.all(closing);
    });
  }

  /**
   * The engine's decisions: 'down' starts standing in; 'recovered', and 'expired' of the whole
   * outage (the engine forgot it to make room), end it. The rest is ignored.
   */
  onDecision(d: Decision): Promise<void> {
    const ends = d.event === 'recovered' || (d.event === 'expired' && d.client === undefined);
    if (d.event !== 'down' && !ends) return Promise.resolve();
    const server = parseIp(d.server);
    if (server === null) return Promise.resolve();
    return d.event === 'down' ? this.onDown(server) : this.onRecovered(server);
  }

  /** The server went down: stand in for it if it is configured so. Resolves once the redirect is live. */
  onDown(server: IpAddress): Promise<void> {
    return this.serial(async () => {
      const cfg = this.servers.get(server.text);
      if (this.state !== 'running' || cfg === undefined || this.active.has(server.text)) return;
      if (!this.callbacks.isDown(cfg.address)) return;
      if (!(await this.activate(cfg))) return;
      await this.applyRules();
      await this.takeOverWaiting(cfg);
    });
  }

  /** The server is back: its rules go, open pages reload, its listener closes. */
  onRecovered(server: IpAddress): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'running' || !this.active.has(server.text)) return;
      await this.deactivate(this.servers.get(server.text)!);
    });
  }

  /** Brings the stand-in in line with the engine (isDown of every configured server). */
  sync(): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'running') await this.reconcile(false);
    });
  }

  /**
   * Are packets from (server, port) answers of ours (redirected page connections, resets)?
   * The daemon must not take a SYN/ACK or RST from such a pair as a sign the server is alive.
   */
  intercepts(server: IpAddress, port: number): boolean {
    return this.interceptsText(server.text, port);
  }

  /** intercepts() for the packet path: an IPv4 server as a number (no text made while none is stood in for). */
  interceptsV4(server: number, port: number): boolean {
    return this.active.size > 0 && this.interceptsText(formatIPv4(server >>> 0), port);
  }

  /** intercepts() for the packet path: the 16 bytes of an IPv6 server at `off`. */
  intercepts6(bytes: Uint8Array, off: number, port: number): boolean {
    return this.active.size > 0 && this.interceptsText(formatIp(bytes, off), port);
  }

  private interceptsText(server: string, port: number): boolean {
    const cfg = this.servers.get(server);
    if (cfg === undefined || !this.active.has(server)) return false;
    return cfg.ports.includes(port) || this.settings.resetPorts.includes(port);
  }

  /** The listener port answering for a server now, or null. */
  listenPort(server: IpAddress): number | null {
    return this.active.get(server.text)?.listenPort ?? null;
  }

  stats(): StandInStats {
    return {
      ...structuredClone(this.counters),
      active: [...this.active].map(([server, a]) => ({ server, listenPort: a.listenPort })),
      listener: { ...this.listenerCounters },
      openConnections: this.gate.open,
      eventStreams: this.events.open,
      eventStreamsRefused: this.events.refused,
      backEvents: this.events.sent,
      languages: this.catalogs.map((c) => c.tag),
    };
  }

  /**
   * Runs `op` after every earlier one. Only start() passes failures on: the engine's sink calls
   * onDecision without waiting, and a rejected promise there would end the daemon.
   */
  private serial(op: () => Promise<void>, rethrow = false): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => undefined);
    if (rethrow) return run;
    return run.catch((err: unknown) => {
      this.counters.internalErrors++;
      this.callbacks.log('error', `stand-in: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    });
  }

  private async reconcile(alwaysApply: boolean): Promise<void> {
    const started: StandInServer[] = [];
    for (const server of this.servers.values()) {
      const down = this.callbacks.isDown(server.address);
      const active = this.active.has(server.address.text);
      if (down && !active) { if (await this.activate(server)) started.push(server); }
      else if (!down && active) { await this.deactivate(server); }
    }
    if (started.length > 0 || alwaysApply) await this.applyRules();
    for (const server of started) await this.takeOverWaiting(server);
  }

  /** Connections already waiting for the server are made to retry into the redirect (conntrack.ts). */
  private async takeOverWaiting(server: StandInServer): Promise<void> {
    if (!this.settings.nftables || this.conntrackMissing) return;
    let taken = 0;
    for (const port of server.ports) {
      try {
        taken += await this.conntrack(server.address.text, port);
      } catch (err) {
        if (err instanceof ConntrackMissing) {
          this.conntrackMissing = true;
          this.callbacks.log('warn', `stand-in: ${err.message}: clients already connecting to a server when it is found down wait until they time out, ` +
            'instead of getting the page at their next retry');
          return;
        }
        this.callbacks.log('warn', `stand-in: clearing waiting connections to ${hostPort(server.address.text, port)} failed: ${(err as Error).message}`);
      }
    }
    this.counters.takenOver += taken;
  }

  private async activate(server: StandInServer): Promise<boolean> {
    const address = server.address.text;
    for (let tries = 0; tries < BIND_TRIES; tries++) {
      const port = this.pool.take(this.busyPorts);
      if (port === null) {
        this.counters.noPort++;
        this.callbacks.log('warn', `stand-in: no free listener port for ${address} (listen_port ${this.pool.first}, listen_ports ${this.pool.count} ` +
          `all in use); raise listen_ports in config standin`);
        return false;
      }
      try {
        const http = await openListener({
          host: this.bindAddress, port, settings: this.settings, gate: this.gate, counters: this.listenerCounters,
          onRequest: (req, res) => handleRequest(this.deps, server.address, req, res),
        });
        this.active.set(address, { listenPort: port, http });
        this.callbacks.log('info', `stand-in: answering for ${address} port ${server.ports.join(',')} on ${hostPort(this.bindAddress, port)}`);
        return true;
      } catch (err) {
        if (this.bindAddress === '::' && (err as NodeJS.ErrnoException).code === 'EAFNOSUPPORT') {
          // a kernel without IPv6: every address is every IPv4 address
          this.bindAddress = '0.0.0.0';
          this.pool.release(port);
          tries--;
          continue;
        }
        this.pool.release(port);
        this.busyPorts.add(port);
        this.counters.portBusy++;
        this.callbacks.log('warn', `stand-in: cannot listen on ${hostPort(this.bindAddress, port)} (${(err as Error).message}); trying the next port`);
      }
    }
    return false;
  }

  private async deactivate(server: StandInServer): Promise<void> {
    const address = server.address.text;
    const a = this.active.get(address)!;
    this.active.delete(address);
    // Order matters: new connections must reach the real server before the pages reload. A page
    // that opens its stream meanwhile waits with the others (handler.ts, eventStream).
    this.leaving.add(address);
    await this.applyRules();
    this.leaving.delete(address);
    const told = this.events.back(address);
    this.deps.declined.clear(address);
    this.callbacks.log('info', `stand-in: ${address} is back; ${told} open pages told to reload`);
    void closeListener(a.http, CLOSE_GRACE_MS).then(() => this.pool.release(a.listenPort));
  }

  private async applyRules(): Promise<void> {
    if (!this.settings.nftables) return;
    const interceptions: Interception[] = [...this.active].map(([server, a]) => {
      const cfg = this.servers.get(server)!;
      return { server: cfg.address, listenPort: a.listenPort, ports: cfg.ports, resetPorts: this.settings.resetPorts };
    });
    try {
      await this.nft(buildRuleset(interceptions, { first: this.pool.first, last: this.pool.last }));
      this.counters.nftApplied++;
    } catch (err) {
      this.counters.nftErrors++;
      this.callbacks.log('error', `stand-in: loading nftables table inet backsoon failed: ${(err as Error).message}`);
    }
  }
}

/** "192.0.2.1:80", "[2001:db8::1]:80". */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
