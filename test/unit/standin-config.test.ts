// config standin: defaults when absent, every option reaches the stand-in, and settings that
// cannot work are refused with their line and the fix.
import '../../src/parts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SectionReader, type Findings } from '../../src/config/section-reader';
import { sectionSpec } from '../../src/config/schema';
import { parseUci } from '../../src/config/uci';
import { parseConfigText } from '../../src/config/validate';
import { readStandin, standInServersFrom, standInSettingsFrom, standInWarnings } from '../../src/standin/config';
import { defaultStandInSettings } from '../../src/standin/settings';

function read(text: string) {
  const { pkg, errors } = parseUci(text, 'backsoon');
  assert.equal(errors, []);
  const findings: Findings = { file: 'backsoon', errors: [], warnings: [] };
  const section = pkg.sections.find((s) => s.type === 'standin') ?? null;
  const config = readStandin(new SectionReader(findings, sectionSpec('standin')!, section));
  return { config, errors: findings.errors.map((e) => `${e.line}: ${e.message}`), warnings: findings.warnings.map((e) => `${e.line}: ${e.message}`) };
}

test('without a config standin section the defaults are the stand-in\'s own', () => {
  const { config, errors } = read('');
  assert.equal(errors, []);
  const settings = { ...defaultStandInSettings, ...standInSettingsFrom(config) };
  assert.equal(settings, defaultStandInSettings);
});

test('every option reaches its setting', () => {
  const { config, errors } = read([
    'config standin',
    "\toption listen '192.168.1.1'",
    "\toption listen_port '9000'",
    "\toption listen_ports '4'",
    "\tlist reset_port '443'",
    "\tlist reset_port '8443'",
    "\toption reask_after '86400'",
    "\toption max_body '2048'",
    "\toption max_connections '100'",
    "\toption max_client_connections '10'",
    "\toption max_network_connections '50'",
    "\toption header_timeout '5'",
    "\toption request_timeout '8'",
    "\toption client_posts '3'",
    "\toption address_registrations '2'",
    "\toption languages_dir '/etc/backsoon/standin'",
  ].join('\n'));
  assert.equal(errors, []);
  assert.equal(standInSettingsFrom(config), {
    listenAddress: '192.168.1.1', portBase: 9000, portCount: 4, resetPorts: [443, 8443], reaskAfter: 86400, maxBody: 2048,
    maxConnections: 100, maxClientConnections: 10, maxNetworkConnections: 50, headersTimeout: 5, requestTimeout: 8, clientPosts: 3, addressRegistrations: 2,
    languagesDir: '/etc/backsoon/standin',
  });
  assert.equal(read("config standin\n\toption reset_https '0'\n\tlist reset_port '443'").config.resetPorts, []);
});

test('a port range past 65535 and a header deadline past the request deadline are refused', () => {
  const { errors, warnings } = read([
    'config standin',
    "\toption listen_port '65500'",
    "\toption listen_ports '64'",
    "\toption header_timeout '30'",
    "\toption max_client_connections '600'",
  ].join('\n'));
  assert.equal(errors, [
    "3: section @standin[0] (config standin): listen_port 65500 with listen_ports 64 runs to port 65563, past 65535; lower listen_port or listen_ports",
    "4: section @standin[0] (config standin): header_timeout 30 exceeds request_timeout 20; the headers are part of the request, so raise request_timeout or lower header_timeout",
  ]);
  assert.equal(warnings, ["5: section @standin[0] (config standin): max_client_connections 600 exceeds max_connections 512, so one client may take every connection"]);
});

test('servers with option standin become the stand-in\'s servers; those without a way back are warned about', () => {
  const config = parseConfigText([
    "config server 'www'",
    "\toption address '198.51.100.10'",
    "\toption standin '1'",
    "\tlist standin_port '80'",
    "\tlist standin_port '8080'",
    "config server 'db'",
    "\toption address '198.51.100.20'",
    "config server 'shop'",
    "\toption address '198.51.100.30'",
    "\toption standin '1'",
    "\tlist probe 'tcp:80'",
  ].join('\n'), 'backsoon');
  assert.equal(standInServersFrom(config.servers).map((s) => [s.name, s.address.text, s.ports]), [
    ['www', '198.51.100.10', [80, 8080]],
    ['shop', '198.51.100.30', [80]],
  ]);
  assert.equal(standInWarnings(config.servers, false), [
    "server 198.51.100.10 (section 'www') has option standin '1' but no list probe and there is no config snmp: while it is stood in for, its return may go unseen; add list probe 'tcp:80' (or 'neigh')",
  ]);
  assert.equal(standInWarnings(config.servers, true), []);
});

test.run();
