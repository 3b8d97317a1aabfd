// The router's own view into the engine: packet capture on the configured interfaces, the
// kernel's neighbour events, and active probes of down servers (P8).
import { LiveCapture } from '../capture/live';
import { NeighbourMonitor } from '../capture/neighbours';
import { ArpReplyWatch } from '../capture/probe-arp';
import { Prober } from '../capture/probes';
import type { Config } from '../config/types';
import type { IpAddress } from '../net/ip';
import type { Daemon, Inputs } from './daemon';
import type { TrapConfirmer } from './trap-input';

export class LiveInput implements Inputs, TrapConfirmer {
  private capture: LiveCapture | null = null;
  private arpWatch: ArpReplyWatch | null = null;
  private neighbours: NeighbourMonitor | null = null;
  private prober: Prober | null = null;
  private openedWith = '';

  async start(daemon: Daemon): Promise<void> {
    const m = daemon.config.main;
    this.arpWatch = new ArpReplyWatch(daemon.sink);
    this.capture = LiveCapture.open(this.arpWatch, {
      clientInterfaces: m.clientInterfaces,
      serverInterfaces: m.serverInterfaces,
      scope: { servers: daemon.config.servers.map((s) => s.address), networks: daemon.config.watch.networks },
      log: (level, msg) => daemon.log(level, msg),
      bufferSize: m.captureBuffer,
    });
    this.capture.watchDrops(60);
    this.openedWith = captureKey(daemon.config);
    this.neighbours = new NeighbourMonitor({
      target: {
        neighbour: (t, addr, state) => daemon.engine.neighbour(t, addr, state),
        watches: (addr) => daemon.engine.watches(addr),
      },
      devices: m.serverInterfaces,
      log: (level, msg) => daemon.log(level, msg),
    });
    this.neighbours.start();
    this.startProber(daemon);
  }

  async reconfigure(daemon: Daemon): Promise<void> {
    if (captureKey(daemon.config) !== this.openedWith) {
      // libpcap cannot change a running session's filter and node-pcap's close() blocks.
      daemon.log('warn', 'interfaces or watched servers changed: captures keep the old filter until backsoon is restarted');
    }
    this.prober?.stop();
    this.startProber(daemon);
  }

  async stop(): Promise<void> {
    this.prober?.stop();
    this.neighbours?.stop();
    // The capture sessions end with the process (see run.ts).
  }

  /** For the `confirm` option: one probe round for one server. */
  probeOnce(server: IpAddress): Promise<boolean> {
    return this.prober?.probeOnce(server) ?? Promise.resolve(false);
  }

  /** For the `confirm` option: whether `server` (down) has a probe that can run. */
  canProbe(server: IpAddress): boolean {
    return (this.prober?.plan(server).length ?? 0) > 0;
  }

  stats() {
    const sessions = this.capture?.stats() ?? [];
    const captures = sessions.map((s) => ({
      interface: s.iface,
      role: s.roles.includes('client') ? 'client' as const : 'server' as const,
      received: s.received,
      dropped: s.dropped,
      ifDropped: s.ifDropped,
    }));
    const packets = sessions.map((s) => s.decode);
    const extra: Record<string, Record<string, number>> = {};
    if (this.neighbours) {
      const n = this.neighbours.stats();
      extra.neighbours = { failed: n.failed, reachable: n.reachable, deletedNotFailed: n.deletedNotFailed, unparsed: n.unparsed, restarts: n.restarts };
    }
    if (this.prober) {
      const p = this.prober.stats();
      extra.probes = { rounds: p.rounds, unusable: p.unusable };
      for (const [method, s] of Object.entries(p.byMethod)) {
        extra.probes[`${method}Sent`] = s.sent;
        extra.probes[`${method}Succeeded`] = s.succeeded;
      }
    }
    return { captures, packets, extra };
  }

  private startProber(daemon: Daemon): void {
    const m = daemon.config.main;
    this.prober = new Prober({
      engine: {
        outageList: () => daemon.engine.outageList(),
        isDown: (server) => daemon.engine.isDown(server),
        recoverySignal: (t, server, cause) => daemon.engine.recoverySignal(t, server, cause),
      },
      interval: m.probeInterval,
      servers: daemon.config.servers,
      serverInterfaces: m.serverInterfaces,
      capture: this.capture,
      arpReplies: this.arpWatch,
      neighbours: this.neighbours,
      log: (level, msg) => daemon.log(level, msg),
    });
    this.prober.start();
  }
}

function captureKey(config: Config): string {
  const m = config.main;
  return JSON.stringify([m.clientInterfaces, m.serverInterfaces, config.servers.map((s) => s.address.text), config.watch.networks.map((n) => n.text)]);
}
