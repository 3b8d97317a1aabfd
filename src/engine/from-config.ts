// The engine's options from the typed configuration.
import type { Config } from '../config/types';
import { ipFromV4, prefixFromV4, type IpPrefix } from '../net/ip';
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
    servers: config.servers.map((s) => ipFromV4(s.address)),
    networks: config.watch.networks.map(prefixFromV4),
    clientNetworks: config.watch.clientNetworks.length > 0 ? config.watch.clientNetworks : lanNetworks,
    // Configured addresses have no MAC: only the IP source is checked for them.
    routerAddresses: m.routerAddresses.map((address) => ({ address, mac: 0 })),
  };
}
