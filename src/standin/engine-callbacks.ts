// The stand-in's callbacks answered from the engine's own tables: down servers (71a),
// waiting clients (71b), contacts (73/74). The daemon may wrap these (to save state after a
// registration, to add the policy's page text); tests and the lab driver use them as they are.
import type { IpAddress } from '../net/ip';
import type { RegistrationConflict } from '../engine/contacts';
import type { Engine } from '../engine/engine';
import type { ServerView } from './page';
import type { KnownContact, LogLevel, RegisterOutcome, StandInCallbacks } from './types';

export interface EngineCallbackOptions {
  /** The configured host name of a server; its address when none is configured. */
  readonly serverName: (server: IpAddress) => string;
  /** Unix seconds. */
  readonly now: () => number;
  readonly log: (level: LogLevel, message: string) => void;
  /** Called after a registration or a "no thanks" changed the engine's state (to save it). */
  readonly changed?: () => void;
  /** A registration that would replace another device's (option registration_conflict); default 'refuse'. */
  readonly registrationConflict?: RegistrationConflict;
}

export function engineCallbacks(engine: Engine, o: EngineCallbackOptions): StandInCallbacks {
  return {
    isDown: (server) => engine.isDown(server),
    serverInfo(server): ServerView | null {
      const since = engine.downSince(server);
      if (since === null) return null;
      return { name: o.serverName(server), address: server.text, since };
    },
    register(server, client, mac, mail, t): RegisterOutcome {
      if (!engine.isDown(server)) return 'not-down';
      const stored = engine.contacts.registerFromPage(client, mac, engine.waitingMac(server, client), mail, t,
        o.registrationConflict ?? 'refuse');
      if (stored !== 'stored' && stored !== 'kept-both') return stored;
      // The contact is stored first, so require_contact lets the client in.
      const linked = engine.registerAttempt(t, server, client, mac);
      o.changed?.();
      return linked ? 'registered' : 'not-down';
    },
    lookupContact(server, client, mac): KnownContact | null {
      return engine.contacts.pageContact(client, mac, engine.waitingMac(server, client)) ?? null;
    },
    noticeAttempt(server, client, t, mac) {
      engine.registerAttempt(t, server, client, mac);
    },
    now: o.now,
    log: o.log,
  };
}
