// Decides whether a notification net-snmp accepted is a recovery signal (P7): the trap must be a
// recovery trap, and its source (UDP source address, or an SNMPv1 agent-addr) must name a server.
import { formatIPv4, parseIPv4 } from '../net/ipv4';
import type { NetSnmpPdu } from './trap-netsnmp';
import { SNMP_TRAP_OID, trapName, v1TrapOid, normalizeOid } from './trap-oids';

/** Why a datagram on the trap port did not become a recovery signal. */
export type IgnoreReason =
  | 'unknownSource'    // a recovery trap, but no server matches its source
  | 'badCommunity'     // v1/v2c community not in the list
  | 'unknownUser'      // v3 user not configured
  | 'authFailure'      // v3 digest wrong, cannot decrypt, or security level too low
  | 'notRecoveryTrap'  // a notification, but not one that means "back"
  | 'malformed';       // not SNMP, or SNMP that is not a trap/inform

export const IGNORE_REASONS: readonly IgnoreReason[] =
  ['unknownSource', 'badCommunity', 'unknownUser', 'authFailure', 'notRecoveryTrap', 'malformed'];

export type SnmpVersion = 'v1' | 'v2c' | 'v3';

/** A trap or inform as the filter sees it: versions unified, addresses as numbers. */
export interface TrapNotification {
  readonly version: SnmpVersion;
  readonly kind: 'trap' | 'inform';
  /** snmpTrapOID in v2 form (v1 traps mapped by RFC 3584). */
  readonly trapOid: string;
  /** UDP source address; null when it is not IPv4. */
  readonly source: number | null;
  readonly sourceText: string;
  /** SNMPv1 agent-addr; null for v2c/v3 and for 0.0.0.0. */
  readonly agentAddr: number | null;
  /** Community or v3 user name, for logs. */
  readonly principal: string;
}

export type ResolveServer = (source: number, agentAddr: number | null) => number | null;

const PDU_TRAP_V1 = 164;
const PDU_INFORM = 166;
const PDU_TRAP_V2 = 167;
const OBJECT_TYPE_OID = 6;

/** "1.2.3.4" or the IPv4-mapped "::ffff:1.2.3.4" -> number; anything else -> null. */
export function sourceAddress(text: string): number | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  return parseIPv4(mapped ? mapped[1] : text);
}

/** Reads net-snmp's decoded PDU; a string says why it is not a usable notification. */
export function readNotification(pdu: NetSnmpPdu, sourceText: string): TrapNotification | string {
  const source = sourceAddress(sourceText);
  const principal = pdu.scoped ? `user '${pdu.user ?? ''}'` : `community '${pdu.community ?? ''}'`;
  if (pdu.type === PDU_TRAP_V1) {
    const oid = v1TrapOid(pdu.enterprise ?? '', pdu.generic ?? -1, pdu.specific ?? -1);
    if (oid === null) {
      return `SNMPv1 trap with enterprise '${pdu.enterprise}', generic-trap ${pdu.generic}, specific-trap ${pdu.specific} names no trap`;
    }
    const agent = pdu.agentAddr === undefined ? null : parseIPv4(pdu.agentAddr);
    return { version: 'v1', kind: 'trap', trapOid: oid, source, sourceText, agentAddr: agent === 0 ? null : agent, principal };
  }
  if (pdu.type !== PDU_TRAP_V2 && pdu.type !== PDU_INFORM) return `PDU type ${pdu.type} is not a trap or inform`;
  // RFC 3416 puts snmpTrapOID.0 second (after sysUpTime.0); look further in case a sender does not.
  const varbind = (pdu.varbinds ?? []).find((v) => v.oid === SNMP_TRAP_OID);
  if (varbind === undefined) return 'trap without snmpTrapOID.0';
  const oid = varbind.type === OBJECT_TYPE_OID && typeof varbind.value === 'string' ? normalizeOid(varbind.value) : null;
  if (oid === null) return 'snmpTrapOID.0 does not hold an OID';
  return {
    version: pdu.scoped ? 'v3' : 'v2c',
    kind: pdu.type === PDU_INFORM ? 'inform' : 'trap',
    trapOid: oid, source, sourceText, agentAddr: null, principal,
  };
}

export type TrapDecision =
  | { readonly accept: true; readonly server: number; readonly detail: string }
  | { readonly accept: false; readonly reason: 'notRecoveryTrap' | 'unknownSource'; readonly detail: string };

/** "coldStart trap (SNMPv2c, community 'public') from 198.51.100.10, agent-addr 198.51.100.7" */
export function describeNotification(n: TrapNotification): string {
  const agent = n.agentAddr !== null && n.agentAddr !== n.source ? `, agent-addr ${formatIPv4(n.agentAddr)}` : '';
  return `${trapName(n.trapOid)} ${n.kind} (SNMP${n.version}, ${n.principal}) from ${n.sourceText}${agent}`;
}

export function decideTrap(n: TrapNotification, recoveryTraps: ReadonlySet<string>, resolveServer: ResolveServer): TrapDecision {
  const detail = describeNotification(n);
  if (!recoveryTraps.has(n.trapOid)) return { accept: false, reason: 'notRecoveryTrap', detail };
  // The core speaks IPv4 only: an IPv6 source names no server.
  const server = n.source === null ? null : resolveServer(n.source, n.agentAddr);
  if (server === null) return { accept: false, reason: 'unknownSource', detail };
  return { accept: true, server, detail };
}
