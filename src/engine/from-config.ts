// The engine's options from the typed configuration.
import type { Config } from '../config/types';
import type { EngineOptions } from './engine';

export function engineOptionsFrom(config: Config): EngineOptions {
  const m = config.main;
  return {
    synTimeout: m.synTimeout,
    arpRetries: m.arpRetries,
    icmpCodes: m.icmpCodes,
    icmp6Codes: m.icmp6Codes,
    maxAttemptAge: m.maxAttemptAge,
    purgeInterval: m.purgeInterval,
    hold: m.hold,
    maxServers: m.maxServers,
    maxLinks: m.maxLinks,
    maxLinksPerServer: m.maxLinksPerServer,
    maxPendingSyns: m.maxPendingSyns,
    maxContacts: m.maxContacts,
    requireContact: m.requireContact,
    servers: config.servers.map((s) => s.address),
    networks: config.watch.networks,
  };
}
