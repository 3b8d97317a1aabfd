// The shipped core bundle (dist/backsoon-core.js, as `make build` writes it) on QuickJS: a
// recorded kernel capture (IPv4 and IPv6) through decoders and engine must give exactly the
// decisions the sources give on Node; so must a generated one of devices with several addresses.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { replayCapture } from '../../src/core';
import * as g from '../../src/packet/generate';
import { writePcap } from '../../src/packet/pcapfile';

const root = join(__dirname, '..', '..');
const BUNDLE = join(root, 'dist', 'backsoon-core.js');

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => {
    const path = join(dir, e.name);
    return Math.max(newest, e.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);
}

/** The bundle as shipped; refused when missing or older than the sources it is built from. */
function coreBundle(): string {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run 'make build'`);
  assert.ok(statSync(BUNDLE).mtimeMs >= newestSource(join(root, 'src')), `${BUNDLE} is older than src/: run 'make build'`);
  return readFileSync(BUNDLE, 'utf8');
}

/** The recording lab's router (test/fixtures/README.md), both families. */
const FIXTURE_ROUTER = ['192.0.2.1', '198.51.100.1', '2001:db8:1::1', '2001:db8:2::1'];

const FIXTURES = [
  'outage-any.pcap', 'outage-client-side.pcap', 'silent-service.pcap', 'icmp-cached.pcap',
  'ipv6/outage-any.pcap', 'ipv6/outage-client-side.pcap', 'ipv6/silent-service.pcap', 'ipv6/uncached-server-side.pcap',
  'ipv6/outage-server-side.pcap',
];

/**
 * A laptop (one MAC) tries an IPv6 server from two addresses, a phone from one; nobody answers
 * for syn_timeout, then the server's SYN/ACK: one notice per device, the laptop's with both.
 */
function devicesCapture(): Uint8Array {
  const server = '2001:db8:2::10';
  const syn = (client: string, mac: string, cport: number) =>
    g.ethernet({ src: mac }, 0x86dd, g.tcpSyn({ client, server, cport, sport: 443, seq: 1000 }));
  const t0 = 1_700_000_000;
  return writePcap(1, [
    { t: t0, bytes: syn('2001:db8:1::a', '02:00:00:00:00:0a', 40000) },
    { t: t0 + 2, bytes: syn('2001:db8:1::8a1c:3f07', '02:00:00:00:00:0a', 40001) },
    { t: t0 + 3, bytes: syn('2001:db8:1::b', '02:00:00:00:00:0b', 40002) },
    { t: t0 + 40, bytes: syn('2001:db8:1::8a1c:3f07', '02:00:00:00:00:0a', 40003) },
    { t: t0 + 50, bytes: g.ethernet({}, 0x86dd, g.tcpSynAck({ client: '2001:db8:1::a', server, cport: 40004, sport: 443, seq: 1000 })) },
  ]);
}

test('the core bundle reaches no Node API', () => {
  const code = coreBundle();
  assert.not.match(code, /require\(|process\.|Buffer\.|node:/);
});

test('recorded outages through the core on QuickJS: the same decisions as on Node', async () => {
  const code = coreBundle();
  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant);
  const captures: [string, Buffer][] = FIXTURES.map((name) => [name, readFileSync(join(root, 'test/fixtures', name))]);
  captures.push(['devices (generated)', Buffer.from(devicesCapture())]);
  for (const [name, bytes] of captures) {
    const hex = bytes.toString('hex');
    const scenario = `
      const hex = ${JSON.stringify(hex)};
      const bytes = new Uint8Array(hex.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
      JSON.stringify(backsoonCore.replayCapture(bytes, { synTimeout: 30 }, ${JSON.stringify(FIXTURE_ROUTER)}));`;
    const inNode = JSON.stringify(replayCapture(new Uint8Array(bytes), { synTimeout: 30 }, FIXTURE_ROUTER));
    const decisions = JSON.parse(inNode) as { event: string; addresses?: string[] }[];
    assert.ok(decisions.some((d) => d.event === 'down'), `${name}: the scenario decides something`);
    if (name.startsWith('devices')) {
      assert.equal(decisions.filter((d) => d.event === 'notify').map((d) => d.addresses),
        [['2001:db8:1::a', '2001:db8:1::8a1c:3f07'], ['2001:db8:1::b']], inNode);
    }
    const context = quickjs.newContext();
    try {
      const handle = context.unwrapResult(context.evalCode(`${code};\n${scenario}`));
      const inQuickJs = context.getString(handle);
      handle.dispose();
      assert.is(inQuickJs, inNode, name);
    } finally {
      context.dispose();
    }
  }
});

test.run();
