// The generated nftables script: one table of our own, replaced whole in one transaction;
// web ports redirected to the server's listener, reset ports rejected, listener ports closed
// to anything but redirected connections. (test/lab/standin.test.ts loads it into a kernel.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIPv4 } from '../../src/net/ipv4';
import { buildRuleset, REMOVE_SCRIPT } from '../../src/standin/nft';

const A = parseIPv4('198.51.100.10')!;
const B = parseIPv4('198.51.100.20')!;
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
  assert.match(script, /redirect to : ip daddr \. tcp dport map @standin_port/);
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
});

test.run();
