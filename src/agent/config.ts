// The agent's configuration: a UCI file (by default the router's own /etc/config/backsoon
// layout) with a config agent section (the POP3 mailbox), a config mail section (how notices
// leave) and config contact sections (client -> mail address). The file is checked as the
// daemon checks it, plus the agent section, and every error comes with its file and line.
import '../parts';
import { hostname as osHostname } from 'node:os';
import { ConfigError, type Diagnostic } from '../config/diagnostics';
import { sectionSpec } from '../config/schema';
import { SectionReader, type Findings } from '../config/section-reader';
import type { AgentConfig, ContactConfig, MailConfig, TlsMode } from '../config/types';
import { parseUci, type UciText } from '../config/uci';
import { readConfigFile, validateUci } from '../config/validate';
import { parseIPv4 } from '../net/ipv4';

export const DEFAULT_AGENT_CONFIG_FILE = '/etc/config/backsoon';

export interface AgentSetup {
  readonly file: string;
  readonly agent: AgentConfig;
  readonly mail: MailConfig;
  readonly contacts: readonly ContactConfig[];
  /** Formatted warnings ("FILE:LINE: warning: ..."). */
  readonly warnings: readonly string[];
}

/** Throws ConfigError listing every error. */
export function loadAgentConfig(file: string, options: { hostname?: string } = {}): AgentSetup {
  const text = readConfigFile(file);
  if (!(text instanceof Uint8Array)) throw new ConfigError([text]);
  return agentConfigFromText(text, file, options);
}

export function agentConfigFromText(text: UciText, file: string, options: { hostname?: string } = {}): AgentSetup {
  const parsed = parseUci(text, file);
  if (parsed.errors.length > 0) throw new ConfigError(parsed.errors);
  const base = validateUci(parsed.pkg, { hostname: options.hostname ?? osHostname() });
  const findings: Findings = { file, errors: [], warnings: [] };
  const sections = parsed.pkg.sections.filter((s) => s.type === 'agent');
  const reader = new SectionReader(findings, sectionSpec('agent')!, sections[0] ?? null);
  if (sections.length === 0) {
    findings.errors.push({ file, line: 0, message: 'there is no config agent section: add one with option pop3_host, pop3_user and pop3_password (docs/DELEGATION.md)' });
  }
  const agent = sections.length > 0 ? readAgent(reader) : null;
  if (base.config !== null && base.config.mail === null) {
    findings.errors.push({ file, line: 0, message: 'there is no config mail section: the agent needs one to send the notices (option host, and from)' });
  }
  // The daemon's own complaints about a file without its section are noise for the agent.
  const baseWarnings = base.warnings.filter((w) => !/config backsoon section|no client-side device/.test(w.message));
  const errors = [...base.errors, ...findings.errors].sort(byLine);
  const warnings = [...baseWarnings, ...findings.warnings].sort(byLine);
  if (errors.length > 0 || agent === null || base.config === null || base.config.mail === null) throw new ConfigError(errors, warnings);
  return {
    file,
    agent,
    mail: base.config.mail,
    contacts: base.config.contacts,
    warnings: new ConfigError([], warnings).warnings,
  };
}

function byLine(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line;
}

export function readAgent(r: SectionReader): AgentConfig {
  const pop3Host = r.maybe('pop3_host', 'host');
  // the enum parser admits only the schema's words, which are exactly this union
  const pop3Tls = r.value('pop3_tls', 'enum') as TlsMode;
  const pop3User = r.maybe('pop3_user', 'text');
  const pop3Password = r.maybe('pop3_password', 'text');
  const dnsServers = r.many('dns_server', 'text');
  for (const server of dnsServers) {
    const m = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(server);
    if (m === null || parseIPv4(m[1]) === null || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
      r.error(r.lineOfItem('dns_server', server), `list dns_server '${server}' in section ${r.label}: must be ADDRESS or ADDRESS:PORT, such as 192.0.2.53 or 127.0.0.1:5353`);
    }
  }
  if (r.section !== null && pop3Tls === 'none' && r.has('pop3_password')) {
    r.warn(r.lineOf('pop3_tls'), `section ${r.label} (config agent): pop3_tls 'none' sends the POP3 password unencrypted; use 'starttls' or 'tls'`);
  }
  return {
    pop3Host: pop3Host ?? '',
    pop3Port: r.maybe('pop3_port', 'port') ?? (pop3Tls === 'tls' ? 995 : 110),
    pop3Tls,
    pop3User: pop3User ?? '',
    pop3Password: pop3Password ?? '',
    pop3Ca: r.maybe('pop3_ca', 'path'),
    pollInterval: r.value('poll_interval', 'duration'),
    stateDir: r.value('state_dir', 'path'),
    mapFile: r.maybe('map_file', 'path'),
    resolveNames: r.value('resolve_names', 'bool'),
    dnsServers,
  };
}
