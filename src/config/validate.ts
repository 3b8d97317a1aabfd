// Turns a parsed UCI package into the typed Config every other module reads, with every default
// applied, and collects every problem (not just the first) with its file and line.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { formatIPv4 } from '../net/ipv4';
import { ipFromV4, prefixHolds, type IpPrefix } from '../net/ip';
import { formatMac } from '../net/mac';
import { ConfigError, formatWarning, type Diagnostic } from './diagnostics';
import { SCHEMA, sectionSpec } from './schema';
import { readParts } from './sections';
import { SectionReader, sectionLabel, type Findings } from './section-reader';
import { closest } from './suggest';
import type {
  Config, ContactConfig, MailConfig, MainConfig, NotifyChannel, ServerConfig, SnmpConfig, SnmpUser, TlsMode, WatchConfig,
} from './types';
import { parseUci, type UciPackage, type UciSection, type UciText } from './uci';
import { isHostName } from './values';

export { ConfigError } from './diagnostics';
export { configReference } from './reference';

export const DEFAULT_CONFIG_FILE = '/etc/config/backsoon';

export interface ValidateOptions {
  /** The router's host name, for the default sender address; default: the system's. */
  readonly hostname?: string;
  /** Receives each warning (`FILE:LINE: warning: ...`) when the configuration is valid. */
  readonly onWarning?: (message: string) => void;
}

export interface ConfigCheck {
  /** null when there is at least one error. */
  readonly config: Config | null;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

/** Reads, parses and validates a configuration file. Throws ConfigError listing every error. */
export function loadConfig(file: string, options: ValidateOptions = {}): Config {
  const text = readConfigFile(file);
  if (!(text instanceof Uint8Array)) throw new ConfigError([text]);
  return parseConfigText(text, file, options);
}

/** Like loadConfig, for text already in hand (tests, stdin). Throws ConfigError. */
export function parseConfigText(text: UciText, file: string, options: ValidateOptions = {}): Config {
  const check = checkConfigText(text, file, options);
  if (!check.config) throw new ConfigError(check.errors, check.warnings);
  for (const w of check.warnings) options.onWarning?.(formatWarning(w));
  return check.config;
}

/** Parses and validates without throwing: the config (when valid), every error and warning. */
export function checkConfigText(text: UciText, file: string, options: ValidateOptions = {}): ConfigCheck {
  const parsed = parseUci(text, file);
  // Syntax errors come alone: the sections they broke would only add misleading follow-up errors.
  if (parsed.errors.length > 0) return { config: null, errors: parsed.errors, warnings: parsed.warnings };
  const check = validateUci(parsed.pkg, options);
  const warnings = [...parsed.warnings, ...check.warnings].sort((a, b) => a.line - b.line);
  return { ...check, warnings };
}

/** The file's bytes (as uci reads them), or a Diagnostic saying why it cannot be read. */
export function readConfigFile(file: string): Uint8Array | Diagnostic {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied (run as root, or check the file\'s mode)'
      : code === 'EISDIR' ? 'it is a directory, not a file'
      : (e as Error).message;
    return { file, line: 0, message: `cannot read the configuration: ${why}` };
  }
}

export function validateUci(pkg: UciPackage, options: ValidateOptions = {}): ConfigCheck {
  const findings: Findings = { file: pkg.file, errors: [], warnings: [] };
  const byType = groupSections(pkg, findings);
  const readers = (type: string) => {
    const spec = sectionSpec(type)!;
    return (byType.get(type) ?? []).map((s) => new SectionReader(findings, spec, s));
  };
  const single = (type: string) => readers(type)[0] ?? new SectionReader(findings, sectionSpec(type)!, null);
  for (const spec of SCHEMA) for (const r of readers(spec.type)) r.reportUnknownOptions();

  const main = readMain(single('backsoon'));
  const watch = readWatch(readers('watch'));
  const mailReader = single('mail');
  const mail = mailReader.section ? readMail(mailReader, options.hostname ?? osHostname()) : null;
  // presence, not validity: a wrong option nms already has its own error
  const mailFacts = { present: mail !== null, hasNms: mailReader.has('nms') };
  const servers = readServers(readers('server'), main, watch, mailFacts);
  const contacts = readContacts(readers('contact'), main, mail);
  const snmp = readSnmp(single('snmp'), readers('snmp_user'));
  const parts = readParts({
    readers, single, hostname: options.hostname ?? osHostname(), main, servers, snmp,
    warn: (message) => findings.warnings.push({ file: pkg.file, line: 0, message }),
  });

  const byLine = (a: Diagnostic, b: Diagnostic) => a.line - b.line;
  const errors = [...findings.errors].sort(byLine);
  const warnings = [...findings.warnings].sort(byLine);
  if (errors.length > 0) return { config: null, errors, warnings };
  return { config: {
    file: pkg.file, main, watch, servers, contacts, mail, snmp, webhooks: parts.webhooks, snmpOut: parts.snmpOut, standin: parts.standin,
  }, errors, warnings };
}

/** Sections by type; warns about unknown types and rejects a second copy of a single section. */
function groupSections(pkg: UciPackage, findings: Findings): Map<string, UciSection[]> {
  const byType = new Map<string, UciSection[]>();
  const types = SCHEMA.map((s) => s.type);
  for (const section of pkg.sections) {
    const spec = sectionSpec(section.type);
    if (!spec) {
      const guess = closest(section.type, types);
      findings.warnings.push({
        file: pkg.file, line: section.line,
        message: `unknown section type '${section.type}' is ignored` + (guess ? `; did you mean config ${guess}?` : ''),
      });
      continue;
    }
    const list = byType.get(spec.type) ?? [];
    if (!spec.multiple && list.length > 0) {
      findings.errors.push({
        file: pkg.file, line: section.line,
        message: `section ${sectionLabel(section)}: only one config ${spec.type} section is read, and one already starts at line ${list[0].line}; merge the two`,
      });
      continue;
    }
    list.push(section);
    byType.set(spec.type, list);
  }
  return byType;
}

function readMain(r: SectionReader): MainConfig {
  const main: MainConfig = {
    enabled: r.value('enabled', 'bool'),
    clientInterfaces: r.many('interface', 'iface'),
    serverInterfaces: r.many('server_interface', 'iface'),
    routerAddresses: r.many('router_address', 'ip'),
    synTimeout: r.value('syn_timeout', 'duration'),
    arpRetries: r.value('arp_retries', 'uint'),
    icmpCodes: r.many('icmp_code', 'icmp_code'),
    icmp6Codes: r.many('icmp6_code', 'icmp6_code'),
    maxAttemptAge: r.value('max_attempt_age', 'duration'),
    purgeInterval: r.value('purge_interval', 'duration'),
    hold: r.value('hold', 'duration'),
    confirm: r.maybe('confirm', 'bool'),
    probeInterval: r.value('probe_interval', 'duration'),
    maxServers: r.value('max_servers', 'uint'),
    maxLinks: r.value('max_links', 'uint'),
    maxLinksPerServer: r.value('max_links_per_server', 'uint'),
    maxPendingSyns: r.value('max_pending_syns', 'uint'),
    maxContacts: r.value('max_contacts', 'uint'),
    captureBuffer: r.value('capture_buffer', 'uint') * 1024,
    captureBatchMs: r.value('capture_batch_ms', 'uint'),
    requireContact: r.value('require_contact', 'bool'),
    stateDir: r.value('state_dir', 'path'),
    snapshotInterval: r.value('snapshot_interval', 'duration'),
    controlSocket: r.value('control_socket', 'path'),
    ubusSocket: r.value('ubus_socket', 'path'),
    // the enum parser admits only the schema's words, which are exactly this union
    logLevel: r.value('log_level', 'enum') as MainConfig['logLevel'],
    policy: r.maybe('policy', 'path'),
    policyBudget: r.value('policy_budget', 'duration'),
    metricsListen: r.maybe('metrics_listen', 'listen'),
  };
  if (main.maxLinksPerServer > main.maxLinks) {
    const line = r.has('max_links_per_server') ? r.lineOf('max_links_per_server') : r.lineOf('max_links');
    r.error(line, `section ${r.label}: max_links_per_server ${main.maxLinksPerServer} exceeds max_links ${main.maxLinks}; ` +
      'lower max_links_per_server or raise max_links');
  }
  if (main.enabled && main.clientInterfaces.length === 0 && !r.has('interface')) {
    r.warn(r.line, r.section
      ? `section ${r.label} (config backsoon) has no list interface, so no client-side device is watched; add list interface 'br-lan'`
      : "there is no config backsoon section, so no client-side device is watched; add one with list interface 'br-lan'");
  }
  return main;
}

function readWatch(readers: readonly SectionReader[]): WatchConfig {
  const networks: IpPrefix[] = [];
  const clientNetworks: IpPrefix[] = [];
  for (const r of readers) {
    for (const p of r.many('network', 'prefix')) {
      if (!networks.some((n) => n.text === p.text)) networks.push(p);
    }
    for (const p of r.many('client_network', 'prefix')) {
      if (!clientNetworks.some((n) => n.text === p.text)) clientNetworks.push(p);
    }
  }
  return { networks, clientNetworks };
}

function readMail(r: SectionReader, hostname: string): MailConfig {
  const host = r.maybe('host', 'host');
  // the enum parser admits only the schema's words, which are exactly this union
  const tls = r.value('tls', 'enum') as TlsMode;
  const user = r.maybe('user', 'text');
  const password = r.maybe('password', 'text');
  if (r.has('user') !== r.has('password')) {
    const [given, missing] = r.has('user') ? ['user', 'password'] : ['password', 'user'];
    r.error(r.lineOf(given), `section ${r.label} (config mail): option ${given} is set but option ${missing} is not; give both or neither`);
  }
  if (r.has('password') && tls === 'none') {
    r.warn(r.lineOf('password'), `section ${r.label} (config mail): the password is sent without encryption (tls 'none'); use tls 'starttls' or 'tls'`);
  }
  const helo = r.maybe('helo', 'host');
  if (helo !== null && helo.includes(':')) {
    r.error(r.lineOf('helo'), `section ${r.label} (config mail): option helo '${helo}' is an IPv6 address; EHLO takes a host name or IPv4 address`);
  }
  const defaultPort = tls === 'tls' ? 465 : tls === 'starttls' && r.has('user') ? 587 : 25;
  const senderHost = isHostName(hostname) && hostname !== '' ? hostname : 'localhost';
  return {
    host: host ?? '',
    port: r.maybe('port', 'port') ?? defaultPort,
    tls,
    user,
    password,
    from: r.maybe('from', 'mail') ?? `backsoon@${senderHost}`,
    heloName: helo,
    nms: r.maybe('nms', 'mail'),
  };
}

interface Place {
  readonly label: string;
  readonly line: number;
}

interface MailFacts {
  readonly present: boolean;
  readonly hasNms: boolean;
}

function readServers(readers: readonly SectionReader[], main: MainConfig, watch: WatchConfig, mail: MailFacts): ServerConfig[] {
  const servers: ServerConfig[] = [];
  const byAddress = new Map<string, Place>();
  /** "name/family" -> the section that has it: a server has one address per family. */
  const byNameFamily = new Map<string, Place>();
  readers.forEach((r, index) => {
    const section = r.section!;
    if (index === main.maxServers) {
      r.error(r.line, `section ${r.label}: this is server section ${index + 1} but max_servers is ${main.maxServers}; raise max_servers in config backsoon`);
    }
    const address = r.maybe('address', 'ip');
    if (address !== null) {
      const earlier = byAddress.get(address.text);
      if (earlier) {
        r.error(r.lineOf('address'), `option address '${address.text}' in section ${r.label}: section ${earlier.label} at line ${earlier.line} ` +
          'has the same address; give each server one section');
      } else {
        byAddress.set(address.text, { label: r.label, line: r.lineOf('address') });
      }
      if (watch.networks.length > 0 && !watch.networks.some((n) => prefixHolds(n, address.bytes))) {
        r.warn(r.lineOf('address'), `server ${address.text} (section ${r.label}) lies outside every config watch network`);
      }
    }
    // the enum parser admits only the schema's words, which are exactly this union
    const notify = r.many('notify', 'enum') as NotifyChannel[];
    const mailbox = r.maybe('mailbox', 'mail');
    const need = (channel: NotifyChannel, what: string) =>
      r.error(r.lineOfItem('notify', channel), `list notify '${channel}' in section ${r.label}: ${what}`);
    if (notify.includes('server') && !r.has('mailbox')) need('server', "needs option mailbox, the address of the server's own notifier");
    if (notify.includes('nms') && mail.present && !mail.hasNms) need('nms', 'needs option nms (the management station\'s mailbox) in config mail');
    for (const channel of ['server', 'nms'] as const) {
      if (notify.includes(channel) && !mail.present) need(channel, 'needs a config mail section to send the list of clients');
    }
    if (r.has('mailbox') && !notify.includes('server')) {
      r.warn(r.lineOf('mailbox'), `option mailbox in section ${r.label} is used only with list notify 'server'`);
    }
    const name = r.maybe('name', 'text') ?? section.name ?? (address !== null ? address.text : section.ref);
    if (address !== null) {
      const key = `${name}/${address.family}`;
      const earlier = byNameFamily.get(key);
      if (earlier) {
        r.error(r.has('name') ? r.lineOf('name') : r.line, `section ${r.label}: section ${earlier.label} at line ${earlier.line} is server '${name}' ` +
          `with an IPv${address.family} address too; sections with the same name are one server, with one IPv4 and one IPv6 address at most: give this one another name`);
      } else {
        byNameFamily.set(key, { label: r.label, line: r.has('name') ? r.lineOf('name') : r.line });
      }
    }
    servers.push({
      section: section.name ?? section.ref,
      name,
      address: address ?? ipFromV4(0),
      agentAddresses: r.many('agent_address', 'ip'),
      notify,
      mailbox,
      probe: r.many('probe', 'probe'),
      standin: r.value('standin', 'bool'),
      standinPorts: r.many('standin_port', 'port'),
    });
  });
  return servers;
}

function readContacts(readers: readonly SectionReader[], main: MainConfig, mail: MailConfig | null): ContactConfig[] {
  const contacts: ContactConfig[] = [];
  const byClient = new Map<string, Place>();
  readers.forEach((r, index) => {
    if (index === main.maxContacts) {
      r.error(r.line, `section ${r.label}: this is contact ${index + 1} but max_contacts is ${main.maxContacts}; raise max_contacts in config backsoon`);
    }
    const client = r.maybe('client', 'ipv4');
    const mac = r.maybe('mac', 'mac');
    const address = r.maybe('mail', 'mail');
    if (!r.has('client') && !r.has('mac')) {
      r.error(r.line, `section ${r.label} (config contact): give option client (the client's IPv4 address) or option mac`);
    } else if (r.has('client') && r.has('mac')) {
      r.error(r.lineOf('mac'), `section ${r.label} (config contact): give option client or option mac, not both; use two sections for both`);
    }
    const keys: [string, string, string][] = [];
    if (client !== null) keys.push(['client', `ip ${client}`, formatIPv4(client)]);
    if (mac !== null) keys.push(['mac', `mac ${mac}`, formatMac(mac)]);
    for (const [option, key, shown] of keys) {
      const earlier = byClient.get(key);
      if (earlier) {
        r.error(r.lineOf(option), `option ${option} '${shown}' in section ${r.label}: section ${earlier.label} at line ${earlier.line} ` +
          'is for the same client; one contact per client');
      } else {
        byClient.set(key, { label: r.label, line: r.lineOf(option) });
      }
    }
    contacts.push({ client, mac, mail: address ?? '' });
  });
  if (contacts.length > 0 && mail === null) {
    readers[0].warn(readers[0].line, 'contacts are configured but there is no config mail section, so no notice is mailed');
  }
  return contacts;
}

const STANDARD_RECOVERY_TRAPS: Record<string, string> = {
  '1.3.6.1.6.3.1.1.5.1': 'coldStart',
  '1.3.6.1.6.3.1.1.5.2': 'warmStart',
  '1.3.6.1.6.3.1.1.5.4': 'linkUp',
};

function readSnmp(r: SectionReader, userReaders: readonly SectionReader[]): SnmpConfig {
  const recoveryTraps = r.many('recovery_trap', 'oid');
  for (const oid of recoveryTraps) {
    const known = STANDARD_RECOVERY_TRAPS[oid];
    if (known) r.warn(r.lineOfItem('recovery_trap', oid), `list recovery_trap '${oid}' in section ${r.label}: ${known} is always a recovery trap; no need to list it`);
  }
  if (!r.section && userReaders.length > 0) {
    userReaders[0].warn(userReaders[0].line, 'snmp_user sections have no effect without a config snmp section');
  }
  const users: SnmpUser[] = [];
  const byName = new Map<string, Place>();
  for (const u of userReaders) {
    const user = readSnmpUser(u);
    if (!user) continue;
    const earlier = byName.get(user.name);
    if (earlier) {
      u.error(u.lineOf('name'), `option name '${user.name}' in section ${u.label}: section ${earlier.label} at line ${earlier.line} has the same user name`);
    } else {
      byName.set(user.name, { label: u.label, line: u.lineOf('name') });
    }
    users.push(user);
  }
  const communities = r.many('community', 'text');
  if (communities.includes('public')) {
    r.warn(r.lineOfItem('community', 'public'), `list community 'public' in section ${r.label}: every client knows this one and may send ` +
      'traps with it; choose a community nobody guesses, or use SNMPv3 (config snmp_user)');
  }
  const enabled = r.section ? r.value('enabled', 'bool') : false;
  if (enabled && communities.length === 0 && users.length === 0) {
    r.warn(r.line, `section ${r.label} (config snmp): no list community and no config snmp_user, so every trap is refused; ` +
      "add config snmp_user sections (SNMPv3 with auth_key), or list community 'A-SECRET-COMMUNITY' for SNMPv1/v2c");
  }
  return {
    // present section: on unless disabled; absent: no receiver (port 162 stays closed)
    enabled,
    listen: r.value('listen', 'ip').text,
    port: r.value('port', 'port'),
    communities,
    nmsAddresses: r.many('nms_address', 'ip'),
    users,
    recoveryTraps,
  };
}

function readSnmpUser(r: SectionReader): SnmpUser | null {
  const name = r.maybe('name', 'text');
  // enum parsers admit only the schema's words, which are exactly these unions
  const level = r.maybe('level', 'enum') as SnmpUser['level'] | null;
  const authProtocol = r.maybe('auth_protocol', 'enum') as SnmpUser['authProtocol'];
  const authKey = r.maybe('auth_key', 'text');
  const privProtocol = r.maybe('priv_protocol', 'enum') as SnmpUser['privProtocol'];
  const privKey = r.maybe('priv_key', 'text');
  if (name === null || level === null) return null;
  const needsAuth = level !== 'noAuthNoPriv';
  const needsPriv = level === 'authPriv';
  for (const option of ['auth_protocol', 'auth_key'] as const) {
    if (r.has(option) && !needsAuth) {
      r.error(r.lineOf(option), `option ${option} in section ${r.label}: level '${level}' uses no authentication; remove it or set level 'authNoPriv' or 'authPriv'`);
    }
  }
  for (const option of ['priv_protocol', 'priv_key'] as const) {
    if (r.has(option) && !needsPriv) {
      r.error(r.lineOf(option), `option ${option} in section ${r.label}: level '${level}' uses no encryption; remove it or set level 'authPriv'`);
    }
  }
  if (needsAuth && !r.has('auth_key')) r.error(r.lineOf('level'), `section ${r.label} (config snmp_user): level '${level}' needs option auth_key`);
  if (needsPriv && !r.has('priv_key')) r.error(r.lineOf('level'), `section ${r.label} (config snmp_user): level '${level}' needs option priv_key`);
  return {
    name,
    level,
    authProtocol: needsAuth ? authProtocol ?? 'sha' : null,
    authKey: needsAuth ? authKey : null,
    privProtocol: needsPriv ? privProtocol ?? 'aes' : null,
    privKey: needsPriv ? privKey : null,
  };
}
