// The neighbour monitor: its line parser over real `ip -4 monitor neigh` output, and the monitor
// itself feeding a real Engine (the process side with real child processes printing lines).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIp, type IpAddress } from '../../src/net/ip';
import type { Decision } from '../../src/engine/decisions';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { parseNeighbourLine } from '../../src/capture/neigh-parse';
import { NeighbourMonitor } from '../../src/capture/neighbours';
import { seededRandom } from '../../src/packet/generate';

// Recorded with `ip -4 monitor neigh` (iproute2 6.1.0, Linux 6.18) in the router namespace of
// the lab: a server that answers, goes away (addr flushed), is probed, deleted, flushed;
// app_solicit=1 for the "miss" lines; entries added with router/extern_learn/proto flags.
const recorded = `192.0.2.10 dev br0 lladdr 02:00:c0:00:02:0a REACHABLE 
198.51.100.10 dev s0 managed INCOMPLETE 
198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a STALE 
198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a PROBE 
198.51.100.10 dev s0 FAILED 
198.51.100.10 dev s0 managed FAILED 
198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a managed REACHABLE 
198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a PERMANENT 
Deleted 198.51.100.10 dev s0 FAILED 
Deleted 198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a REACHABLE 
miss 198.51.100.10 dev s0 INCOMPLETE 
miss 198.51.100.24 dev s0 lladdr 02:00:00:00:00:24 PROBE 
198.51.100.20 dev s0 lladdr 02:00:00:00:00:20 router NOARP 
198.51.100.21 dev s0 lladdr 02:00:00:00:00:21 extern_learn PERMANENT 
198.51.100.22 dev s0 lladdr 02:00:00:00:00:22 STALE proto static 
198.51.100.24 dev s0 lladdr 02:00:00:00:00:24 DELAY 
198.51.100.20 dev s0 router FAILED 
Deleted 198.51.100.20 dev s0 router FAILED `.split('\n');

const ip = (text: string): IpAddress => parseIp(text) as IpAddress;

test('every recorded line parses, with its kind, address, device, MAC and state', () => {
  const parsed = recorded.map((l) => parseNeighbourLine(l));
  assert.ok(parsed.every((p) => p !== null), `unparsed: ${recorded.filter((_, i) => parsed[i] === null).join(' | ')}`);
  assert.equal(parsed[0], { kind: 'update', addr: ip('192.0.2.10'), dev: 'br0', lladdr: 0x0200c000020a, states: ['REACHABLE'] });
  assert.equal(parsed[4], { kind: 'update', addr: ip('198.51.100.10'), dev: 's0', lladdr: 0, states: ['FAILED'] });
  assert.equal(parsed[6]?.states, ['REACHABLE']);
  assert.equal(parsed[8]?.kind, 'deleted');
  assert.equal(parsed[10]?.kind, 'miss');
  assert.equal(parsed[14]?.states, ['STALE']);
  assert.equal(parsed[16], { kind: 'update', addr: ip('198.51.100.20'), dev: 's0', lladdr: 0, states: ['FAILED'] });
});

test('lines that are not neighbour lines give null', () => {
  for (const line of [
    '', '   ', 'garbage', 'Deleted', '198.51.100.300 dev s0 FAILED', '198.51.100.10 FAILED',
    '198.51.100.10 dev s0', '198.51.100.10 dev s0 lladdr zz:00:00:00:00:01 REACHABLE', '198.51.100.10 dev',
    'fe80::1%s0 dev s0 lladdr 02:00:00:00:00:01 REACHABLE', '[NEIGH]198.51.100.10 dev s0 FAILED',
    '198.51.100.10 dev s0 Reachable', '198.51.100.10 dev s0 lladdr',
  ]) {
    assert.is(parseNeighbourLine(line), null, line);
  }
});

test('random input never throws', () => {
  const rnd = seededRandom(7);
  const alphabet = ' .:0123456789abcdefDEFAILREACHBLSTdevlladdr\t';
  for (let i = 0; i < 5000; i++) {
    let line = '';
    const len = Math.floor(rnd() * 60);
    for (let j = 0; j < len; j++) line += alphabet[Math.floor(rnd() * alphabet.length)];
    parseNeighbourLine(line);
    // Recorded lines with one word replaced by noise.
    const words = recorded[i % recorded.length].split(' ');
    words[Math.floor(rnd() * words.length)] = line;
    parseNeighbourLine(words.join(' '));
  }
});

interface Harness {
  engine: Engine;
  monitor: NeighbourMonitor;
  decisions: Decision[];
  logs: string[];
}

function harness(opts: { servers?: string[]; devices?: string[]; command?: string[] } = {}): Harness {
  const decisions: Decision[] = [];
  const logs: string[] = [];
  let now = 1700000000;
  const engine = new Engine({ ...defaultEngineOptions, servers: (opts.servers ?? []).map(ip) }, (d) => decisions.push(d));
  const monitor = new NeighbourMonitor({
    target: engine,
    devices: opts.devices ?? ['s0'],
    log: (level, msg) => logs.push(`${level} ${msg}`),
    now: () => (now += 1),
    command: opts.command,
    restartMinMs: 20,
    restartMaxMs: 40,
  });
  return { engine, monitor, decisions, logs };
}

/** Waits longer than the monitor holds a FAILED (25 ms): for checks that something did not happen. */
const settle = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` (a bound of 5 s against hanging). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${done.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function events(decisions: Decision[]): string[] {
  return decisions.map((d) => `${d.event} ${d.server} ${'cause' in d ? d.cause : ''}`.trim());
}

test('FAILED on a server-side device marks the server down; REACHABLE brings it back', async () => {
  const h = harness();
  h.monitor.line('198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a PROBE ');
  h.monitor.line('198.51.100.10 dev s0 FAILED ');
  await until(() => h.monitor.stats().failed === 1); // a FAILED is held a moment for a Deleted
  h.monitor.line('198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a REACHABLE ');
  assert.equal(events(h.decisions), ['down 198.51.100.10 neigh-failed', 'recovered 198.51.100.10 neigh-reachable']);
  const s = h.monitor.stats();
  assert.equal([s.lines, s.failed, s.reachable, s.ignored], [3, 1, 1, 1]);
});

test('over IPv6 the same: FAILED of a watched IPv6 server marks it down, REACHABLE (router flag and all) brings it back', async () => {
  const h = harness();
  assert.equal(parseNeighbourLine('2001:db8:5::10 dev s0 lladdr 02:00:c6:33:64:0a router REACHABLE')?.addr.text, '2001:db8:5::10');
  h.monitor.line('2001:db8:5::10 dev s0 FAILED');
  await until(() => h.monitor.stats().failed === 1);
  const back = h.monitor.waitReachable(ip('2001:db8:5::10'), 2000);
  h.monitor.line('2001:db8:5::10 dev s0 lladdr 02:00:c6:33:64:0a router REACHABLE');
  assert.is(await back, true);
  // link-local neighbours are the router's own business: never a server
  h.monitor.line('fe80::10 dev s0 FAILED');
  await settle();
  assert.equal(events(h.decisions), ['down 2001:db8:5::10 neigh-failed', 'recovered 2001:db8:5::10 neigh-reachable']);
});

test('REACHABLE of any address on any device binds it for the engine (a real host); other states do not', () => {
  const h = harness({ servers: ['198.51.100.10'] });
  h.monitor.line('192.168.1.23 dev br-lan lladdr 02:00:c0:a8:01:17 REACHABLE ');
  h.monitor.line('192.168.1.24 dev br-lan lladdr 02:00:c0:a8:01:18 STALE ');
  h.monitor.line('192.168.1.25 dev br-lan FAILED ');
  assert.is(h.engine.bindings.size, 1);
  assert.ok(h.engine.bindings.verifies(h.engine.pool.find(ip('192.168.1.23')), 0x02aabbccddee));
  assert.equal(h.decisions, []);
});

test('FAILED then Deleted (ip neigh del / flush) is no outage', async () => {
  const h = harness();
  h.monitor.line('198.51.100.20 dev s0 router FAILED ');
  h.monitor.line('Deleted 198.51.100.20 dev s0 router FAILED ');
  await settle(); // past the hold: the FAILED must not come out late
  assert.equal(h.decisions, []);
  assert.is(h.monitor.stats().deletedNotFailed, 1);
});

test('other devices, unwatched addresses and garbage are counted, not acted on', async () => {
  const h = harness({ servers: ['198.51.100.10'] });
  h.monitor.line('192.0.2.10 dev br0 FAILED ');
  h.monitor.line('198.51.100.99 dev s0 FAILED ');
  h.monitor.line('this is not a neighbour line');
  assert.equal(h.decisions, []);
  const s = h.monitor.stats();
  assert.equal([s.lines, s.unparsed, s.ignored, s.failed], [3, 1, 2, 0]);
  assert.ok(h.logs.some((l) => l.startsWith('warn') && l.includes('this is not a neighbour line')));
});

test('a bridge\'s forwarding entries (a MAC, no address) are ignored, not reported as unreadable', async () => {
  const h = harness({ servers: ['198.51.100.10'] });
  // As the lab router's br0 prints them when its ports learn a client (iproute2 6.1).
  h.monitor.line('dev c0 lladdr 02:00:c0:00:02:0a REACHABLE ');
  h.monitor.line('Deleted dev c0 lladdr 02:00:c0:00:02:0a STALE');
  assert.equal(h.decisions, []);
  const s = h.monitor.stats();
  assert.equal([s.lines, s.unparsed, s.ignored], [2, 0, 2]);
  assert.equal(h.logs.filter((l) => l.startsWith('warn')), []);
});

test('waitReachable resolves true on REACHABLE, false at its deadline', async () => {
  const h = harness();
  const yes = h.monitor.waitReachable(ip('198.51.100.10'), 2000);
  const no = h.monitor.waitReachable(ip('198.51.100.11'), 30);
  h.monitor.line('198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a REACHABLE');
  assert.equal(await Promise.all([yes, no]), [true, false]);
});

test('the monitor process: its lines reach the engine, and it is restarted when it dies', async () => {
  // A real child that prints one recorded line (split across two writes) and exits, each run.
  const h = harness({ command: ['sh', '-c', 'printf "198.51.100.10 dev s0 FA"; sleep 0.01; printf "ILED \\n"; exit 3'] });
  h.monitor.start();
  try {
    const deadline = Date.now() + 5000; // a bound against hanging, not a measurement
    while (h.monitor.stats().restarts < 2 && Date.now() < deadline) await settle(20);
  } finally {
    h.monitor.stop();
  }
  assert.ok(h.monitor.stats().restarts >= 2, JSON.stringify(h.monitor.stats()));
  assert.is(h.monitor.stats().unparsed, 0);
  assert.equal(events(h.decisions), ['down 198.51.100.10 neigh-failed']);
  assert.ok(h.logs.some((l) => /ended with exit code 3; restarting/.test(l)), h.logs.join('\n'));
});

test('a monitor command that cannot run is reported with the fix', async () => {
  const h = harness({ command: ['/nonexistent/ip', 'monitor'] });
  h.monitor.start();
  try {
    await until(() => h.logs.some((l) => l.startsWith('error')));
  } finally {
    h.monitor.stop();
  }
  assert.ok(h.logs.some((l) => l.startsWith('error') && l.includes("cannot run '/nonexistent/ip monitor'") && l.includes('iproute2')), h.logs.join('\n'));
});

test.run();
