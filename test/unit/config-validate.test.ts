// From UCI text to the typed Config: defaults, every validation error with its line, warnings.
import '../../src/parts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIPv4 } from '../../src/net/ipv4';
import { parseIp, parseIpPrefix, type IpAddress, type IpPrefix } from '../../src/net/ip';
import { parseMac } from '../../src/net/mac';
import { checkConfigText, ConfigError, loadConfig, parseConfigText } from '../../src/config/validate';
import { formatError, formatWarning } from '../../src/config/diagnostics';
import type { Config } from '../../src/config/types';
import { serverGroupsOf } from '../../src/engine/from-config';

const FILE = '/etc/config/backsoon';
const opts = { hostname: 'router' };
const ip = (text: string) => parseIPv4(text)!;
const addr = (text: string): IpAddress => parseIp(text)!;
const net = (text: string): IpPrefix => parseIpPrefix(text)!;

/** UCI text from lines; line n of the result is element n-1. */
const uci = (...lines: string[]) => `${lines.join('\n')}\n`;

function errors(text: string): string[] {
  return checkConfigText(text, FILE, opts).errors.map(formatError);
}

function warnings(text: string): string[] {
  const check = checkConfigText(text, FILE, opts);
  assert.equal(check.errors.map(formatError), [], 'no error expected');
  return check.warnings.map(formatWarning);
}

function valid(text: string): Config {
  return parseConfigText(text, FILE, opts);
}

/** Asserts exactly one error, at `line`, whose message contains `fragment`. */
function oneError(text: string, line: number, fragment: string): void {
  const found = errors(text);
  assert.is(found.length, 1, `expected one error, got:\n${found.join('\n')}`);
  assert.ok(found[0].startsWith(`${FILE}:${line}: `), `expected line ${line}: ${found[0]}`);
  assert.ok(found[0].includes(fragment), `expected "${fragment}" in: ${found[0]}`);
}

const MAIN = "config backsoon 'main'\n\tlist interface 'br-lan'\n";
/** An existing file, for option policy. */
const POLICY = __filename;

test('an empty file gives every default', () => {
  const check = checkConfigText('', FILE, opts);
  assert.equal(check.errors, []);
  const { webhooks, snmpOut, standin, ...rest } = check.config!;
  assert.is(standin.listenPort, 8480);
  assert.equal(webhooks, []);
  assert.equal(snmpOut.targets, []);
  assert.is(snmpOut.enterpriseOid, '1.3.6.1.4.1.32473');
  assert.equal(rest, {
    file: FILE,
    main: {
      enabled: true, clientInterfaces: [], serverInterfaces: [], synTimeout: 30, arpRetries: 3,
      icmpCodes: [0, 1, 5, 6, 7, 11, 12], icmp6Codes: [0, 3], maxAttemptAge: 86400, purgeInterval: 300, hold: 0, confirm: null,
      probeInterval: 10, maxServers: 1024, maxLinks: 65536, maxLinksPerServer: 8192, maxPendingSyns: 65536,
      maxContacts: 65536, captureBuffer: 4096 * 1024, captureBatchMs: 10, requireContact: false, stateDir: '/etc/backsoon', snapshotInterval: 60,
      controlSocket: '/var/run/backsoon.sock', ubusSocket: '/var/run/ubus/ubus.sock', logLevel: 'info', policy: null, policyBudget: 5, metricsListen: null,
      routerAddresses: [],
    },
    watch: { networks: [], clientNetworks: [] },
    servers: [],
    contacts: [],
    mail: null,
    snmp: { enabled: false, listen: '0.0.0.0', port: 162, communities: [], nmsAddresses: [], users: [], recoveryTraps: [] },
  });
  assert.equal(check.warnings.map(formatWarning), [
    `${FILE}:1: warning: there is no config backsoon section, so no client-side device is watched; add one with list interface 'br-lan'`,
  ]);
});

test('every main option reaches its typed field', () => {
  const c = valid(uci(
    "config backsoon 'main'",
    "\toption enabled 'no'",
    "\tlist interface 'br-lan'",
    "\tlist interface 'eth0.3'",
    "\tlist server_interface 'br-dmz'",
    "\tlist router_address '192.0.2.254'",
    "\tlist router_address '2001:DB8::1'",
    "\toption syn_timeout '12'",
    "\toption arp_retries '5'",
    "\tlist icmp_code '1'",
    "\tlist icmp_code '7'",
    "\tlist icmp6_code '3'",
    "\toption max_attempt_age '3600'",
    "\toption purge_interval '60'",
    "\toption hold '20'",
    "\toption confirm 'on'",
    "\toption probe_interval '3'",
    "\toption max_servers '10'",
    "\toption max_links '100'",
    "\toption max_links_per_server '50'",
    "\toption max_pending_syns '200'",
    "\toption max_contacts '30'",
    "\toption capture_buffer '512'",
    "\toption capture_batch_ms '0'",
    "\toption require_contact 'true'",
    "\toption state_dir '/tmp/bs'",
    "\toption snapshot_interval '5'",
    "\toption control_socket '/tmp/bs.sock'",
    "\toption ubus_socket '/tmp/ubus.sock'",
    "\toption log_level 'debug'",
    `\toption policy '${POLICY}'`,
    "\toption policy_budget '30'",
    "\toption metrics_listen '127.0.0.1:9100'",
  ));
  assert.equal(c.main, {
    enabled: false, clientInterfaces: ['br-lan', 'eth0.3'], serverInterfaces: ['br-dmz'], synTimeout: 12, arpRetries: 5,
    icmpCodes: [1, 7], icmp6Codes: [3], maxAttemptAge: 3600, purgeInterval: 60, hold: 20, confirm: true, probeInterval: 3,
    maxServers: 10, maxLinks: 100, maxLinksPerServer: 50, maxPendingSyns: 200, maxContacts: 30, captureBuffer: 512 * 1024, captureBatchMs: 0, requireContact: true,
    stateDir: '/tmp/bs', snapshotInterval: 5, controlSocket: '/tmp/bs.sock', ubusSocket: '/tmp/ubus.sock', logLevel: 'debug',
    policy: POLICY, policyBudget: 30, metricsListen: '127.0.0.1:9100',
    routerAddresses: [parseIp('192.0.2.254'), parseIp('2001:db8::1')],
  });
});

test('router_address: an address of either family, no prefix length or zone; the error names the option', () => {
  oneError(`${MAIN}\tlist router_address '192.0.2.0/24'\n`, 3, "router_address '192.0.2.0/24' in section 'main': must be an IPv4 address such as 192.0.2.10 or an IPv6 address");
  oneError(`${MAIN}\tlist router_address 'fe80::1%br-lan'\n`, 3, 'router_address');
  oneError(`${MAIN}\tlist router_address 'router.lan'\n`, 3, 'router_address');
});

test('option policy must name an existing regular file (as validate_data\'s file type says on the router)', () => {
  oneError(`${MAIN}\toption policy '/nonexistent/policy.js'\n`, 3,
    "option policy '/nonexistent/policy.js' in section 'main': no such file: create it, or remove the option");
  oneError(`${MAIN}\toption policy '${tmpdir()}'\n`, 3, 'is not a regular file');
});

test('booleans: the ten words OpenWrt\'s scripts read, lowercase; anything else is an error', () => {
  for (const [word, value] of [['1', true], ['yes', true], ['on', true], ['true', true], ['enabled', true],
    ['0', false], ['no', false], ['off', false], ['false', false], ['disabled', false]] as const) {
    assert.is(valid(`${MAIN}\toption confirm '${word}'\n`).main.confirm, value, word);
  }
  oneError(`${MAIN}\toption confirm 'maybe'\n`, 3, "option confirm 'maybe' in section 'main': must be 1 or 0");
  // validate_data passes 'YES' but hands the init script '' for it: refused, with the word to write
  oneError(`${MAIN}\toption enabled 'YES'\n`, 3, "(write 'yes' in lowercase: OpenWrt's scripts read only that)");
});

test('whole numbers are plain decimal digits: no sign, blank, leading zero, hex or digits beyond the range', () => {
  for (const [text, hint] of [['+30', ' (write it as 30'], [' 30', ' (write it as 30'], ['030', ' (write it as 30'],
    ['0x1E', ''], ['-0', ''], ['4294967326', ''], ['30 ', ' (write it as 30']]) {
    oneError(`${MAIN}\toption syn_timeout '${text}'\n`, 3, `must be a whole number of seconds from 1 to 86400${hint}`);
  }
});

test("list items are split at blanks, as OpenWrt's list() datatype and the init script read them; a blank item is an error", () => {
  assert.equal(valid(`${MAIN}\tlist icmp_code '0 1'\n\tlist icmp_code ''\n`).main.icmpCodes, [0, 1]);
  assert.equal(valid(`${MAIN}\tlist server_interface ' eth1\teth2 '\n`).main.serverInterfaces, ['eth1', 'eth2']);
  oneError(`${MAIN}\tlist icmp_code ' '\n`, 3, "list icmp_code ' ' in section 'main': holds only blanks");
});

test('the error format: file, line, option, value, section and the rule', () => {
  const text = uci(
    '# backsoon', '', "config backsoon 'main'", "\tlist interface 'br-lan'", '', '', '', '', '', '', '',
    "\toption syn_timeout '0'", // line 12
  );
  assert.equal(errors(text), [
    "/etc/config/backsoon:12: option syn_timeout '0' in section 'main': must be a whole number of seconds from 1 to 86400",
  ]);
});

test('numbers: ranges, units, snapshot_interval not below 5', () => {
  oneError(`${MAIN}\toption syn_timeout '86401'\n`, 3, 'from 1 to 86400');
  oneError(`${MAIN}\toption syn_timeout '5m'\n`, 3, 'units are not read: write 300 for 5m');
  oneError(`${MAIN}\toption syn_timeout '-1'\n`, 3, 'a whole number of seconds');
  oneError(`${MAIN}\toption arp_retries '0'\n`, 3, "option arp_retries '0' in section 'main': must be a whole number from 1 to 100");
  oneError(`${MAIN}\toption snapshot_interval '4'\n`, 3, 'from 5 to 86400');
  assert.is(valid(`${MAIN}\toption snapshot_interval '5'\n`).main.snapshotInterval, 5);
  assert.is(valid(`${MAIN}\toption hold '0'\n`).main.hold, 0);
});

test('enums, paths, listen address, device names', () => {
  oneError(`${MAIN}\toption log_level 'verbose'\n`, 3, 'must be one of: error, warn, info, debug');
  oneError(`${MAIN}\toption log_level 'DEBUG'\n`, 3, "(did you mean 'debug'?)");
  oneError(`${MAIN}\toption state_dir 'var/bs'\n`, 3, 'must be an absolute path');
  oneError(`${MAIN}\toption metrics_listen '9100'\n`, 3, 'must be ADDRESS:PORT');
  oneError(`${MAIN}\toption metrics_listen '127.0.0.1:0'\n`, 3, 'must be ADDRESS:PORT');
  oneError(`${MAIN}\tlist interface 'a-very-long-device-name'\n`, 3, "list interface 'a-very-long-device-name'");
  oneError(`${MAIN}\tlist server_interface 'eth0:1'\n`, 3, "(1 to 15 letters, digits, '.', '_' or '-')");
});

test('icmp_code: 2, 3 and 4 are refused, admin-prohibited codes warn, a given list replaces the default', () => {
  oneError(`${MAIN}\tlist icmp_code '3'\n`, 3, 'code 3 (port unreachable) comes from a live server');
  oneError(`${MAIN}\tlist icmp_code '2'\n`, 3, 'protocol unreachable');
  oneError(`${MAIN}\tlist icmp_code '4'\n`, 3, 'fragmentation needed');
  oneError(`${MAIN}\tlist icmp_code '16'\n`, 3, 'from 0 to 15');
  assert.equal(warnings(`${MAIN}\tlist icmp_code '1'\n\tlist icmp_code '13'\n`), [
    `${FILE}:4: warning: list icmp_code '13' in section 'main': code 13 (communication administratively prohibited) is a firewall's refusal, not a down server; clients may wait for a "recovery" that only a rule change brings`,
  ]);
  assert.equal(valid(`${MAIN}\tlist icmp_code '1'\n`).main.icmpCodes, [1]);
});

test('icmp6_code: port unreachable and the other codes of a live path are refused, a filter warns, 0 to 8 only', () => {
  oneError(`${MAIN}\tlist icmp6_code '4'\n`, 3, 'code 4 (port unreachable) comes from a live server');
  oneError(`${MAIN}\tlist icmp6_code '2'\n`, 3, 'beyond scope of source address');
  oneError(`${MAIN}\tlist icmp6_code '9'\n`, 3, 'from 0 to 8');
  assert.equal(warnings(`${MAIN}\tlist icmp6_code '3'\n\tlist icmp6_code '1'\n`), [
    `${FILE}:4: warning: list icmp6_code '1' in section 'main': code 1 (communication administratively prohibited) is a firewall's refusal, not a down server; clients may wait for a "recovery" that only a rule change brings`,
  ]);
  assert.equal(valid(`${MAIN}\tlist icmp6_code '3'\n`).main.icmp6Codes, [3]);
});

test('max_links_per_server may not exceed max_links', () => {
  oneError(`${MAIN}\toption max_links '1000'\n\toption max_links_per_server '2000'\n`, 4,
    "section 'main': max_links_per_server 2000 exceeds max_links 1000; lower max_links_per_server or raise max_links");
  oneError(`${MAIN}\toption max_links '1000'\n`, 3, 'max_links_per_server 8192 exceeds max_links 1000');
});

test('list vs option: a list for a single option is an error; an option for a list splits on blanks', () => {
  oneError(`${MAIN}\tlist syn_timeout '30'\n`, 3, "list syn_timeout in section 'main': syn_timeout takes a single value; write option syn_timeout 'VALUE'");
  assert.equal(valid("config backsoon 'main'\n\toption interface 'br-lan  eth1'\n").main.clientInterfaces, ['br-lan', 'eth1']);
  assert.equal(warnings(`${MAIN}\tlist interface 'br-lan'\n`), [
    `${FILE}:3: warning: interface 'br-lan' in section 'main' is given twice; the repeat is ignored`,
  ]);
});

test('no value may carry a control character: a multi-line mail address is refused', () => {
  const text = uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", "\toption mail 'a@example.org", "Bcc: b@example.org'");
  oneError(text, 5, "option mail 'a@example.org\\nBcc: b@example.org' in section @contact[0]: contains a line break or another control character");
});

test('unknown options and section types warn, with a suggestion when one is close', () => {
  assert.equal(warnings(uci(MAIN.trimEnd(), "\toption syn_timout '5'", "\toption frobnicate '1'", 'config sever', 'config gadget')), [
    `${FILE}:3: warning: unknown option syn_timout in section 'main' (config backsoon) is ignored; did you mean syn_timeout?`,
    `${FILE}:4: warning: unknown option frobnicate in section 'main' (config backsoon) is ignored`,
    `${FILE}:5: warning: unknown section type 'sever' is ignored; did you mean config server?`,
    `${FILE}:6: warning: unknown section type 'gadget' is ignored`,
  ]);
});

test('a single-section type given twice is an error naming the first', () => {
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'a.example'", 'config mail', "\toption host 'b.example'"), 5,
    'section @mail[1]: only one config mail section is read, and one already starts at line 3; merge the two');
  oneError(uci(MAIN.trimEnd(), "config backsoon 'other'"), 3, 'only one config backsoon section is read');
});

test('watch: networks from several sections add up; host bits must be zero', () => {
  const c = valid(uci(MAIN.trimEnd(), 'config watch', "\tlist network '198.51.100.0/24'", 'config watch', "\tlist network '203.0.113.7'", "\tlist network '198.51.100.0/24'"));
  assert.equal(c.watch.networks, [net('198.51.100.0/24'), net('203.0.113.7/32')]);
  oneError(uci(MAIN.trimEnd(), 'config watch', "\tlist network '198.51.100.7/24'"), 4, 'host bits must be zero: did you mean 198.51.100.0/24?');
  oneError(uci(MAIN.trimEnd(), 'config watch', "\tlist network 'lan'"), 4, 'must be a network such as 192.0.2.0/24 or 2001:db8:1::/64');
});

test('watch and servers over IPv6: prefixes and addresses of either family; errors name the option', () => {
  const c = valid(uci(MAIN.trimEnd(), 'config watch', "\tlist network '2001:db8:5::/64'", "\tlist network '198.51.100.0/24'",
    "config server 'www6'", "\toption address '2001:DB8:5::10'", "\tlist agent_address '2001:db8:5::7'",
    'config snmp', "\toption listen '::'", "\tlist nms_address '2001:db8:c::5'"));
  assert.equal(c.watch.networks.map((n) => n.text), ['2001:db8:5::/64', '198.51.100.0/24']);
  assert.is(c.servers[0].address.text, '2001:db8:5::10');
  assert.is(c.servers[0].agentAddresses[0].text, '2001:db8:5::7');
  assert.is(c.snmp.listen, '::');
  assert.equal(c.snmp.nmsAddresses.map((a) => a.text), ['2001:db8:c::5']);
  oneError(uci(MAIN.trimEnd(), 'config watch', "\tlist network '2001:db8:5::1/64'"), 4,
    "list network '2001:db8:5::1/64' in section @watch[0]: host bits must be zero: did you mean 2001:db8:5::/64?");
  oneError(uci(MAIN.trimEnd(), "config server 'w'", "\toption address '2001:db8::g'"), 4,
    "option address '2001:db8::g' in section 'w': must be an IPv4 address such as 192.0.2.10 or an IPv6 address such as 2001:db8::10");
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '2001:db8::10'", "config server 'b'", "\toption address '2001:db8:0::10'"), 6,
    "option address '2001:db8::10' in section 'b': section 'a' at line 4 has the same address");
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config watch', "\tlist network '2001:db8:5::/64'", "config server 'far'", "\toption address '2001:db8:6::9'")), [
    `${FILE}:6: warning: server 2001:db8:6::9 (section 'far') lies outside every config watch network`,
  ]);
});

test('watch: client networks of both families add up; host bits must be zero', () => {
  const c = valid(uci(MAIN.trimEnd(), 'config watch', "\tlist client_network '192.168.1.0/24'", "\tlist client_network 'fd00:1::/64'",
    'config watch', "\tlist client_network '192.168.1.0/24'"));
  assert.equal(c.watch.clientNetworks.map((n) => n.text), ['192.168.1.0/24', 'fd00:1::/64']);
  assert.equal(valid(MAIN).watch.clientNetworks, []);
  oneError(uci(MAIN.trimEnd(), 'config watch', "\tlist client_network 'fd00:1::1/64'"), 4, 'host bits must be zero: did you mean fd00:1::/64?');
});

test('servers: defaults, names, probes, ports', () => {
  const c = valid(uci(
    MAIN.trimEnd(),
    "config server 'web'",
    "\toption address '198.51.100.10'",
    'config server',
    "\toption address '198.51.100.11'",
    "\toption name 'files.example.org'",
    "\tlist agent_address '198.51.100.200'",
    "\tlist probe 'arp'",
    "\tlist probe 'tcp:443'",
    "\toption standin '1'",
    "\tlist standin_port '80'",
    "\tlist standin_port '8080'",
    'config server',
    "\toption address '198.51.100.12'",
  ));
  assert.equal(c.servers, [
    { section: 'web', name: 'web', address: addr('198.51.100.10'), agentAddresses: [], notify: ['direct'], mailbox: null,
      probe: [], standin: false, standinPorts: [80] },
    { section: '@server[1]', name: 'files.example.org', address: addr('198.51.100.11'), agentAddresses: [addr('198.51.100.200')],
      notify: ['direct'], mailbox: null, probe: [{ method: 'arp', port: 0 }, { method: 'tcp', port: 443 }], standin: true,
      standinPorts: [80, 8080] },
    { section: '@server[2]', name: '198.51.100.12', address: addr('198.51.100.12'), agentAddresses: [], notify: ['direct'],
      mailbox: null, probe: [], standin: false, standinPorts: [80] },
  ]);
});

test('server errors: address missing or wrong, probes, ports', () => {
  oneError(uci(MAIN.trimEnd(), "config server 'web'", "\toption name 'x'"), 3,
    "section 'web' (config server): option address is required: The server's IPv4 or IPv6 address; one section per address");
  oneError(uci(MAIN.trimEnd(), "config server 'web'", "\toption address '198.51.100.256'"), 4, 'must be an IPv4 address such as 192.0.2.10 or an IPv6 address');
  oneError(uci(MAIN.trimEnd(), "config server 'web'", "\toption address '198.51.100.1'", "\tlist probe 'icmp'"), 5, "must be 'arp', 'neigh' or 'tcp:PORT'");
  oneError(uci(MAIN.trimEnd(), "config server 'web'", "\toption address '198.51.100.1'", "\tlist probe 'tcp:0'"), 5, 'must be tcp:PORT with a port from 1 to 65535');
  oneError(uci(MAIN.trimEnd(), "config server 'web'", "\toption address '198.51.100.1'", "\tlist standin_port '70000'"), 5, 'must be a port number from 1 to 65535');
});

test('two servers with the same address: the error names both lines', () => {
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.10'", "config server 'b'", "\toption address '198.51.100.10'"), 6,
    "option address '198.51.100.10' in section 'b': section 'a' at line 4 has the same address; give each server one section");
});

test('a dual-stack server: two sections with the same name, one address per family, are one server group', () => {
  const c = valid(uci(MAIN.trimEnd(),
    "config server 'web'", "\toption address '198.51.100.10'", "\toption name 'www.example.test'",
    "config server 'web6'", "\toption address '2001:db8:2::10'", "\toption name 'www.example.test'",
    "config server 'other'", "\toption address '198.51.100.11'"));
  assert.equal(serverGroupsOf(c.servers).map((g) => g.map((a) => a.text)), [['198.51.100.10', '2001:db8:2::10']]);
  oneError(uci(MAIN.trimEnd(),
    "config server 'a'", "\toption address '198.51.100.10'", "\toption name 'www'",
    "config server 'b'", "\toption address '198.51.100.11'", "\toption name 'www'"), 8,
    "section 'b': section 'a' at line 5 is server 'www' with an IPv4 address too; sections with the same name are one server, " +
    'with one IPv4 and one IPv6 address at most: give this one another name');
});

test('notify: server needs mailbox, nms needs mail nms, both need a mail section', () => {
  const mail = uci('config mail', "\toption host 'smtp.example'");
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.1'", "\tlist notify 'server'") + mail, 5,
    "list notify 'server' in section 'a': needs option mailbox");
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.1'", "\tlist notify 'nms'") + mail, 5,
    "list notify 'nms' in section 'a': needs option nms (the management station's mailbox) in config mail");
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.1'", "\tlist notify 'server'", "\toption mailbox 'n@a.example'"), 5,
    'needs a config mail section to send the list of clients');
  oneError(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.1'", "\tlist notify 'sms'") + mail, 5, 'must be one of: direct, server, nms');
  const c = valid(uci(MAIN.trimEnd(), "config server 'a'", "\toption address '198.51.100.1'", "\tlist notify 'server'", "\tlist notify 'nms'",
    "\toption mailbox 'notify@a.example'", 'config mail', "\toption host 'smtp.example'", "\toption nms 'nms@example.org'"));
  assert.equal(c.servers[0].notify, ['server', 'nms']);
  assert.is(c.servers[0].mailbox, 'notify@a.example');
  assert.is(c.mail?.nms, 'nms@example.org');
});

test('a configured server outside every watch network draws a warning', () => {
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config watch', "\tlist network '198.51.100.0/24'", "config server 'far'", "\toption address '203.0.113.9'")), [
    `${FILE}:6: warning: server 203.0.113.9 (section 'far') lies outside every config watch network`,
  ]);
});

test('more server sections than max_servers is an error at the first one too many', () => {
  oneError(uci(MAIN.trimEnd(), "\toption max_servers '1'", 'config server', "\toption address '198.51.100.1'", 'config server', "\toption address '198.51.100.2'"), 6,
    'this is server section 2 but max_servers is 1; raise max_servers in config backsoon');
});

test('contacts: client or mac, not both, not neither; one per client', () => {
  const mail = uci('config mail', "\toption host 'smtp.example'");
  const c = valid(uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", "\toption mail 'a@example.org'",
    'config contact', "\toption mac '02-00-5E-10-00-01'", "\toption mail 'b@example.org'") + mail);
  assert.equal(c.contacts, [
    { client: ip('192.0.2.5'), mac: null, mail: 'a@example.org' },
    { client: null, mac: parseMac('02:00:5e:10:00:01'), mail: 'b@example.org' },
  ]);
  oneError(uci(MAIN.trimEnd(), 'config contact', "\toption mail 'a@example.org'") + mail, 3,
    "section @contact[0] (config contact): give option client (the client's IPv4 address) or option mac");
  oneError(uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", "\toption mac '02:00:5e:10:00:01'", "\toption mail 'a@example.org'") + mail, 5,
    'give option client or option mac, not both');
  oneError(uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'") + mail, 3,
    'section @contact[0] (config contact): option mail is required');
  oneError(uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", "\toption mail 'a@example.org'",
    'config contact', "\toption client '192.0.2.5'", "\toption mail 'b@example.org'") + mail, 7,
    "option client '192.0.2.5' in section @contact[1]: section @contact[0] at line 4 is for the same client; one contact per client");
  oneError(uci(MAIN.trimEnd(), 'config contact', "\toption mac '02:00:5e:10:00:01'", "\toption mail 'a@example.org'",
    'config contact', "\toption mac '02:00:5E:10:00:01'", "\toption mail 'b@example.org'") + mail, 7,
    "option mac '02:00:5e:10:00:01' in section @contact[1]: section @contact[0] at line 4 is for the same client");
});

test('contact MAC addresses: syntax, not zero, not multicast', () => {
  const contact = (mac: string) => uci(MAIN.trimEnd(), 'config contact', `\toption mac '${mac}'`, "\toption mail 'a@example.org'", 'config mail', "\toption host 'm.example'");
  oneError(contact('02:00:5e:10:00'), 4, 'must be a MAC address such as 02:00:5e:10:00:01');
  oneError(contact('00:00:00:00:00:00'), 4, 'means "no address"');
  oneError(contact('ff:ff:ff:ff:ff:ff'), 4, 'is a multicast or broadcast address');
  oneError(contact('01:00:5e:00:00:01'), 4, 'is a multicast or broadcast address');
});

test('mail addresses: a sane syntax and a length cap', () => {
  const contact = (mail: string) => uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", `\toption mail '${mail}'`, 'config mail', "\toption host 'm.example'");
  for (const good of ['a@example.org', 'first.last+tag@sub.example.co', 'root@localhost', 'o.brien@example.org', 'x@[192.0.2.1]']) {
    assert.is(valid(contact(good)).contacts[0].mail, good);
  }
  const bad: [string, string][] = [
    ['alice', "it has no '@'"],
    ['a@b@example.org', "more than one '@'"],
    ['@example.org', "the part before '@' must be 1 to 64 characters"],
    [`${'x'.repeat(65)}@example.org`, "the part before '@' must be 1 to 64 characters"],
    [`a@${'x'.repeat(60)}.${'y'.repeat(60)}.${'z'.repeat(60)}.${'w'.repeat(70)}.org`, 'at most 254 characters'],
    ['a..b@example.org', "'a..b' is not a valid part before '@'"],
    ['.a@example.org', "is not a valid part before '@'"],
    ['a b@example.org', 'without blanks'],
    ['a@-example.org', "'-example.org' is not a valid domain"],
    ['a@example..org', 'is not a valid domain'],
    ['a@', "'' is not a valid domain"],
    ['a@[300.1.1.1]', 'is not a valid domain'],
    ['Alice <a@example.org>', 'without blanks'],
  ];
  for (const [address, fragment] of bad) oneError(contact(address), 5, fragment);
});

test('mail section: host required, user and password together, port defaults by tls', () => {
  const m = (...lines: string[]) => valid(uci(MAIN.trimEnd(), 'config mail', ...lines)).mail!;
  assert.equal(m("\toption host 'smtp.example'"), {
    host: 'smtp.example', port: 25, tls: 'none', user: null, password: null, from: 'backsoon@router', heloName: null, nms: null,
  });
  assert.is(m("\toption host 'smtp.example'", "\toption tls 'tls'").port, 465);
  assert.is(m("\toption host 'smtp.example'", "\toption tls 'starttls'").port, 25);
  assert.is(m("\toption host 'smtp.example'", "\toption tls 'starttls'", "\toption user 'u'", "\toption password 'p w'").port, 587);
  assert.is(m("\toption host 'smtp.example'", "\toption tls 'tls'", "\toption port '2465'").port, 2465);
  assert.is(m("\toption host '192.0.2.25'", "\toption from 'noc@example.org'", "\toption helo 'gw.example.org'").heloName, 'gw.example.org');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption port '25'"), 3, 'section @mail[0] (config mail): option host is required');
  assert.is(m("\toption host '2001:db8::25'").host, '2001:db8::25');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp_relay'"), 4, 'must be a host name such as smtp.example.org, an IPv4 address or an IPv6 address');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host '[2001:db8::25]'"), 4, 'an IPv6 address');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption helo '2001:db8::1'"), 5,
    "option helo '2001:db8::1' is an IPv6 address; EHLO takes a host name or IPv4 address");
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption user 'u'"), 5,
    'section @mail[0] (config mail): option user is set but option password is not; give both or neither');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption tls 'ssl'"), 5, 'must be one of: none, starttls, tls');
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption from 'backsoon'"), 5, "option from 'backsoon'");
  oneError(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption nms 'nms'"), 5, "option nms 'nms'");
});

test("the default sender is backsoon@ the router's host name, or @localhost when that name is no domain", () => {
  const text = uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'");
  assert.is(parseConfigText(text, FILE, { hostname: 'OpenWrt' }).mail?.from, 'backsoon@OpenWrt');
  assert.is(parseConfigText(text, FILE, { hostname: 'my box' }).mail?.from, 'backsoon@localhost');
});

test('a password is never echoed, and a clear-text password draws a warning', () => {
  const found = errors(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption user 'u'", "\toption password 'hunter2\nx'"));
  assert.equal(found, [`${FILE}:6: option password (value not shown) in section @mail[0]: contains a line break or another control character; write the value on one line`]);
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config mail', "\toption host 'smtp.example'", "\toption user 'u'", "\toption password 'hunter2'")), [
    `${FILE}:6: warning: section @mail[0] (config mail): the password is sent without encryption (tls 'none'); use tls 'starttls' or 'tls'`,
  ]);
});

test('snmp: absent means no receiver; present means on with defaults', () => {
  assert.is(valid(MAIN).snmp.enabled, false);
  assert.equal(valid(`${MAIN}config snmp\n`).snmp, {
    enabled: true, listen: '0.0.0.0', port: 162, communities: [], nmsAddresses: [], users: [], recoveryTraps: [],
  });
  const s = valid(uci(MAIN.trimEnd(), 'config snmp', "\toption enabled '0'", "\toption listen '192.0.2.1'", "\toption port '1162'",
    "\tlist community 'c1'", "\tlist community 'c 2'", "\tlist nms_address '192.0.2.5'", "\tlist recovery_trap '.1.3.6.1.4.1.8072.4.0.1'")).snmp;
  assert.equal(s, {
    enabled: false, listen: '192.0.2.1', port: 1162, communities: ['c1', 'c 2'], nmsAddresses: [addr('192.0.2.5')], users: [], recoveryTraps: ['1.3.6.1.4.1.8072.4.0.1'],
  });
  oneError(uci(MAIN.trimEnd(), 'config snmp', "\tlist recovery_trap 'linkDown'"), 4, 'must be a numeric OID');
  oneError(uci(MAIN.trimEnd(), 'config snmp', "\tlist recovery_trap '3.1.2'"), 4, 'must be a numeric OID');
  oneError(uci(MAIN.trimEnd(), 'config snmp', "\tlist community ''"), 4, "list community '' in section @snmp[0]: must not be empty");
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config snmp', "\tlist community 'c1'", "\tlist recovery_trap '1.3.6.1.6.3.1.1.5.4'")), [
    `${FILE}:5: warning: list recovery_trap '1.3.6.1.6.3.1.1.5.4' in section @snmp[0]: linkUp is always a recovery trap; no need to list it`,
  ]);
});

test('snmp: config check says what to set when no trap can count, and when public is set', () => {
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config snmp')), [
    `${FILE}:3: warning: section @snmp[0] (config snmp): no list community and no config snmp_user, so every trap is refused; ` +
      "add config snmp_user sections (SNMPv3 with auth_key), or list community 'A-SECRET-COMMUNITY' for SNMPv1/v2c",
  ]);
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config snmp', "\tlist community 'public'")), [
    `${FILE}:4: warning: list community 'public' in section @snmp[0]: every client knows this one and may send traps with it; ` +
      'choose a community nobody guesses, or use SNMPv3 (config snmp_user)',
  ]);
});

test('snmp: a server without a probe is told that its v1/v2c traps cannot be confirmed, unless confirm is 0', () => {
  const server = ['config server \'web\'', "\toption address '198.51.100.10'"];
  const community = ['config snmp', "\tlist community 'k7-secret'"];
  assert.equal(warnings(uci(MAIN.trimEnd(), ...server, ...community)), [
    `${FILE}: warning: server 198.51.100.10 (section 'web') has no list probe: its SNMPv1/v2c traps are believed only once a ` +
      "probe confirms them (option confirm), so none will be; add list probe 'tcp:PORT', or have it send SNMPv3 with " +
      "authentication, or set option confirm '0' in config backsoon 'main'",
  ]);
  assert.equal(warnings(uci(MAIN.trimEnd(), "\toption confirm '0'", ...server, ...community)), []);
  assert.equal(warnings(uci(MAIN.trimEnd(), ...server, "\tlist probe 'tcp:80'", ...community)), []);
  assert.is(valid(uci(MAIN.trimEnd(), "\toption confirm '1'")).main.confirm, true);
  assert.is(valid(MAIN).main.confirm, null);
});

test('snmp_user: keys as the level demands, defaults for protocols, unique names', () => {
  const user = (...lines: string[]) => uci(MAIN.trimEnd(), 'config snmp', 'config snmp_user', ...lines);
  const c = valid(user("\toption name 'mon'", "\toption level 'authPriv'", "\toption auth_key 'authauth'", "\toption priv_key 'privpriv'") +
    uci('config snmp_user', "\toption name 'ro'", "\toption level 'noAuthNoPriv'") +
    uci('config snmp_user', "\toption name 'a'", "\toption level 'authNoPriv'", "\toption auth_protocol 'sha256'", "\toption auth_key '12345678'"));
  assert.equal(c.snmp.users, [
    { name: 'mon', level: 'authPriv', authProtocol: 'sha', authKey: 'authauth', privProtocol: 'aes', privKey: 'privpriv' },
    { name: 'ro', level: 'noAuthNoPriv', authProtocol: null, authKey: null, privProtocol: null, privKey: null },
    { name: 'a', level: 'authNoPriv', authProtocol: 'sha256', authKey: '12345678', privProtocol: null, privKey: null },
  ]);
  oneError(user("\toption name 'm'", "\toption level 'authPriv'", "\toption auth_key 'authauth'"), 6,
    "section @snmp_user[0] (config snmp_user): level 'authPriv' needs option priv_key");
  oneError(user("\toption name 'm'", "\toption level 'authNoPriv'"), 6, "level 'authNoPriv' needs option auth_key");
  oneError(user("\toption name 'm'", "\toption level 'noAuthNoPriv'", "\toption auth_key 'authauth'"), 7,
    "option auth_key in section @snmp_user[0]: level 'noAuthNoPriv' uses no authentication; remove it or set level 'authNoPriv' or 'authPriv'");
  oneError(user("\toption name 'm'", "\toption level 'authNoPriv'", "\toption auth_key 'authauth'", "\toption priv_protocol 'des'"), 8,
    "option priv_protocol in section @snmp_user[0]: level 'authNoPriv' uses no encryption");
  oneError(user("\toption name 'm'", "\toption level 'authNoPriv'", "\toption auth_key 'short'"), 7,
    'option auth_key (value not shown) in section @snmp_user[0]: must be at least 8 characters long');
  oneError(user("\toption name 'm'", "\toption level 'authNoPriv'", "\toption auth_key 'authauth'", "\toption auth_protocol 'sha1'"), 8,
    'must be one of: md5, sha, sha224, sha256, sha384, sha512');
  oneError(user("\toption name 'm'", "\toption level 'AuthPriv'"), 6, "(did you mean 'authPriv'?)");
  oneError(user("\toption level 'noAuthNoPriv'"), 4, 'section @snmp_user[0] (config snmp_user): option name is required');
  oneError(user("\toption name 'm'", "\toption level 'noAuthNoPriv'") + uci('config snmp_user', "\toption name 'm'", "\toption level 'noAuthNoPriv'"), 8,
    "option name 'm' in section @snmp_user[1]: section @snmp_user[0] at line 5 has the same user name");
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config snmp_user', "\toption name 'm'", "\toption level 'noAuthNoPriv'")), [
    `${FILE}:3: warning: snmp_user sections have no effect without a config snmp section`,
  ]);
});

test('contacts without a mail section draw a warning', () => {
  assert.equal(warnings(uci(MAIN.trimEnd(), 'config contact', "\toption client '192.0.2.5'", "\toption mail 'a@example.org'")), [
    `${FILE}:3: warning: contacts are configured but there is no config mail section, so no notice is mailed`,
  ]);
});

test('several errors are reported at once, in line order, and parseConfigText throws them all', () => {
  const text = uci(
    "config backsoon 'main'",           // 1
    "\tlist interface 'br-lan'",        // 2
    "\toption syn_timeout 'soon'",      // 3
    "\toption hold '-5'",               // 4
    "config server 'web'",              // 5
    "\toption address '10.0.0.300'",    // 6
    'config contact',                   // 7
    "\toption client '192.0.2.5'",      // 8
    "\toption mail 'nobody'",           // 9
    'config mail',                      // 10
    "\toption port '99999'",            // 11
  );
  const found = errors(text);
  assert.equal(found.map((e) => Number(e.split(':')[1])), [3, 4, 6, 9, 10, 11]);
  try {
    parseConfigText(text, FILE, opts);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ConfigError);
    const err = e as ConfigError;
    assert.equal(err.errors, found);
    assert.is(err.message, found.join('\n'));
  }
});

test('syntax errors are reported alone, without follow-up validation errors', () => {
  const check = checkConfigText(uci("config server 'web'", "\toption address '198.51.100.1"), FILE, opts);
  assert.equal(check.errors.map(formatError), [
    `${FILE}:2: unterminated ' : the quoted value opened on this line never ends; add the closing '`,
  ]);
});

test('loadConfig reads the file, passes warnings on, and names an unreadable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-config-'));
  try {
    const file = join(dir, 'backsoon');
    writeFileSync(file, `${MAIN}\toption synn_timeout '5'\n`);
    const seen: string[] = [];
    const c = loadConfig(file, { onWarning: (w) => seen.push(w) });
    assert.equal(c.main.clientInterfaces, ['br-lan']);
    assert.is(c.file, file);
    assert.equal(seen, [`${file}:3: warning: unknown option synn_timeout in section 'main' (config backsoon) is ignored; did you mean syn_timeout?`]);
    const missing = join(dir, 'nope');
    assert.throws(() => loadConfig(missing), (e: unknown) =>
      e instanceof ConfigError && e.errors.length === 1 && e.errors[0] === `${missing}: cannot read the configuration: no such file`);
    assert.throws(() => loadConfig(dir), (e: unknown) => e instanceof ConfigError && e.errors[0].endsWith('it is a directory, not a file'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
