// Reads config standin (schema in config/schema.ts) into StandinConfig, with the checks the
// schema cannot express, and turns it and the config server sections into what StandIn takes.
import { formatIPv4 } from '../net/ipv4';
import { ipFromV4 } from '../net/ip';
import type { SectionReader } from '../config/section-reader';
import { registerSections } from '../config/sections';
import type { ServerConfig, StandinConfig } from '../config/types';
import type { StandInServer, StandInSettings } from './settings';

registerSections({
  name: 'standin',
  read: (ctx) => {
    const standin = readStandin(ctx.single('standin'));
    for (const warning of standInWarnings(ctx.servers, ctx.snmp.enabled)) ctx.warn(warning);
    return { standin };
  },
});

/** `r` is the config standin section's reader (absent section: a reader with section null). */
export function readStandin(r: SectionReader): StandinConfig {
  const c: StandinConfig = {
    listen: formatIPv4(r.value('listen', 'ipv4')),
    listenPort: r.value('listen_port', 'port'),
    listenPorts: r.value('listen_ports', 'uint'),
    resetPorts: r.value('reset_https', 'bool') ? r.many('reset_port', 'port') : [],
    reaskAfter: r.value('reask_after', 'duration'),
    registrationConflict: r.value('registration_conflict', 'enum') as StandinConfig['registrationConflict'],
    maxBody: r.value('max_body', 'uint'),
    maxConnections: r.value('max_connections', 'uint'),
    maxClientConnections: r.value('max_client_connections', 'uint'),
    maxNetworkConnections: r.value('max_network_connections', 'uint'),
    headerTimeout: r.value('header_timeout', 'duration'),
    requestTimeout: r.value('request_timeout', 'duration'),
    clientPosts: r.value('client_posts', 'uint'),
    addressRegistrations: r.value('address_registrations', 'uint'),
    languagesDir: r.maybe('languages_dir', 'path'),
  };
  const last = c.listenPort + c.listenPorts - 1;
  if (last > 65535) {
    r.error(r.lineOf('listen_ports'), `section ${r.label} (config standin): listen_port ${c.listenPort} with listen_ports ${c.listenPorts} ` +
      `runs to port ${last}, past 65535; lower listen_port or listen_ports`);
  }
  if (c.headerTimeout > c.requestTimeout) {
    r.error(r.lineOf('header_timeout'), `section ${r.label} (config standin): header_timeout ${c.headerTimeout} exceeds request_timeout ` +
      `${c.requestTimeout}; the headers are part of the request, so raise request_timeout or lower header_timeout`);
  }
  if (c.maxClientConnections > c.maxConnections) {
    r.warn(r.lineOf('max_client_connections'), `section ${r.label} (config standin): max_client_connections ${c.maxClientConnections} ` +
      `exceeds max_connections ${c.maxConnections}, so one client may take every connection`);
  }
  return c;
}

export function standInSettingsFrom(c: StandinConfig): Partial<StandInSettings> {
  return {
    listenAddress: c.listen,
    portBase: c.listenPort,
    portCount: c.listenPorts,
    resetPorts: c.resetPorts,
    reaskAfter: c.reaskAfter,
    maxBody: c.maxBody,
    maxConnections: c.maxConnections,
    maxClientConnections: c.maxClientConnections,
    maxNetworkConnections: c.maxNetworkConnections,
    headersTimeout: c.headerTimeout,
    requestTimeout: c.requestTimeout,
    clientPosts: c.clientPosts,
    addressRegistrations: c.addressRegistrations,
    languagesDir: c.languagesDir,
  };
}

/** The servers with option standin '1'. */
export function standInServersFrom(servers: readonly ServerConfig[]): StandInServer[] {
  return servers.filter((s) => s.standin).map((s) => ({ address: s.address, name: s.name, ports: s.standinPorts }));
}

/**
 * Warnings about stood-in servers whose return may go unseen: their web port's connections
 * end on the router, so client retries no longer show a SYN/ACK from them, and the router
 * stops ARPing for them. A probe or SNMP traps are then the only signs of life.
 */
export function standInWarnings(servers: readonly ServerConfig[], snmpEnabled: boolean): string[] {
  const out: string[] = [];
  for (const s of servers) {
    if (!s.standin || s.probe.length > 0 || snmpEnabled) continue;
    out.push(`server ${s.address.text} (section '${s.section}') has option standin '1' but no list probe and there is no ` +
      "config snmp: while it is stood in for, its return may go unseen; add list probe 'tcp:80' (or 'neigh')");
  }
  return out;
}
