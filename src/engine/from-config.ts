// The engine's options from the typed configuration.
import type { Config, ServerConfig } from '../config/types';
import type { IpAddress, IpPrefix } from '../net/ip';
import type { EngineOptions } from './engine';

/**
 * `lanNetworks`: the networks of the client-side devices as the kernel has them, the client
 * networks when the configuration names none (empty: every client).
 */
export function engineOptionsFrom(config: Config, lanNetworks: readonly IpPrefix[] = []): EngineOptions {
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
    serverGroups: serverGroupsOf(config.servers),
    networks: config.watch.networks,
    clientNetworks: config.watch.clientNetworks.length > 0 ? config.watch.clientNetworks : lanNetworks,
    // Configured addresses have no MAC: only the IP source is checked for them.
    routerAddresses: m.routerAddresses.map((address) => ({ address, mac: 0 })),
    // A recovery tells every device in one call; the daemon tells the first few and paces the rest.
    tellAtOnce: 0,
  };
}

/** Server sections with the same name are one server at several addresses (config check allows one per family). */
export function serverGroupsOf(servers: readonly ServerConfig[]): IpAddress[][] {
  const byName = new Map<string, IpAddress[]>();
  for (const s of servers) {
    const group = byName.get(s.name);
    if (group) group.push(s.address);
    else byName.set(s.name, [s.address]);
  }
  return [...byName.values()].filter((g) => g.length > 1);
}
