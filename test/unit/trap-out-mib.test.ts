// BACKSOON-MIB and the code that fills its notifications: the MIB loads clean in libsmi's
// smilint and Net-SNMP's parser, its OIDs are the ones the sender uses, and the config
// snmp_out / trap_target sections read as documented. The standard modules the MIB imports
// come from test/standard-mibs.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SectionReader, type Findings } from '../../src/config/section-reader';
import { sectionSpec } from '../../src/config/schema';
import { parseUci } from '../../src/config/uci';
import { deriveEngineId, readSnmpOut } from '../../src/notify/trap-out-config';
import { dateAndTime, DEFAULT_ENTERPRISE_OID, MIB_LAYOUT, mibOid, parseDateAndTime, type MibName } from '../../src/notify/trap-out-mib';
import { trapVarbinds, type TrapPayload } from '../../src/notify/trap-out';
import { STANDARD_MIBS } from '../standard-mibs';

const ROOT = resolve(__dirname, '../..');
const MIB_DIR = join(ROOT, 'board/openwrt/files/usr/share/snmp/mibs');
const MIB_FILE = join(MIB_DIR, 'BACKSOON-MIB.txt');
const mibText = readFileSync(MIB_FILE, 'utf8');

const snmpDir = mkdtempSync(join(tmpdir(), 'bs-dl-snmp-'));
process.on('exit', () => rmSync(snmpDir, { recursive: true, force: true }));
const snmpEnv = { ...process.env, SNMP_PERSISTENT_DIR: snmpDir, SNMPCONFPATH: snmpDir };

/** NAME -> "PARENT N" from every `::= { PARENT N }` of the module (comments stripped). */
function assignments(): Map<string, [string, number]> {
  const code = mibText.replace(/--[^\n]*/g, '');
  const out = new Map<string, [string, number]>();
  const re = /\b([a-z][A-Za-z0-9-]*)\s+(?:OBJECT IDENTIFIER|MODULE-IDENTITY|OBJECT-TYPE|NOTIFICATION-TYPE|MODULE-COMPLIANCE|OBJECT-GROUP|NOTIFICATION-GROUP)\b[\s\S]*?::=\s*\{\s*([A-Za-z0-9-]+)\s+(\d+)\s*\}/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) out.set(m[1], [m[2], Number(m[3])]);
  return out;
}

test('every OID the sender uses is assigned so in the MIB, and the MIB assigns no other', () => {
  const a = assignments();
  const path = (name: string): number[] => {
    if (name === 'backsoonMIB') return [];
    const [parent, n] = a.get(name) ?? assert.unreachable(`no assignment of ${name} in BACKSOON-MIB.txt`) as never;
    return [...path(parent), n];
  };
  assert.equal(a.get('backsoonMIB'), ['enterprises', 32473]);
  assert.is(DEFAULT_ENTERPRISE_OID, '1.3.6.1.4.1.32473');
  for (const name of Object.keys(MIB_LAYOUT) as MibName[]) assert.equal(path(name), [...MIB_LAYOUT[name]], name);
  const ignored = new Set(['backsoonMIB', 'backsoonCompliance', 'backsoonComplianceInet', 'backsoonObjectGroup', 'backsoonObjectGroupInet', 'backsoonNotificationGroup']);
  for (const name of a.keys()) if (!ignored.has(name)) assert.ok(name in MIB_LAYOUT, `${name} is in the MIB but not in trap-out-mib.ts`);
});

test('smilint (libsmi) finds nothing to say about the MIB at its strictest level', () => {
  const r = spawnSync('smilint', ['-s', '-l', '6', MIB_FILE], { env: { ...process.env, SMIPATH: STANDARD_MIBS }, encoding: 'utf8' });
  assert.ok(r.error === undefined, 'smilint is missing: install Debian package smitools (make deps)');
  assert.is(`${r.stdout}${r.stderr}`, '');
});

test("Net-SNMP's parser loads the MIB without a complaint and knows its names", () => {
  const strict = spawnSync('snmptranslate', ['-m', 'BACKSOON-MIB', '-M', `${MIB_DIR}:${STANDARD_MIBS}`, '-On', 'BACKSOON-MIB::backsoonServerRecovered'],
    { env: snmpEnv, encoding: 'utf8' });
  const noise = (text: string) => text.split('\n').filter((l) => l !== '' && !/^Created directory/.test(l));
  assert.equal(noise(strict.stderr), []);
  assert.is(strict.stdout.trim(), '.1.3.6.1.4.1.32473.0.2');
  // As an admin adds it to the default set (here the default set itself lacks the IETF modules
  // Debian does not ship, so only lines about our module count).
  const added = spawnSync('snmptranslate', ['-m', '+BACKSOON-MIB', '-M', `+${MIB_DIR}:${STANDARD_MIBS}`, '-IR', 'backsoonWaitingClients'],
    { env: snmpEnv, encoding: 'utf8' });
  assert.equal(added.stderr.split('\n').filter((l) => /BACKSOON/i.test(l)), []);
  assert.is(added.stdout.trim(), 'BACKSOON-MIB::backsoonWaitingClients');
  const hint = execFileSync('snmptranslate', ['-m', 'BACKSOON-MIB', '-M', `${MIB_DIR}:${STANDARD_MIBS}`, '-Td', 'BACKSOON-MIB::backsoonOutageStart'],
    { env: snmpEnv, encoding: 'utf8' });
  assert.match(hint, /TEXTUAL CONVENTION DateAndTime/);
});

test('DateAndTime: 11 octets in UTC, read back to the tenth of a second', () => {
  const octets = dateAndTime(1_795_000_000.37);
  assert.equal([...octets], [0x07, 0xea, 11, 18, 11, 6, 40, 3, 0x2b, 0, 0]);
  assert.is(parseDateAndTime(octets), 1_795_000_000.3);
  assert.is(parseDateAndTime(Buffer.from([0x07, 0xea, 11, 18, 20, 6, 40, 0, 0x2b, 9, 0])), 1_795_000_000, 'a +09:00 time');
  assert.is(parseDateAndTime(Buffer.alloc(5)), null);
});

const payload: TrapPayload = {
  target: '127.0.0.1:162', event: 'recovered', server: '198.51.100.10', name: 'www.example.test', outage: '198.51.100.10@1795000000',
  outageStart: 1_795_000_000, outageEnd: 1_795_000_723, waitingClients: 3, cause: 'syn-ack',
};

/** A varbind's value as the test compares it: Buffers of text as text, others as hex. */
const shown = (v: { value: unknown }) => v.value instanceof Buffer
  ? (/^[\x20-\x7e]*$/.test(v.value.toString('latin1')) ? v.value.toString('latin1') : `0x${v.value.toString('hex')}`)
  : v.value;

test('varbinds: the objects of each NOTIFICATION-TYPE, in its order, under the configured arc', () => {
  const arc = '1.3.6.1.4.1.99999.7';
  const rec = trapVarbinds(arc, payload)!;
  assert.is(rec.oid, `${arc}.0.2`);
  assert.equal(rec.varbinds.map((v) => v.oid), [8, 9, 2, 3, 4, 5, 6, 7].map((n) => `${arc}.1.${n}.0`));
  assert.equal(rec.varbinds.map(shown).filter((v) => typeof v !== 'string' || !v.startsWith('0x07ea')),
    [1, '0xc633640a', 'www.example.test', 3, 'syn-ack', '198.51.100.10@1795000000']);
  const down = trapVarbinds(DEFAULT_ENTERPRISE_OID, { ...payload, event: 'down', outageEnd: null })!;
  assert.is(down.oid, mibOid(DEFAULT_ENTERPRISE_OID, 'backsoonServerDown'));
  assert.is(down.varbinds.length, 7, 'no outage end in a down notification');
  const expired = trapVarbinds(DEFAULT_ENTERPRISE_OID, { ...payload, event: 'expired', waitingClients: 0, cause: 'evicted' })!;
  assert.is(expired.oid, mibOid(DEFAULT_ENTERPRISE_OID, 'backsoonOutageExpired'));
  assert.is(expired.oid, `${DEFAULT_ENTERPRISE_OID}.0.3`);
  assert.equal(expired.varbinds.map(shown).filter((v) => typeof v !== 'string' || !v.startsWith('0x07ea')),
    [1, '0xc633640a', 'www.example.test', 'evicted', '198.51.100.10@1795000000']);
  // the MIB's OBJECTS clause of each notification lists the same objects in the same order
  for (const [name, v] of [['backsoonServerRecovered', rec], ['backsoonServerDown', down], ['backsoonOutageExpired', expired]] as const) {
    const clause = new RegExp(`${name} NOTIFICATION-TYPE\\s+OBJECTS\\s+\\{([^}]*)\\}`).exec(mibText)![1];
    const objects = clause.split(',').map((s) => s.trim());
    const arcOf = v === rec ? arc : DEFAULT_ENTERPRISE_OID;
    assert.equal(v.varbinds.map((b) => b.oid), objects.map((o) => `${mibOid(arcOf, o as MibName)}.0`), name);
  }
});

test('varbinds: the server as InetAddressType ipv4(1) + 4 octets or ipv6(2) + 16 octets (RFC 4001)', () => {
  const address = (server: string) => {
    const n = trapVarbinds(DEFAULT_ENTERPRISE_OID, { ...payload, server });
    if (n === null) return null;
    const [type, value] = n.varbinds;
    assert.is(type.oid, `${mibOid(DEFAULT_ENTERPRISE_OID, 'backsoonServerInetAddressType')}.0`);
    assert.is(value.oid, `${mibOid(DEFAULT_ENTERPRISE_OID, 'backsoonServerInetAddress')}.0`);
    assert.ok(value.value instanceof Buffer);
    return { type: type.value, octets: (value.value as Buffer).toString('hex') };
  };
  assert.equal(address('198.51.100.10'), { type: 1, octets: 'c633640a' });
  assert.equal(address('2001:db8::a'), { type: 2, octets: '20010db800000000000000000000000a' });
  assert.equal(address('2001:db8:0:1:0:0:0:80'), { type: 2, octets: '20010db8000000010000000000000080' });
  // an IPv4-mapped address is the IPv4 server it maps
  assert.equal(address('::ffff:198.51.100.10'), { type: 1, octets: 'c633640a' });
  assert.is(address('www.example.test'), null, 'not an address: no notification');
});

test('the MIB: a current InetAddressType/InetAddress pair, the IPv4-only object obsolete', () => {
  const objectOf = (name: string) => new RegExp(`^${name} OBJECT-TYPE\\s+SYNTAX\\s+([^\\n]+)\\n[\\s\\S]*?STATUS\\s+(\\w+)`, 'm').exec(mibText)?.slice(1);
  assert.equal(objectOf('backsoonServerInetAddressType'), ['InetAddressType', 'current']);
  assert.equal(objectOf('backsoonServerInetAddress'), ['InetAddress (SIZE (4|16))', 'current']);
  assert.equal(objectOf('backsoonServerAddress'), ['IpAddress', 'obsolete']);
});

function readOut(text: string, hostname = 'OpenWrt') {
  const { pkg, errors } = parseUci(text, 'backsoon');
  assert.equal(errors, []);
  const findings: Findings = { file: 'backsoon', errors: [], warnings: [] };
  const of = (type: string) => pkg.sections.filter((s) => s.type === type).map((s) => new SectionReader(findings, sectionSpec(type)!, s));
  const single = of('snmp_out')[0] ?? new SectionReader(findings, sectionSpec('snmp_out')!, null);
  const out = readSnmpOut(single, of('trap_target'), hostname);
  return { out, errors: findings.errors.map((e) => `${e.line}: ${e.message}`), warnings: findings.warnings.map((e) => `${e.line}: ${e.message}`) };
}

test('config: defaults, a stable engine ID per host, v3 users with their keys', () => {
  const { out, errors } = readOut([
    "config trap_target\n\toption address '127.0.0.1'",
    "config trap_target\n\toption address 'nms.example.test'\n\toption port '10162'\n\toption version '3'\n\toption inform '1'" +
      "\n\toption user 'backsoon'\n\toption auth_key 'auth pass phrase'\n\toption priv_key 'priv pass phrase'",
  ].join('\n') + '\n');
  assert.equal(errors, []);
  assert.is(out.enterpriseOid, '1.3.6.1.4.1.32473');
  assert.is(out.informTimeout, 5);
  assert.match(out.engineId, /^80007ed905[0-9a-f]{16}$/);
  assert.is(readOut("config trap_target\n\toption address '127.0.0.1'\n").out.engineId, out.engineId, 'the same host, the same ID');
  assert.is.not(readOut("config trap_target\n\toption address '127.0.0.1'\n", 'other').out.engineId, out.engineId);
  assert.equal(out.targets[0], { address: '127.0.0.1', port: 162, version: '2c', community: 'public', inform: false, user: null, events: ['down', 'recovered', 'expired'] });
  assert.equal(out.targets[1].user, {
    name: 'backsoon', level: 'authPriv', authProtocol: 'sha', authKey: 'auth pass phrase', privProtocol: 'aes', privKey: 'priv pass phrase',
  });
  assert.match(deriveEngineId('1.3.6.1.4.1.12345.7', 'OpenWrt'), /^80003039/, 'the enterprise number of enterprise_oid');
  assert.is(readOut('').out.engineId, '', 'no trap target: no engine ID is derived (nor node:crypto loaded for it)');
  assert.is(readOut("config snmp_out\n\toption engine_id '80007ed9050102030405'\n").out.engineId, '80007ed9050102030405', 'a given one is kept');
});

test('config: a v3 target without its user or keys, a bad engine ID and a repeated receiver are refused', () => {
  const { errors } = readOut([
    "config snmp_out\n\toption engine_id 'xyz0123456789'",
    "config trap_target\n\toption address '127.0.0.1'\n\toption version '3'",
    "config trap_target\n\toption address '127.0.0.2'\n\toption version '3'\n\toption user 'u'\n\toption level 'authNoPriv'\n\toption auth_key 'auth pass phrase'\n\toption priv_key 'priv pass phrase'",
    "config trap_target\n\toption address '127.0.0.3'",
    "config trap_target\n\toption address '127.0.0.3'\n\toption port '162'",
  ].join('\n') + '\n');
  assert.equal(errors, [
    "2: option engine_id in section @snmp_out[0] (config snmp_out) must be hex digits, an even number of them, such as 80007ed9050102030405060708",
    "3: section @trap_target[0] (config trap_target): version '3' needs option user, the USM user name the receiver knows",
    "3: section @trap_target[0] (config trap_target): level 'authPriv' needs option auth_key",
    "3: section @trap_target[0] (config trap_target): level 'authPriv' needs option priv_key",
    "12: section @trap_target[1] (config trap_target): option priv_key: level 'authNoPriv' uses no encryption; remove it or set level 'authPriv'",
    '16: section @trap_target[3] (config trap_target): section @trap_target[2] at line 14 sends to the same receiver 127.0.0.3:162; one section per address and port',
  ]);
});

test.run();
