// SNMP traps into the engine (P7), with the `confirm` option: a trap counts only once a probe
// has seen the server answer.
import { TrapReceiver } from '../capture/traps';
import type { Daemon, Inputs } from './daemon';

export class TrapInput implements Inputs {
  private receiver: TrapReceiver | null = null;
  private confirmFailed = 0;

  constructor(private readonly confirm: (server: number) => Promise<boolean>) {}

  async start(daemon: Daemon): Promise<void> {
    const receiver = new TrapReceiver({
      snmp: daemon.config.snmp,
      resolveServer: (source, agentAddr) => resolveTrapSource(daemon, source, agentAddr),
      onRecovery: (t, server, detail) => {
        if (!daemon.config.main.confirm) { daemon.engine.recoverySignal(t, server, 'trap'); return; }
        this.confirm(server).then((ok) => {
          if (ok) daemon.engine.recoverySignal(Date.now() / 1000, server, 'trap');
          else { this.confirmFailed++; daemon.log('info', `trap from ${detail}: the probe found the server still down; ignored (option confirm)`); }
        }, () => { this.confirmFailed++; });
      },
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

  stats() {
    const s = this.receiver?.stats();
    const extra: Record<string, Record<string, number>> = {};
    if (s) extra.traps = { received: s.received, accepted: s.accepted, ...s.ignored, confirmFailed: this.confirmFailed };
    return { captures: [], packets: [], extra };
  }
}

/**
 * The server a trap speaks for: a configured server whose address or agent_address is the
 * trap's source (or SNMPv1 agent-addr); with no servers configured, any down server itself.
 */
export function resolveTrapSource(daemon: Daemon, source: number, agentAddr: number | null): number | null {
  const servers = daemon.config.servers;
  const candidates = agentAddr === null ? [source] : [source, agentAddr];
  if (servers.length > 0) {
    for (const s of servers) {
      for (const c of candidates) if (s.address === c || s.agentAddresses.includes(c)) return s.address;
    }
    return null;
  }
  for (const c of candidates) if (daemon.engine.isDown(c)) return c;
  return null;
}
