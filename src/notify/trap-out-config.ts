// Reads config snmp_out and the config trap_target sections (schema in config/schema.ts) into
// SnmpOutConfig, with what the schema cannot express: the v3 keys each level needs, one
// section per receiver, a well-formed engine ID.
import { nodeCrypto } from '../node-crypto';
import type { SectionReader } from '../config/section-reader';
import type { SnmpOutConfig, SnmpUser, TrapOutEvent, TrapTargetConfig } from '../config/types';
import { DEFAULT_ENTERPRISE_OID } from './trap-out-mib';

const DOCUMENTATION_PEN = 32473;

/**
 * An RFC 3411 snmpEngineID that stays the same across restarts: 0x80 | the enterprise number of
 * `enterpriseOid` (32473 when it is not under enterprises), format 5 (octets), then 8 octets of
 * a hash of the host name.
 */
export function deriveEngineId(enterpriseOid: string, hostname: string): string {
  const m = /^1\.3\.6\.1\.4\.1\.(\d+)(\.|$)/.exec(enterpriseOid);
  const pen = m !== null && Number(m[1]) < 0x80000000 ? Number(m[1]) : DOCUMENTATION_PEN;
  const head = Buffer.alloc(5);
  head.writeUInt32BE((pen | 0x80000000) >>> 0, 0);
  head[4] = 5;
  const tail = nodeCrypto().createHash('sha256').update(`backsoon ${hostname}`).digest().subarray(0, 8);
  return Buffer.concat([head, tail]).toString('hex');
}

/** Why `text` is not a usable engine ID, or null; accepts an optional 0x and ':' separators. */
export function engineIdProblem(text: string): string | null {
  const hex = normalizeEngineId(text);
  if (!/^[0-9a-f]*$/.test(hex) || hex.length % 2 !== 0) return 'must be hex digits, an even number of them, such as 80007ed9050102030405060708';
  if (hex.length < 10 || hex.length > 64) return 'must be 5 to 32 octets (10 to 64 hex digits)';
  if (/^0+$/.test(hex) || /^f+$/.test(hex)) return 'must not be all zeros or all ones (RFC 3411)';
  return null;
}

export function normalizeEngineId(text: string): string {
  return text.toLowerCase().replace(/^0x/, '').replace(/:/g, '');
}

interface Place { readonly label: string; readonly line: number }

/** `section` is config snmp_out (a reader over null when absent); `targets` every config trap_target. */
export function readSnmpOut(section: SectionReader, targets: readonly SectionReader[], hostname: string): SnmpOutConfig {
  const enterpriseOid = section.maybe('enterprise_oid', 'oid') ?? DEFAULT_ENTERPRISE_OID;
  const given = section.maybe('engine_id', 'text');
  let engineId: string | null = null;
  if (given !== null) {
    const problem = engineIdProblem(given);
    if (problem !== null) section.error(section.lineOf('engine_id'), `option engine_id in section ${section.label} (config snmp_out) ${problem}`);
    else engineId = normalizeEngineId(given);
  }
  const informTimeout = section.value('inform_timeout', 'duration');
  if (section.section !== null && targets.length === 0) {
    section.warn(section.line, 'config snmp_out has no effect without a config trap_target section');
  }
  const out: TrapTargetConfig[] = [];
  const byReceiver = new Map<string, Place>();
  for (const r of targets) {
    const target = readTarget(r);
    if (target === null) continue;
    const key = `${target.address.toLowerCase()}:${target.port}`;
    const earlier = byReceiver.get(key);
    if (earlier !== undefined) {
      r.error(r.lineOf('address'), `section ${r.label} (config trap_target): section ${earlier.label} at line ${earlier.line} ` +
        `sends to the same receiver ${key}; one section per address and port`);
      continue;
    }
    byReceiver.set(key, { label: r.label, line: r.lineOf('address') });
    out.push(target);
  }
  // Derived only when a trap goes somewhere: the hash needs node:crypto, which a router without
  // trap targets then never loads.
  if (engineId === null) engineId = out.length > 0 ? deriveEngineId(enterpriseOid, hostname) : '';
  return { enterpriseOid, engineId, informTimeout, targets: out };
}

function readTarget(r: SectionReader): TrapTargetConfig | null {
  const address = r.maybe('address', 'host');
  const port = r.value('port', 'port');
  // enum parsers admit only the schema's words, which are exactly these unions
  const version = r.value('version', 'enum') as TrapTargetConfig['version'];
  const community = r.value('community', 'text');
  const inform = r.value('inform', 'bool');
  const events = r.many('event', 'enum') as TrapOutEvent[];
  const name = r.maybe('user', 'text');
  const level = r.value('level', 'enum') as SnmpUser['level'];
  const authProtocol = r.maybe('auth_protocol', 'enum') as SnmpUser['authProtocol'];
  const authKey = r.maybe('auth_key', 'text');
  const privProtocol = r.maybe('priv_protocol', 'enum') as SnmpUser['privProtocol'];
  const privKey = r.maybe('priv_key', 'text');
  if (address === null) return null;

  let user: SnmpUser | null = null;
  if (version === '3') {
    const needsAuth = level !== 'noAuthNoPriv';
    const needsPriv = level === 'authPriv';
    let ok = true;
    const problem = (line: number, text: string) => { r.error(line, `section ${r.label} (config trap_target): ${text}`); ok = false; };
    if (name === null) problem(r.line, "version '3' needs option user, the USM user name the receiver knows");
    if (needsAuth && authKey === null) problem(r.lineOf('level'), `level '${level}' needs option auth_key`);
    if (needsPriv && privKey === null) problem(r.lineOf('level'), `level '${level}' needs option priv_key`);
    for (const option of ['auth_protocol', 'auth_key'] as const) {
      if (r.has(option) && !needsAuth) problem(r.lineOf(option), `option ${option}: level '${level}' uses no authentication; remove it or raise level`);
    }
    for (const option of ['priv_protocol', 'priv_key'] as const) {
      if (r.has(option) && !needsPriv) problem(r.lineOf(option), `option ${option}: level '${level}' uses no encryption; remove it or set level 'authPriv'`);
    }
    if (r.has('community')) r.warn(r.lineOf('community'), `option community in section ${r.label} is used only with version '2c'`);
    if (!ok || name === null) return null;
    user = {
      name, level,
      authProtocol: needsAuth ? authProtocol ?? 'sha' : null,
      authKey: needsAuth ? authKey : null,
      privProtocol: needsPriv ? privProtocol ?? 'aes' : null,
      privKey: needsPriv ? privKey : null,
    };
  } else {
    for (const option of ['user', 'auth_protocol', 'auth_key', 'priv_protocol', 'priv_key'] as const) {
      if (r.has(option)) r.warn(r.lineOf(option), `option ${option} in section ${r.label} is used only with version '3'`);
    }
  }
  if (events.length === 0) r.warn(r.lineOf('event'), `section ${r.label} (config trap_target) lists no event, so nothing is sent`);
  return { address, port, version, community, inform, user, events };
}
