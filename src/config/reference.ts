// docs/CONFIG.md, generated from the schema (`backsoon config reference > docs/CONFIG.md`).
import { SCHEMA, type OptionSpec } from './schema';
import { FALSE_WORDS, ICMP6_CODES, ICMP_CODES, TRUE_WORDS, type ValueKind } from './values';

const KIND_NAMES: Record<ValueKind, string> = {
  bool: 'boolean',
  uint: 'number',
  duration: 'seconds',
  port: 'port',
  text: 'text',
  enum: 'word',
  ipv4: 'IPv4 address',
  ip: 'IPv4 or IPv6 address',
  prefix: 'IPv4 or IPv6 network',
  mac: 'MAC address',
  mail: 'mail address',
  oid: 'numeric OID',
  host: 'host name, IPv4 or IPv6 address',
  iface: 'device name',
  path: 'absolute path',
  listen: 'ADDRESS:PORT',
  probe: 'probe',
  icmp_code: 'ICMP code',
  icmp6_code: 'ICMPv6 code',
};

function allowed(o: OptionSpec): string {
  switch (o.kind) {
    case 'uint':
    case 'duration':
      return `${o.min} to ${o.max}`;
    case 'port':
      return '1 to 65535';
    case 'text':
      return `${o.min ?? 1} to ${o.max ?? 255} characters`;
    case 'enum':
      return (o.values ?? []).map((v) => `\`${v}\``).join(', ');
    case 'bool':
      return '`1`/`0`';
    case 'probe':
      return '`arp`, `neigh`, `tcp:PORT`';
    case 'icmp_code':
      return '0 to 15 but not 2, 3, 4';
    case 'icmp6_code':
      return '0 to 8 but not 2, 4, 7, 8';
    case 'iface':
      return "1 to 15 letters, digits, `.`, `_` or `-`";
    case 'path':
      return o.exists === 'file' ? 'an existing file; printable ASCII' : 'printable ASCII';
    default:
      return '';
  }
}

function defaultText(o: OptionSpec): string {
  if (o.required) return 'required';
  if (o.defaultNote) return o.defaultNote;
  if (o.default === undefined) return 'unset';
  if (typeof o.default === 'string') return `\`${o.default}\``;
  return o.default.length === 0 ? 'none' : o.default.map((d) => `\`${d}\``).join(' ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function configReference(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `backsoon config reference`; edit the schema, not this file. -->',
    '',
    'backsoon reads `/etc/config/backsoon`, a UCI file as on any OpenWrt router: `uci` and LuCI can edit it.',
    '`backsoon config check [FILE]` validates a file and lists every problem with its line;',
    '`backsoon config show [FILE]` prints it the way `uci show backsoon` does.',
    '',
    '## How values are written',
    '',
    `- Booleans: \`1\` or \`0\`; ${TRUE_WORDS.slice(1).join('/')} and ${FALSE_WORDS.slice(1).join('/')} are read too, in lowercase.`,
    '- Numbers are plain decimal digits: no sign, blank, leading zero or hex. Seconds come without a unit (`300`, not `5m`).',
    "- A list takes one `list NAME 'VALUE'` line per item, and the items given replace the default list.",
    "  `option NAME 'a b'` and `list NAME 'a b'` are read as the two items `a` and `b` (but for text). As in uci, `list` after `option` on one name makes the",
    '  option\'s value the first item, and `option` after `list` replaces the list.',
    "- The file is read exactly as uci reads it, so `config show` prints what `uci show` prints. Quote values with `'...'`.",
    "  `;` may separate statements on one line, but right after an unquoted value it ends the line (a warning says so).",
    '- No value may contain a line break or another control character.',
    '- An option that is not in this reference draws a warning (with a suggestion when it looks like a typo) and is ignored.',
    "- Network devices are Linux names as `ip link` shows them (`br-lan`, `eth0.2`), not UCI network names (`lan`).",
    '',
  ];
  for (const section of SCHEMA) {
    out.push(`## \`${section.header}\``, '', section.doc, '',
      section.multiple ? 'May appear several times.' : 'At most one.', '',
      '| option | type | default | allowed | meaning |', '|---|---|---|---|---|');
    for (const o of section.options) {
      const kind = `${o.list ? 'list of ' : ''}${KIND_NAMES[o.kind]}`;
      out.push(`| \`${o.name}\` | ${kind} | ${cell(defaultText(o))} | ${cell(allowed(o))} | ${cell(o.doc)} |`);
    }
    out.push('');
    if (section.type === 'backsoon') {
      for (const [option, title, codes] of [['icmp_code', 'ICMP', ICMP_CODES], ['icmp6_code', 'ICMPv6', ICMP6_CODES]] as const) {
        out.push(`${title} destination-unreachable codes (\`${option}\`):`, '', `| code | meaning | as ${option} |`, '|---|---|---|');
        for (const c of codes) {
          const use = c.use === 'down' ? 'accepted' : c.use === 'live' ? 'refused: the host or path is alive' : 'accepted with a warning: a firewall\'s refusal';
          out.push(`| ${c.code} | ${c.name} | ${use} |`);
        }
        out.push('');
      }
    }
  }
  return out.join('\n');
}
