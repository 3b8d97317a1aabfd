// What `config check` says about traps beyond the schema: a trap that must be confirmed by a
// probe (option confirm, by default for every v1/v2c trap) is never believed for a server that
// has no probe.
import type { MainConfig, ServerConfig, SnmpConfig } from '../config/types';
import { registerSections } from '../config/sections';
import { formatIPv4 } from '../net/ipv4';

registerSections({
  name: 'traps',
  read: (ctx) => {
    for (const warning of trapConfirmWarnings(ctx.main, ctx.servers, ctx.snmp)) ctx.warn(warning);
    return {};
  },
});

export function trapConfirmWarnings(main: MainConfig, servers: readonly ServerConfig[], snmp: SnmpConfig): string[] {
  // With a server_interface a server on its subnet gets the neigh probe without a list probe;
  // which subnet is known only at run time, where the daemon warns once per server.
  if (!snmp.enabled || snmp.communities.length === 0 || main.confirm === false || main.serverInterfaces.length > 0) return [];
  return servers.filter((s) => s.probe.length === 0).map((s) =>
    `server ${s.address.text} (section '${s.section}') has no list probe: its SNMPv1/v2c traps are believed only once a ` +
    "probe confirms them (option confirm), so none will be; add list probe 'tcp:PORT', or have it send SNMPv3 with " +
    "authentication, or set option confirm '0' in config backsoon 'main'");
}
