// `backsoon replay` over captures that are damaged or unusual, as an admin would run it: the
// summary line and the exit code. Files are built with the generators and then broken the way
// real ones are (invalid timestamp fractions, records out of order, cut short, odd link types).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine, defaultEngineOptions } from '../../src/engine/engine';
import { runCapture } from '../../src/core';
import * as g from '../../src/packet/generate';
import { writePcap, type PacketToWrite } from '../../src/packet/pcapfile';

const dir = mkdtempSync(join(tmpdir(), 'bs-replay-bad-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000;
const hs = { client: '192.0.2.10', server: '198.51.100.10', cport: 40000, sport: 80, seq: 1000 };
const eth = (packet: Uint8Array, type = 0x0800) => g.ethernet({ src: '02:00:c0:00:02:0a' }, type, packet);
const ack = eth(g.tcpData({ src: hs.client, dst: hs.server, sport: hs.cport, dport: hs.sport, seq: 1001, ack: 5001 }));

function replay(name: string, file: Uint8Array, ...args: string[]) {
  const path = join(dir, name);
  writeFileSync(path, file);
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'replay', path, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, events: run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).event as string) };
}

/** The header offset of record `i` of a classic little-endian pcap file. */
function recordAt(file: Uint8Array, i: number): number {
  const view = new DataView(file.buffer, file.byteOffset);
  let pos = 24;
  for (let k = 0; k < i; k++) pos += 16 + view.getUint32(pos + 8, true);
  return pos;
}

test('an invalid microseconds field (2^31, as in tcpdump\'s timestamp_invalid_micro.pcap) is skipped, not a 2,147 s jump to a false outage', () => {
  // SYN, ACK, SYN/ACK within 2 ms: a healthy handshake. The ACK's microseconds are 2^31.
  const file = writePcap(1, [
    { t: T0, bytes: eth(g.tcpSyn(hs)) }, { t: T0 + 0.001, bytes: ack }, { t: T0 + 0.002, bytes: eth(g.tcpSynAck(hs)) },
  ]);
  new DataView(file.buffer).setUint32(recordAt(file, 1) + 4, 2 ** 31, true);
  const run = replay('invalid-micro.pcap', file);
  assert.is(run.status, 0, run.stderr);
  assert.equal(run.events, [], 'no decision');
  assert.match(run.stderr, /: 2 packets; 1 SYN, 1 SYN\/ACK/);
  assert.match(run.stderr, /warning: 1 record with an invalid timestamp \(microseconds >= 1,000,000\) skipped/);
  assert.match(run.stderr, /decisions: 0 down, 0 attempt, 0 recovered, 0 notify, 0 expired/);
});

test('a record stamped earlier than the one before is given that one\'s time: the clock never runs backwards', () => {
  // The SYN/ACK is stamped 100 s before the ACK that precedes it in the file.
  const packets: PacketToWrite[] = [
    { t: T0, bytes: eth(g.tcpSyn(hs)) }, { t: T0 + 10, bytes: ack }, { t: T0 - 90, bytes: eth(g.tcpSynAck(hs)) },
  ];
  const ticks: number[] = [];
  const engine = new (class extends Engine { override tick(t: number): void { ticks.push(t); super.tick(t); } })(defaultEngineOptions, () => {});
  const result = runCapture(writePcap(1, packets), engine);
  assert.equal(ticks, [T0, T0 + 10, T0 + 10]);
  assert.is(result.timeClamped, 1);
  const run = replay('backwards.pcap', writePcap(1, packets));
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /warning: 1 packet stamped earlier than the one before: given that one's time/);
});

test('a capture cut short: the summary of what was read, a warning naming the cut, exit 0; exit 2 only when nothing was read', () => {
  const file = writePcap(1, [{ t: T0, bytes: eth(g.tcpSyn(hs)) }, { t: T0 + 1, bytes: eth(g.tcpSynAck(hs)) }]);
  const cut = replay('cut.pcap', file.subarray(0, file.length - 7));
  assert.is(cut.status, 0, cut.stderr);
  assert.match(cut.stderr, /: 1 packets; 1 SYN, 0 SYN\/ACK/);
  assert.match(cut.stderr, new RegExp(`warning: .*cut\\.pcap: capture cut short at byte ${recordAt(file, 1)} \\(truncated packet record: captured length \\d+ but \\d+ bytes left \\(file cut short\\)\\); read the 1 packet before it`));
  assert.match(cut.stderr, /SYNs still unanswered at end of capture/);
  const empty = replay('cut-empty.pcap', file.subarray(0, 24 + 20));
  assert.is(empty.status, 2, empty.stderr);
  assert.match(empty.stderr, /: 0 packets;/);
  assert.match(empty.stderr, /capture cut short at byte 24 .*nothing could be read/);
});

test('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) decode as raw IP', () => {
  const v4 = replay('linktype-228.pcap', writePcap(228, [{ t: T0, bytes: g.tcpSyn(hs) }, { t: T0 + 0.1, bytes: g.tcpSynAck(hs) }]));
  assert.is(v4.status, 0, v4.stderr);
  assert.match(v4.stderr, /: 2 packets; 1 SYN, 1 SYN\/ACK, 0 RST, .* 0 malformed/);
  const hs6 = { ...hs, client: '2001:db8:1::10', server: '2001:db8:2::10' };
  const v6 = replay('linktype-229.pcap', writePcap(229, [{ t: T0, bytes: g.tcpSyn(hs6) }, { t: T0 + 0.1, bytes: g.tcpSynAck(hs6) }]));
  assert.is(v6.status, 0, v6.stderr);
  assert.match(v6.stderr, /: 2 packets; 1 SYN, 1 SYN\/ACK, 0 RST, .* 0 malformed/);
});

test('frames of a link type backsoon does not read are counted by type, not as malformed, and the summary names it', () => {
  const run = replay('linktype-147.pcap', writePcap(147, [{ t: T0, bytes: eth(g.tcpSyn(hs)) }, { t: T0 + 1, bytes: eth(g.tcpSyn(hs)) }]));
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /: 2 packets; 0 SYN, .* 0 malformed/);
  assert.match(run.stderr, /not decoded: 2 × unsupported link type 147\n/);
  assert.not.match(run.stderr, /malformed:/);
});

test('records longer than the file\'s snap length are cut to it, with a warning', () => {
  const file = writePcap(1, [{ t: T0, bytes: eth(g.tcpSyn(hs)) }]);
  new DataView(file.buffer).setUint32(16, 60, true);
  const run = replay('snaplen.pcap', file);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /: 1 packets; 1 SYN/);
  assert.match(run.stderr, /warning: 1 record longer than the snap length: cut to it/);
});

test.run();
