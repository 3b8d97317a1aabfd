// The packet core must run on QuickJS too (no Node APIs). Bundle it as the build would and
// run the same decode inside QuickJS and in Node: the results must be identical.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';

// Runs in both engines: builds traffic, writes pcap and pcapng, reads them back, decodes.
const SCENARIO = `
import * as g from './src/packet/generate';
import { FrameDecoder } from './src/packet/dispatch';
import { forEachPacket, writePcap, writePcapng } from './src/packet/pcapfile';
import { formatIPv6 } from './src/net/ipv6';

export function run(): string {
  const seen: unknown[] = [];
  const sink = {
    syn: (...a: number[]) => seen.push(['syn', ...a]),
    synAck: (...a: number[]) => seen.push(['synAck', ...a]),
    reset: (...a: number[]) => seen.push(['reset', ...a]),
    icmpUnreachable: (...a: number[]) => seen.push(['icmp', ...a]),
    arpRequest: (...a: number[]) => seen.push(['arpRequest', ...a]),
    arpReply: (...a: number[]) => seen.push(['arpReply', ...a]),
    // IPv6: (t, bytes, then offsets of addresses among numbers); addresses as text.
    syn6: (t: number, b: Uint8Array, c: number, s: number, ...a: number[]) => seen.push(['syn6', t, formatIPv6(b, c), formatIPv6(b, s), ...a]),
    synAck6: (t: number, b: Uint8Array, s: number, c: number, ...a: number[]) => seen.push(['synAck6', t, formatIPv6(b, s), formatIPv6(b, c), ...a]),
    reset6: (t: number, b: Uint8Array, s: number, c: number, ...a: number[]) => seen.push(['reset6', t, formatIPv6(b, s), formatIPv6(b, c), ...a]),
    icmp6Unreachable: (t: number, b: Uint8Array, r: number, mac: number, c: number, s: number, ...a: number[]) =>
      seen.push(['icmp6', t, formatIPv6(b, r), mac, formatIPv6(b, c), formatIPv6(b, s), ...a]),
    neighbourSolicit: (t: number, b: Uint8Array, s: number, tg: number) => seen.push(['ns', t, formatIPv6(b, s), formatIPv6(b, tg)]),
    neighbourAdvert: (t: number, b: Uint8Array, tg: number, mac: number) => seen.push(['na', t, formatIPv6(b, tg), mac]),
  };
  const hs6 = { client: '2001:db8:1::10', server: '2001:db8:2::10', cport: 40000, sport: 443, seq: 4000000000 };
  const hs = { client: '192.0.2.10', server: '198.51.100.20', cport: 40000, sport: 80, seq: 4000000000 };
  const eth = (p: Uint8Array) => g.ethernet({ src: '02:00:00:00:00:0a', vlans: [{ vid: 9 }] }, 0x0800, p);
  const frames = [
    eth(g.tcpSyn(hs)), eth(g.tcpSynAck(hs)), eth(g.tcpRst(hs)),
    eth(g.icmpUnreachable({ reporter: '203.0.113.1', original: g.tcpSyn(hs) })),
    g.arpRequestFrame('02:00:00:00:00:01', '198.51.100.1', '198.51.100.20'),
    g.arpReplyFrame('02:00:00:00:00:14', '198.51.100.20', '02:00:00:00:00:01', '198.51.100.1'),
    eth(g.tcpSyn(hs)).subarray(0, 30),
    g.ethernet({ src: '02:00:00:00:00:0a' }, 0x86dd, g.tcpSyn({ ...hs6, ip6: { extensions: [{ type: 'hop-by-hop' }, { type: 'fragment', more: true }] } })),
    g.ethernet({ src: '02:00:00:00:00:01' }, 0x86dd, g.icmp6Unreachable({ reporter: '2001:db8:1::1', original: g.tcpSyn(hs6) })),
    g.ethernet({}, 0x86dd, g.neighbourSolicitation({ src: '2001:db8:2::1', target: hs6.server })),
    g.ethernet({}, 0x86dd, g.neighbourAdvertisement({ src: hs6.server, targetMac: '02:00:00:00:00:14' })),
  ];
  const decoder = new FrameDecoder(sink);
  const pcap = writePcap(1, frames.map((bytes, i) => ({ t: 1700000000.000001 + i, bytes })), { bigEndian: true, nanosecond: true });
  const ng = writePcapng([{ linktype: 1, tsresol: 9, name: 'eth0' }, { linktype: 276 }, { linktype: 229 }, { linktype: 147 }], [
    { iface: 1, t: 1700000000.5, bytes: g.sll2({ addr: '02:00:00:00:00:0a' }, 0x0800, g.tcpSyn(hs)) },
    { iface: 2, t: 1700000000.6, bytes: g.tcpSynAck(hs6) },
    { iface: 3, t: 1700000000.7, bytes: g.tcpSynAck(hs6) },
  ]);
  const infos = [pcap, ng].map((file) => forEachPacket(file, (lt, d, o, l, t) => decoder.frame(lt, d, o, l, t)));
  return JSON.stringify({ seen, stats: decoder.stats, infos });
}
`;

function bundle(): string {
  const out = buildSync({
    stdin: { contents: SCENARIO, resolveDir: join(__dirname, '..', '..'), loader: 'ts', sourcefile: 'scenario.ts' },
    bundle: true, format: 'iife', globalName: 'scenario', target: 'es2020', write: false, logLevel: 'error',
    platform: 'neutral',
  });
  return out.outputFiles[0].text;
}

test('decoding on QuickJS gives exactly what Node gives', async () => {
  const code = bundle();
  // In Node: evaluate the same bundle.
  const inNode = new Function(`${code}; return scenario.run();`)() as string;
  const parsed = JSON.parse(inNode) as { seen: unknown[]; stats: { frames: number; unsupportedLinktypes: Record<string, number>; malformed: { truncatedIp: number } } };
  assert.is(parsed.seen.length, 12, inNode);
  assert.is(parsed.stats.frames, 14);
  assert.is(parsed.stats.malformed.truncatedIp, 1);
  assert.equal(parsed.stats.unsupportedLinktypes, { 147: 1 });

  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant);
  const context = quickjs.newContext();
  try {
    const result = context.evalCode(`${code}; scenario.run();`);
    const handle = context.unwrapResult(result);
    const inQuickJs = context.getString(handle);
    handle.dispose();
    assert.is(inQuickJs, inNode);
  } finally {
    context.dispose();
  }
});

test.run();
