// Decides whether a notification net-snmp accepted is a recovery signal (P7): the trap must be a
// recovery trap, and its UDP source must be the server's own address (or one of its agent
// addresses). The SNMPv1 agent-addr field and the snmpTrapAddress.0 varbind are written by the
// sender, so any client can put a server's address there: they name the server only when the
// trap comes from a configured management station that forwards traps (nms_address).
import { parseIPv4 } from '../net/ipv4';
import { ipFromV4, parseIp, type IpAddress } from '../net/ip';
import type { NetSnmpPdu } from './trap-in-netsnmp';
import { SNMP_TRAP_OID, trapName, v1TrapOid, normalizeOid } from './trap-in-oids';

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

/** A trap or inform as the filter sees it: versions unified, addresses parsed (either family). */
export interface TrapNotification {
  readonly version: SnmpVersion;
  readonly kind: 'trap' | 'inform';
  /** snmpTrapOID in v2 form (v1 traps mapped by RFC 3584). */
  readonly trapOid: string;
  /** UDP source address (an IPv4-mapped one is IPv4); null when it does not parse (a scoped address). */
  readonly source: IpAddress | null;
  readonly sourceText: string;
  /** SNMPv1 agent-addr; null for v2c/v3 and for 0.0.0.0. */
  readonly agentAddr: IpAddress | null;
  /** v2c/v3 snmpTrapAddress.0 (RFC 3584: a forwarder's note of the original agent); null when absent. */
  readonly trapAddress: IpAddress | null;
  /** Community or v3 user name, for logs. */
  readonly principal: string;
}

/** Who may speak for which server: the daemon's configuration and tables. */
export interface TrapSources {
  /** The server whose own address (or configured agent address) `address` is; null for none. */
  serverAt(address: IpAddress): IpAddress | null;
  /** A configured management station that forwards the servers' traps (config snmp nms_address). */
  isRelay(address: IpAddress): boolean;
}

/** RFC 3584 snmpTrapAddress.0: the address of the agent a forwarded trap came from. */
const SNMP_TRAP_ADDRESS_OID = '1.3.6.1.6.3.18.1.3.0';
const OBJECT_TYPE_IP_ADDRESS = 64;

const PDU_TRAP_V1 = 164;
const PDU_INFORM = 166;
const PDU_TRAP_V2 = 167;
const OBJECT_TYPE_OID = 6;

/** "1.2.3.4", "2001:db8::7" or the IPv4-mapped "::ffff:1.2.3.4" (IPv4); anything else -> null. */
export function sourceAddress(text: string): IpAddress | null {
  return parseIp(text);
}

/** An IPv4 address field of a trap (SNMP's IpAddress is IPv4 only); 0.0.0.0 means none. */
function v4Field(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  return v4 === null || v4 === 0 ? null : ipFromV4(v4);
}

/** Reads net-snmp's decoded PDU; a string says why it is not a usable notification. */
export function readNotification(pdu: NetSnmpPdu, from: string): TrapNotification | string {
  const source = sourceAddress(from);
  // ::ffff:a.b.c.d (a trap over IPv4 to a socket bound to ::) is shown as the IPv4 address it is
  const sourceText = source?.text ?? from;
  const principal = pdu.scoped ? `user '${pdu.user ?? ''}'` : `community '${pdu.community ?? ''}'`;
  if (pdu.type === PDU_TRAP_V1) {
    const oid = v1TrapOid(pdu.enterprise ?? '', pdu.generic ?? -1, pdu.specific ?? -1);
    if (oid === null) {
      return `SNMPv1 trap with enterprise '${pdu.enterprise}', generic-trap ${pdu.generic}, specific-trap ${pdu.specific} names no trap`;
    }
    const agentAddr = pdu.agentAddr === undefined ? null : v4Field(pdu.agentAddr);
    return { version: 'v1', kind: 'trap', trapOid: oid, source, sourceText, agentAddr, trapAddress: null, principal };
  }
  if (pdu.type !== PDU_TRAP_V2 && pdu.type !== PDU_INFORM) return `PDU type ${pdu.type} is not a trap or inform`;
  // RFC 3416 puts snmpTrapOID.0 second (after sysUpTime.0); look further in case a sender does not.
  const varbind = (pdu.varbinds ?? []).find((v) => v.oid === SNMP_TRAP_OID);
  if (varbind === undefined) return 'trap without snmpTrapOID.0';
  const oid = varbind.type === OBJECT_TYPE_OID && typeof varbind.value === 'string' ? normalizeOid(varbind.value) : null;
  if (oid === null) return 'snmpTrapOID.0 does not hold an OID';
  const noted = (pdu.varbinds ?? []).find((v) => v.oid === SNMP_TRAP_ADDRESS_OID);
  const trapAddress = noted?.type === OBJECT_TYPE_IP_ADDRESS && typeof noted.value === 'string' ? v4Field(noted.value) : null;
  return {
    version: pdu.scoped ? 'v3' : 'v2c',
    kind: pdu.type === PDU_INFORM ? 'inform' : 'trap',
    trapOid: oid, source, sourceText, agentAddr: null, trapAddress, principal,
  };
}

export type TrapDecision =
  | { readonly accept: true; readonly server: IpAddress; readonly detail: string }
  | { readonly accept: false; readonly reason: 'notRecoveryTrap' | 'unknownSource'; readonly detail: string; readonly why: string };

/** The address a trap says it speaks for, besides its source: v1 agent-addr or snmpTrapAddress.0. */
function namedAgent(n: TrapNotification): IpAddress | null {
  return n.agentAddr ?? n.trapAddress;
}

/** "coldStart trap (SNMPv2c, community 'public') from 198.51.100.10, agent-addr 198.51.100.7" */
export function describeNotification(n: TrapNotification): string {
  const agent = n.agentAddr !== null && n.agentAddr.text !== n.source?.text ? `, agent-addr ${n.agentAddr.text}` : '';
  const noted = n.trapAddress !== null && n.trapAddress.text !== n.source?.text ? `, snmpTrapAddress ${n.trapAddress.text}` : '';
  return `${trapName(n.trapOid)} ${n.kind} (SNMP${n.version}, ${n.principal}) from ${n.sourceText}${agent}${noted}`;
}

export function decideTrap(n: TrapNotification, recoveryTraps: ReadonlySet<string>, sources: TrapSources): TrapDecision {
  const detail = describeNotification(n);
  if (!recoveryTraps.has(n.trapOid)) return { accept: false, reason: 'notRecoveryTrap', detail, why: 'not a recovery trap' };
  if (n.source === null) return { accept: false, reason: 'unknownSource', detail, why: 'its source address cannot be read' };
  const direct = sources.serverAt(n.source);
  if (direct !== null) return { accept: true, server: direct, detail };
  const named = namedAgent(n);
  if (sources.isRelay(n.source)) {
    const relayed = named === null ? null : sources.serverAt(named);
    if (relayed !== null) return { accept: true, server: relayed, detail };
    return { accept: false, reason: 'unknownSource', detail, why: 'from a management station, but the address it names is no server\'s' };
  }
  const why = named !== null && sources.serverAt(named) !== null
    ? `the address it names inside the trap counts only from a config snmp nms_address; ${n.sourceText} is no server's and no nms_address`
    : 'no server has this source address or agent address';
  return { accept: false, reason: 'unknownSource', detail, why };
}
