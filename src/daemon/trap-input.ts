// SNMP traps into the engine (P7). A v1/v2c trap carries its community in clear, so by default
// (option confirm unset) it counts only once a probe has seen the server answer; an SNMPv3 trap
// whose user checks a key is believed at once. option confirm '1' probes for every trap, '0' for none.
import type { TrapSources } from '../capture/trap-filter';
import { TrapReceiver } from '../capture/traps';
import { formatIPv4 } from '../net/ipv4';
import { ipFromV4 } from '../net/ip';
import type { Daemon, Inputs, PartStats } from './daemon';

/** The probes the confirmation uses (LiveInput's prober). */
export interface TrapConfirmer {
  /** Whether `server` has a probe that can run now (one configured, or a neighbour on a server_interface). */
  canProbe(server: number): boolean;
  /** One probe round of `server`; true when one of its probes succeeded. */
  probeOnce(server: number): Promise<boolean>;
}

export class TrapInput implements Inputs {
  private receiver: TrapReceiver | null = null;
  private readonly counts = { confirmed: 0, confirmFailed: 0, unconfirmable: 0 };
  /** One confirming probe per server at a time; traps meanwhile wait for its answer. */
  private readonly confirming = new Map<number, Promise<boolean>>();
  private readonly warnedUnprobeable = new Set<number>();

  constructor(private readonly confirmer: TrapConfirmer) {}

  async start(daemon: Daemon): Promise<void> {
    const receiver = new TrapReceiver({
      snmp: daemon.config.snmp,
      sources: trapSources(daemon),
      onRecovery: (t, server, detail, authenticated) => this.recovery(daemon, t, server, detail, authenticated),
      log: (level, msg) => daemon.log(level, msg),
      now: () => Date.now() / 1000,
    });
    await receiver.start();
    this.receiver = receiver;
  }

  async reconfigure(daemon: Daemon): Promise<void> {
    await this.stop();
    await this.start(daemon);
  }

  async stop(): Promise<void> {
    await this.receiver?.stop();
    this.receiver = null;
  }

  stats(): PartStats {
    const s = this.receiver?.stats();
    if (!s) return { captures: [], packets: [], sections: {} };
    const { confirmed, confirmFailed, unconfirmable } = this.counts;
    const ignored = { ...s.ignored, confirmFailed, unconfirmable };
    // Every datagram that did not become (or lead to) a recovery signal, whatever the reason.
    const rejected = Object.values(ignored).reduce((a, b) => a + b, 0);
    const traps = { received: s.received, accepted: s.accepted, discoveries: s.discoveries, confirmed, ignored, rejected };
    return { captures: [], packets: [], sections: { traps } };
  }

  private recovery(daemon: Daemon, t: number, server: number, detail: string, authenticated: boolean): void {
    const confirm = daemon.config.main.confirm ?? !authenticated;
    // A trap for a server that is not down changes nothing; no probe for it.
    if (!confirm || !daemon.engine.isDown(ipFromV4(server))) { daemon.engine.recoverySignal(t, ipFromV4(server), 'trap'); return; }
    if (!this.confirmer.canProbe(server)) {
      this.counts.unconfirmable++;
      const first = !this.warnedUnprobeable.has(server);
      this.warnedUnprobeable.add(server);
      daemon.log(first ? 'warn' : 'debug', `${detail}: not believed: a trap with a community is confirmed by a probe (option confirm), ` +
        `and ${formatIPv4(server)} has none that can run; add list probe 'tcp:PORT' to its config server section, ` +
        `or have it send SNMPv3 with authentication (config snmp_user), or set option confirm '0' to believe such traps`);
      return;
    }
    let probe = this.confirming.get(server);
    if (probe === undefined) {
      probe = this.confirmer.probeOnce(server).catch(() => false).finally(() => this.confirming.delete(server));
      this.confirming.set(server, probe);
    }
    void probe.then((ok) => {
      if (ok) {
        this.counts.confirmed++;
        daemon.engine.recoverySignal(Date.now() / 1000, ipFromV4(server), 'trap');
      } else {
        this.counts.confirmFailed++;
        daemon.log('info', `${detail}: the probe found the server still down; ignored (option confirm)`);
      }
    });
  }
}

/**
 * Whose traps speak for which server: a configured server's address or agent_address (with no
 * servers configured, any down server itself); a config snmp nms_address may name one.
 */
export function trapSources(daemon: Daemon): TrapSources {
  return {
    serverAt(address) {
      const servers = daemon.config.servers;
      if (servers.length === 0) return daemon.engine.isDown(ipFromV4(address)) ? address : null;
      const found = servers.find((s) => s.address === address || s.agentAddresses.includes(address));
      return found === undefined ? null : found.address;
    },
    isRelay: (address) => daemon.config.snmp.nmsAddresses.includes(address),
  };
}
