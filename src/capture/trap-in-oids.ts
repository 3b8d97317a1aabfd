// Which notifications mean "the server is back" (P7), and how an SNMPv1 trap is named in the
// SNMPv2 form so that one list of OIDs covers every version (RFC 3584 section 3.1).

/** snmpTraps: the standard notifications of SNMPv2-MIB, RFC 3418. */
const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';

export const COLD_START = `${SNMP_TRAPS}.1`;
export const WARM_START = `${SNMP_TRAPS}.2`;
export const LINK_DOWN = `${SNMP_TRAPS}.3`;
export const LINK_UP = `${SNMP_TRAPS}.4`;

/** snmpTrapOID.0: the varbind of a v2 trap or inform that names the notification. */
export const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';

/** Notifications that count as a recovery whatever the configuration says. */
export const STANDARD_RECOVERY_TRAPS: readonly string[] = [COLD_START, WARM_START, LINK_UP];

/** Names for logs and notices; any other OID is shown as is. */
const TRAP_NAMES: ReadonlyMap<string, string> = new Map([
  [COLD_START, 'coldStart'],
  [WARM_START, 'warmStart'],
  [LINK_DOWN, 'linkDown'],
  [LINK_UP, 'linkUp'],
  [`${SNMP_TRAPS}.5`, 'authenticationFailure'],
  [`${SNMP_TRAPS}.6`, 'egpNeighborLoss'],
  ['1.3.6.1.4.1.8072.4.0.1', 'nsNotifyStart'],
  ['1.3.6.1.4.1.8072.4.0.2', 'nsNotifyShutdown'],
  ['1.3.6.1.4.1.8072.4.0.3', 'nsNotifyRestart'],
]);

export function trapName(oid: string): string {
  return TRAP_NAMES.get(oid) ?? oid;
}

/** SNMPv1 generic-trap 6: the enterprise and specific-trap fields name the trap. */
const ENTERPRISE_SPECIFIC = 6;

/**
 * The v2 snmpTrapOID of an SNMPv1 trap (RFC 3584 3.1): generic-trap 0..5 becomes snmpTraps.(g+1);
 * enterpriseSpecific becomes enterprise.0.specific. Null when the fields make no trap OID.
 */
export function v1TrapOid(enterprise: string, genericTrap: number, specificTrap: number): string | null {
  if (!Number.isInteger(genericTrap) || genericTrap < 0) return null;
  if (genericTrap < ENTERPRISE_SPECIFIC) return `${SNMP_TRAPS}.${genericTrap + 1}`;
  if (genericTrap > ENTERPRISE_SPECIFIC) return null;
  const base = normalizeOid(enterprise);
  if (base === null || !Number.isInteger(specificTrap) || specificTrap < 0) return null;
  return `${base}.0.${specificTrap}`;
}

/**
 * "1.3.6.1..." or ".1.3.6.1..." -> "1.3.6.1..."; null when it is not a numeric OID
 * (at least two sub-identifiers, each a decimal number below 2^32).
 */
export function normalizeOid(text: string): string | null {
  const body = text.startsWith('.') ? text.slice(1) : text;
  const arcs = body.split('.');
  if (arcs.length < 2) return null;
  for (const arc of arcs) {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(arc) || Number(arc) > 0xffffffff) return null;
  }
  return body;
}

/**
 * The set the filter checks: the standard recovery traps plus the configured ones.
 * Throws on an OID that is not numeric, naming it, so a typo is found at start.
 */
export function recoveryTrapSet(extra: readonly string[]): ReadonlySet<string> {
  const set = new Set(STANDARD_RECOVERY_TRAPS);
  for (const text of extra) {
    const oid = normalizeOid(text.trim());
    if (oid === null) {
      throw new Error(
        `config snmp: recovery trap OID '${text}' is not a numeric OID; write it dotted, ` +
        `e.g. 1.3.6.1.4.1.8072.4.0.3 (an SNMPv1 enterprise trap is ENTERPRISE.0.SPECIFIC)`);
    }
    set.add(oid);
  }
  return set;
}
