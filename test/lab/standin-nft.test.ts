// The stand-in's nftables script for IPv4 and IPv6 servers, loaded into a kernel: each script
// goes into a network namespace of its own (unshare -n, gone with the nft process), is listed
// back, and must hold its elements in the maps of their family. Root; package nftables.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIp } from '../../src/net/ip';
import { buildRuleset, type Interception } from '../../src/standin/nft';

const RANGE = { first: 8480, last: 8543 };
const at = (text: string) => parseIp(text)!;

/** Loads `script` and lists the table back, in one throwaway namespace. */
function loadAndList(script: string): string {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'nft -f - && nft list table inet backsoon'], { input: script, encoding: 'utf8' });
  assert.is(r.stderr, '', script);
  assert.is(r.status, 0);
  return r.stdout;
}

test('the empty table of both families loads', () => {
  const listed = loadAndList(buildRuleset([], RANGE));
  assert.match(listed, /redirect to :ip6 daddr \. tcp dport map @standin_port6/);
  assert.match(listed, /redirect to :ip daddr \. tcp dport map @standin_port\b/);
});

test('IPv4 and IPv6 servers load into their own maps and sets', () => {
  const interceptions: Interception[] = [
    { server: at('198.51.100.10'), listenPort: 8480, ports: [80], resetPorts: [443] },
    { server: at('2001:db8:0:1::80'), listenPort: 8481, ports: [80, 8080], resetPorts: [443] },
  ];
  const listed = loadAndList(buildRuleset(interceptions, RANGE));
  const block = (name: string) => new RegExp(`(?:map|set) ${name} \\{([\\s\\S]*?)\\n\\t\\}`).exec(listed)?.[1] ?? '';
  assert.match(block('standin_port'), /198\.51\.100\.10 \. 80 : 8480/);
  assert.match(block('standin_port6'), /2001:db8:0:1::80 \. 80 : 8481/);
  assert.match(block('standin_port6'), /2001:db8:0:1::80 \. 8080 : 8481/);
  assert.match(block('reset_tcp6'), /2001:db8:0:1::80 \. 443/);
  assert.not.match(block('standin_port'), /2001/);
});

test.run();
