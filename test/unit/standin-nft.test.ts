// The generated nftables script: one table of our own, replaced whole in one transaction;
// web ports redirected to the server's listener, reset ports rejected, listener ports closed
// to anything but redirected connections, for IPv4 and IPv6 servers. (test/lab/standin.test.ts
// and test/lab/standin-nft.test.ts load it into a kernel.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIp } from '../../src/net/ip';
import { buildRuleset, REMOVE_SCRIPT, type Interception } from '../../src/standin/nft';

const A = parseIp('198.51.100.10')!;
const B = parseIp('198.51.100.20')!;
const C = parseIp('2001:db8:0:1::80')!;
const D = parseIp('2001:db8::10')!;
const RANGE = { first: 8480, last: 8543 };

test('the script deletes and recreates only table inet backsoon, atomically', () => {
  const script = buildRuleset([], RANGE);
  const tables = [...script.matchAll(/^(?:delete )?table (\S+ \S+)/gm)].map((m) => m[1]);
  assert.equal(tables, ['inet backsoon', 'inet backsoon', 'inet backsoon']);
  assert.match(script, /^table inet backsoon\ndelete table inet backsoon\ntable inet backsoon \{/m);
  assert.not.match(script, /flush ruleset/);
  assert.is(REMOVE_SCRIPT, 'table inet backsoon\ndelete table inet backsoon\n');
});

test('without down servers the maps are empty but the chains are there', () => {
  const script = buildRuleset([], RANGE);
  assert.not.match(script, /elements/);
  assert.match(script, /meta nfproto ipv4 meta l4proto tcp redirect to : ip daddr \. tcp dport map @standin_port\n/);
  assert.match(script, /meta nfproto ipv6 meta l4proto tcp redirect to : ip6 daddr \. tcp dport map @standin_port6\n/);
  assert.match(script, /map standin_port \{\n\t\ttype ipv4_addr \. inet_service : inet_service\n\t\}/);
  assert.match(script, /map standin_port6 \{\n\t\ttype ipv6_addr \. inet_service : inet_service\n\t\}/);
  assert.match(script, /tcp dport 8480-8543 iif != "lo" ct status ! dnat drop/);
});

test('each down server maps its web ports to its listener, and its reset ports to a reset', () => {
  const script = buildRuleset([
    { server: B, listenPort: 8481, ports: [80, 8080], resetPorts: [443, 8443] },
    { server: A, listenPort: 8480, ports: [80], resetPorts: [443, 80] },
  ], RANGE);
  assert.match(script, 'elements = { 198.51.100.10 . 80 : 8480, 198.51.100.20 . 80 : 8481, 198.51.100.20 . 8080 : 8481 }');
  assert.match(script, 'elements = { 198.51.100.10 . 443, 198.51.100.20 . 443, 198.51.100.20 . 8443 }',
    'a port both stood in for and reset is stood in for');
  assert.match(script, /ip daddr \. tcp dport @reset_tcp reject with tcp reset/);
  assert.not.match(script, /standin_port6 \{\n[^\n]*\n\t\telements/, 'no IPv6 server, no IPv6 element');
});

const mixed: Interception[] = [
  { server: C, listenPort: 8482, ports: [80], resetPorts: [443] },
  { server: A, listenPort: 8480, ports: [80], resetPorts: [443] },
  { server: D, listenPort: 8481, ports: [8080, 80], resetPorts: [443] },
];

test('IPv6 servers go to ip6 maps and sets of their own, IPv4 ones stay in theirs', () => {
  const script = buildRuleset(mixed, RANGE);
  const block = (name: string) => new RegExp(`(?:map|set) ${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`).exec(script)?.[1] ?? '';
  assert.match(block('standin_port'), 'elements = { 198.51.100.10 . 80 : 8480 }');
  assert.match(block('standin_port6'), 'type ipv6_addr . inet_service : inet_service');
  assert.match(block('standin_port6'), 'elements = { 2001:db8::10 . 80 : 8481, 2001:db8::10 . 8080 : 8481, 2001:db8:0:1::80 . 80 : 8482 }');
  assert.match(block('reset_tcp'), 'elements = { 198.51.100.10 . 443 }');
  assert.match(block('reset_tcp6'), 'type ipv6_addr . inet_service');
  assert.match(block('reset_tcp6'), 'elements = { 2001:db8::10 . 443, 2001:db8:0:1::80 . 443 }');
  assert.match(script, /meta nfproto ipv6 ip6 daddr \. tcp dport @reset_tcp6 reject with tcp reset/);
  // the listener ports are closed to both families alike
  assert.is(script.match(/ct status ! dnat drop/g)?.length, 1);
  assert.not.match(script, /meta nfproto ipv\d[^\n]*ct status/);
});

test('an IPv4-mapped server address is the IPv4 server', () => {
  const script = buildRuleset([{ server: parseIp('::ffff:198.51.100.10')!, listenPort: 8480, ports: [80], resetPorts: [] }], RANGE);
  assert.match(script, 'elements = { 198.51.100.10 . 80 : 8480 }');
  assert.not.match(script, /::ffff/);
});

test.run();
