// net-snmp, loaded on first use: it ships no type declarations, and it costs ~5 MB of RSS, so
// neither the trap receiver (capture/trap-in-netsnmp.ts) nor the sender (notify/trap-out.ts)
// loads it before traps are configured or a notification is sent. Each gives it the shape of
// the part it uses; the SNMPv3 names both use are here.

/** net-snmp's numbers for the SNMPv3 security levels and protocols, by name. */
export interface NetSnmpSecurityNames {
  readonly SecurityLevel: Readonly<Record<string, number>>;
  readonly AuthProtocols: Readonly<Record<string, number>>;
  readonly PrivProtocols: Readonly<Record<string, number>>;
}

let loaded: unknown = null;

/** The module, required once; the caller casts it to the shape it declares. */
export function requireNetSnmp(): unknown {
  return loaded ??= require('net-snmp');
}
