// SNMPv3 users from the configuration, checked and put in net-snmp's form.
import { nodeCrypto } from '../node-crypto';
import type { SnmpUser } from '../config/types';
import { netSnmpSecurityNames, type NetSnmpUser } from './trap-in-netsnmp';

/** RFC 3414 11.2: pass phrases are at least 8 octets; Net-SNMP agents refuse shorter ones. */
const MIN_KEY_LENGTH = 8;

function where(user: SnmpUser): string {
  return `config snmp_user '${user.name}'`;
}

function key(user: SnmpUser, option: string, value: string | null): string {
  if (value === null || value.length < MIN_KEY_LENGTH) {
    throw new Error(`${where(user)}: level ${user.level} needs option ${option} of at least ${MIN_KEY_LENGTH} characters`);
  }
  return value;
}

function protocol(user: SnmpUser, option: string, name: string | null, table: Readonly<Record<string, number>>): number {
  const value = name === null ? undefined : table[name];
  if (value === undefined) {
    throw new Error(`${where(user)}: level ${user.level} needs option ${option}, one of ` +
      `${Object.keys(table).filter((k) => !/^\d+$/.test(k) && k !== 'none').join(', ')}`);
  }
  return value;
}

export function toNetSnmpUser(user: SnmpUser): NetSnmpUser {
  if (user.name === '') throw new Error(`config snmp_user: a user needs a name`);
  const names = netSnmpSecurityNames();
  const level = names.SecurityLevel[user.level];
  if (level === undefined) throw new Error(`${where(user)}: level '${user.level}' must be noAuthNoPriv, authNoPriv or authPriv`);
  if (user.level === 'noAuthNoPriv') return { name: user.name, level };
  const auth = {
    authProtocol: protocol(user, 'auth_protocol', user.authProtocol, names.AuthProtocols),
    authKey: key(user, 'auth_key', user.authKey),
  };
  if (user.level === 'authNoPriv') return { name: user.name, level, ...auth };
  return {
    name: user.name, level, ...auth,
    privProtocol: protocol(user, 'priv_protocol', user.privProtocol, names.PrivProtocols),
    privKey: key(user, 'priv_key', user.privKey),
  };
}

/**
 * Node 17+ (OpenSSL 3) refuses DES unless started with --openssl-legacy-provider; net-snmp then
 * fails to decrypt every trap from the user. Returns a warning for each such user.
 */
export function desWarnings(users: readonly SnmpUser[]): string[] {
  if (nodeCrypto().getCiphers().includes('des-cbc')) return [];
  return users
    .filter((u) => u.level === 'authPriv' && u.privProtocol === 'des')
    .map((u) => `${where(u)}: priv_protocol des is disabled in this Node.js (OpenSSL 3); ` +
      `its traps will count as auth failures. Use aes on the agent, or run node with --openssl-legacy-provider`);
}
