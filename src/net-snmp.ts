// net-snmp, loaded on first use: it ships no type declarations, and it costs ~5 MB of RSS, so
// neither the trap receiver (capture/trap-in-netsnmp.ts) nor the sender (notify/trap-out.ts)
// loads it before traps are configured or a notification is sent. Each gives it the shape of
// the part it uses; the SNMPv3 names both use are here.
//
// In dist/ it is a bundle of its own beside the daemon's (a quarter of its size), so a daemon
// without SNMP does not make node read and compile it at every start; from the sources (tsx)
// it comes from node_modules. A computed name, so esbuild leaves it out of the bundles.

import { join } from 'node:path';

/** The file beside the bundles that `make build` writes net-snmp to. */
export const SNMP_BUNDLE = 'backsoon-snmp.js';

/** net-snmp's numbers for the SNMPv3 security levels and protocols, by name. */
export interface NetSnmpSecurityNames {
  readonly SecurityLevel: Readonly<Record<string, number>>;
  readonly AuthProtocols: Readonly<Record<string, number>>;
  readonly PrivProtocols: Readonly<Record<string, number>>;
}

let loaded: unknown = null;

/** The module, required once; the caller casts it to the shape it declares. */
export function requireNetSnmp(): unknown {
  const id = __filename.endsWith('.ts') ? 'net-snmp' : join(__dirname, SNMP_BUNDLE);
  return loaded ??= require(id);
}
