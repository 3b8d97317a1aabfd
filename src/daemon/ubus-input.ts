// The daemon on ubus (docs/UBUS.md): object `backsoon` with status, outages and reload, and the
// events backsoon.down, backsoon.recovered and backsoon.notice. Off, with a log line, while
// ubusd's socket is absent at start or reload; once connected the client reconnects by itself.
// fs.promises is read at each call: node loads it at first use, not with node:fs.
import { promises as fsp } from 'node:fs';
import { parseIPv4 } from '../net/ipv4';
import { backsoonObject } from '../ubus/backsoon-object';
import { UbusClient } from '../ubus/client';
import { DecisionEvents } from '../ubus/events';
import type { Daemon, Inputs, PartStats } from './daemon';
import type { ReloadOutcome } from './reload';

export class UbusInput implements Inputs {
  private client: UbusClient | null = null;
  private events: DecisionEvents | null = null;
  private listening = false;

  constructor(private readonly reload: () => Promise<ReloadOutcome>) {}

  async start(daemon: Daemon): Promise<void> {
    if (!this.listening) {
      daemon.onDecision((d) => this.events?.push(d));
      this.listening = true;
    }
    await this.connect(daemon);
  }

  async reconfigure(daemon: Daemon): Promise<void> {
    if (this.client !== null && this.client.socket === daemon.config.main.ubusSocket) return;
    // The reload may itself be a ubus call on the old connection: that client answers it, then goes.
    this.client?.retire();
    this.client = null;
    this.events = null;
    await this.connect(daemon);
  }

  async stop(): Promise<void> {
    this.client?.stop();
    this.client = null;
    this.events = null;
  }

  stats(): PartStats {
    return { captures: [], packets: [], sections: { ubus: this.client?.stats() } };
  }

  private async connect(daemon: Daemon): Promise<void> {
    const path = daemon.config.main.ubusSocket;
    if (!(await isSocket(path))) {
      daemon.log('info', `ubus: no ubusd socket at ${path}, so no object backsoon and no events; ` +
        'start ubusd and reload backsoon, or set option ubus_socket');
      return;
    }
    const client = new UbusClient({
      socket: path,
      objects: [backsoonObject({ status: () => daemon.status(), reload: this.reload })],
      log: (level, msg) => daemon.log(level, msg),
    });
    this.events = new DecisionEvents(
      { serverName: (server) => daemon.serverConfig(server)?.name },
      (event) => client.sendEvent(event.id, event.data),
      (fn) => daemon.afterDecisions(fn),
    );
    this.client = client;
    client.start();
  }
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isSocket();
  } catch {
    return false;
  }
}
