// The router's own view into the engine: packet capture on the configured interfaces, the
// kernel's neighbour events, and active probes of down servers (P8).
import { HostAddressWatch } from '../capture/host-addresses';
import { LiveCapture } from '../capture/live';
import { NeighbourMonitor } from '../capture/neighbours';
import { ArpReplyWatch } from '../capture/probe-arp';
import { Prober } from '../capture/probes';
import type { Config } from '../config/types';
import { formatIPv4 } from '../net/ipv4';
import type { Daemon, Inputs, PartStats } from './daemon';
import type { TrapConfirmer } from './trap-input';

export class LiveInput implements Inputs, TrapConfirmer {
  private capture: LiveCapture | null = null;
  private arpWatch: ArpReplyWatch | null = null;
  private neighbours: NeighbourMonitor | null = null;
  private prober: Prober | null = null;
  private hostAddresses: HostAddressWatch | null = null;
  private openedWith = '';
  /** The ICMP sources the capture's filter was built with. */
  private openedSources: number[] = [];

  async start(daemon: Daemon): Promise<void> {
    const m = daemon.config.main;
    // Before the capture: the first ICMP error must already meet the router's addresses.
    this.hostAddresses = new HostAddressWatch({
      changed: (addresses) => {
        daemon.setHostAddresses(addresses);
        if (this.capture !== null && !sameV4(this.openedSources, this.icmpSources(daemon))) {
          daemon.log('warn', "router addresses changed: the capture's filter keeps taking ICMP errors from the addresses it opened with " +
            `(${this.openedSources.map(formatIPv4).join(', ') || 'none'}) until backsoon is restarted; the engine checks the new ones`);
        }
      },
      log: (level, msg) => daemon.log(level, msg),
    });
    this.hostAddresses.start();
    this.arpWatch = new ArpReplyWatch(daemon.sink);
    this.capture = LiveCapture.open(this.arpWatch, {
      clientInterfaces: m.clientInterfaces,
      serverInterfaces: m.serverInterfaces,
      // ICMP errors only from the router's addresses: a client's forgery is mostly not captured.
      scope: { servers: daemon.config.servers.map((s) => s.address), networks: daemon.config.watch.networks, icmpSources: this.icmpSources(daemon) },
      log: (level, msg) => daemon.log(level, msg),
      bufferSize: m.captureBuffer,
      batchMs: m.captureBatchMs,
    });
    this.capture.watchDrops(60);
    this.openedWith = captureKey(daemon.config);
    this.openedSources = this.icmpSources(daemon);
    this.neighbours = new NeighbourMonitor({
      target: {
        neighbour: (t, addr, state) => daemon.engine.neighbour(t, addr, state),
        bound: (t, addr) => daemon.engine.bound(t, addr),
        watches: (addr) => daemon.engine.watches(addr),
      },
      devices: m.serverInterfaces,
      log: (level, msg) => daemon.log(level, msg),
    });
    this.neighbours.start();
    this.startProber(daemon);
  }

  /** The router's IPv4 addresses as the capture opens (this host's and router_address). */
  private icmpSources(daemon: Daemon): number[] {
    const all = [...(this.hostAddresses?.current() ?? []).map((a) => a.address), ...daemon.config.main.routerAddresses];
    return all.filter((a) => a.family === 4).map((a) => a.v4);
  }

  async reconfigure(daemon: Daemon): Promise<void> {
    if (captureKey(daemon.config) !== this.openedWith) {
      // libpcap cannot change a running session's filter or buffer, and closing one blocks.
      daemon.log('warn', 'interfaces, watched servers, capture_buffer or capture_batch_ms changed: captures keep the old settings until backsoon is restarted');
    }
    this.prober?.stop();
    this.startProber(daemon);
  }

  async stop(): Promise<void> {
    this.prober?.stop();
    this.neighbours?.stop();
    this.hostAddresses?.stop();
    // The capture sessions end with the process (see run.ts).
  }

  /** For the `confirm` option: one probe round for one server. */
  probeOnce(server: number): Promise<boolean> {
    return this.prober?.probeOnce(server) ?? Promise.resolve(false);
  }

  /** For the `confirm` option: whether `server` (down) has a probe that can run. */
  canProbe(server: number): boolean {
    return (this.prober?.plan(server).length ?? 0) > 0;
  }

  stats(): PartStats {
    const sessions = this.capture?.stats() ?? [];
    const captures = sessions.map((s) => ({
      interface: s.iface,
      role: s.roles.includes('client') ? 'client' as const : 'server' as const,
      received: s.received,
      dropped: s.dropped,
      ifDropped: s.ifDropped,
    }));
    const packets = sessions.map((s) => s.decode);
    return { captures, packets, sections: { neighbours: this.neighbours?.stats(), probes: this.prober?.stats() } };
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
  return JSON.stringify([m.clientInterfaces, m.serverInterfaces, config.servers.map((s) => s.address), config.watch.networks, m.captureBuffer, m.captureBatchMs, m.routerAddresses.map((a) => a.text)]);
}

function sameV4(a: readonly number[], b: readonly number[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((x) => set.has(x));
}
