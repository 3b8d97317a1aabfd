// The stand-in (P11, P12): while a watched server with option standin '1' is down, its web
// port is answered by backsoon's page. It follows the engine's decisions, and its own replies
// (SYN/ACKs and resets sent in the server's name) are kept from the engine.
import { engineCallbacks } from '../standin/engine-callbacks';
import { standInServersFrom, standInSettingsFrom } from '../standin/config';
import { StandIn } from '../standin/standin';
import type { Daemon, Inputs, PartStats } from './daemon';

export class StandInInput implements Inputs {
  private standin: StandIn | null = null;
  private listening = false;

  async start(daemon: Daemon): Promise<void> {
    if (!this.listening) {
      daemon.onDecision((d) => { void this.standin?.onDecision(d); });
      this.listening = true;
    }
    const servers = standInServersFrom(daemon.config.servers);
    if (servers.length === 0) { daemon.isOwnTraffic = null; return; }
    const engine = engineCallbacks(daemon.engine, {
      serverName: (server) => (server.family === 4 ? daemon.serverConfig(server.v4)?.name : undefined) ?? server.text,
      now: () => Date.now() / 1000,
      log: (level, msg) => daemon.log(level, msg),
      changed: () => daemon.stateChanged(),
      registrationConflict: daemon.config.standin.registrationConflict,
    });
    const standin = new StandIn({
      servers,
      settings: standInSettingsFrom(daemon.config.standin),
      callbacks: {
        ...engine,
        // Confirmed to the client only once it is on disk.
        register: async (server, client, mac, mail, t) => {
          const outcome = await engine.register(server, client, mac, mail, t);
          if (outcome !== 'registered') return outcome;
          return (await daemon.saveRegistration(server, client, mac, mail, t)) ? 'registered' : 'not-saved';
        },
        pageText: (server, client) => daemon.pageText(server, client),
      },
    });
    await standin.start();
    this.standin = standin;
    daemon.isOwnTraffic = {
      v4: (server, port) => standin.interceptsV4(server, port),
      v6: (bytes, off, port) => standin.intercepts6(bytes, off, port),
    };
  }

  async reconfigure(daemon: Daemon): Promise<void> {
    // The engine was replaced: the callbacks must follow it; the table is rebuilt from state.
    await this.stop();
    await this.start(daemon);
  }

  async stop(): Promise<void> {
    await this.standin?.stop();
    this.standin = null;
  }

  stats(): PartStats {
    return { captures: [], packets: [], sections: { standin: this.standin?.stats() } };
  }
}
