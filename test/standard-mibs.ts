// Where the tests find the IETF modules BACKSOON-MIB imports, as a MIB path (dirs joined by ':').
// Debian ships no IETF MIBs in Net-SNMP or libsmi: SNMPv2-SMI, -TC, -CONF come with the net-snmp
// npm package, INET-ADDRESS-MIB (RFC 4001) with Debian's erlang-snmp (installed by make deps).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const ERLANG_LIB = '/usr/lib/erlang/lib';

function erlangSnmpMibs(): string {
  const dirs = existsSync(ERLANG_LIB) ? readdirSync(ERLANG_LIB).filter((d) => d.startsWith('snmp-')).sort() : [];
  if (dirs.length === 0) throw new Error(`INET-ADDRESS-MIB not found: no ${ERLANG_LIB}/snmp-*; install Debian package erlang-snmp (make deps)`);
  return join(ERLANG_LIB, dirs[dirs.length - 1], 'mibs');
}

export const STANDARD_MIBS = [join(ROOT, 'node_modules/net-snmp/lib/mibs'), erlangSnmpMibs()].join(':');
