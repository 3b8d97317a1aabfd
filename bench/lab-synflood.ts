// Live capture under a SYN flood: backsoon on the lab router next to tcpdump on the same
// interface, in the same run, at rising rates. Needs root and `make build`.
//
// The flood: SYNs from 507 spoofed client addresses (192.0.2.0/24 and 203.0.113.0/24 but the
// router's own) with rotating source ports, each a new flow, to 198.51.100.10:80, written onto
// the client's link by bench/lab-synflood-gen.ts inside the client namespace. The server's
// port 80 is silent (dropped by nftables in the server namespace), because:
//  - answers to spoofed addresses would make the router ARP for hundreds of absent clients and
//    put SYN/ACKs on br0 only for those that resolve, so what crosses br0 would not be known;
//  - a silent service is the outage backsoon exists for: the flood fills the pending-SYN table
//    (the memory worst case) and at syn_timeout becomes waiting clients.
// Peers, capturing br0 with the daemon's own filter while the daemon does:
//  - "default" (run unless told otherwise): `tcpdump -i br0 -w /dev/null FILTER`, as a user
//    would run it (2 MiB buffer, promiscuous, TPACKET_V3 blocks);
//  - "matched": `-p -s 256 -B 1024 --immediate-mode`, the libpcap settings of backsoon's own
//    session, so the difference is node + decode + engine, not the ring;
//  - "matched4m": the same with a 4 MiB buffer, to tell the ring's size from the CPU's speed.
// Each peer takes CPU from the daemon on a 2-core machine (an immediate-mode tcpdump wakes for
// every packet), so the extra peers are for diagnosis, not for the headline figure.
//
// The daemon runs once per capture_batch_ms setting (BENCH_FLOOD_BATCH), in the same run: "0" is
// immediate mode (one wake-up per packet), a number of ms hands packets over in blocks.
//
// Env: BENCH_FLOOD_RATES (default 10000,50000,100000,200000,400000: the generator tops out near
// 370k on 2 idle cores, and the achieved rate is what the table reports), BENCH_FLOOD_SECONDS (default 3),
// BENCH_FLOOD_PEERS (default "default"; e.g. "default,matched,matched4m"; "" for none),
// BENCH_FLOOD_BATCH (default "0,10": capture_batch_ms values; "unset" leaves the option out, for
// a build from before it existed, BACKSOON_BUNDLE=FILE), BENCH_FLOOD_MALLOC (default "init": the
// daemon gets the init script's MALLOC_MMAP_THRESHOLD_, as on the router; "node": node's defaults).
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { StatusReport } from '../src/control/status';
import { captureFilter } from '../src/capture/bpf';
import { parseIPv4 } from '../src/net/ipv4';
import { parseIp } from '../src/net/ip';
import { DaemonLab } from '../test/lab/daemon-lab';
import { daemonStatus, INIT_SCRIPT_ENV, INIT_SCRIPT_NODE_FLAGS, loadAverage, machineLine, pingMs, procCpuSeconds, procMemory, sleep, table } from './lab-proc';

const TAG = 'bn-flood';
const SERVER = '198.51.100.10';
const GENERATOR = resolve(__dirname, 'lab-synflood-gen.ts');
const ROOT = resolve(__dirname, '..');
const SOURCES = '192.0.2.0/24,203.0.113.0/24';
const SYN_TIMEOUT = 10;
/** The whole benchmark is stopped (and its lab removed) after this long. */
const DEADLINE_MS = 300_000;

const rates = (process.env.BENCH_FLOOD_RATES ?? '10000,50000,100000,200000,400000').split(',').map(Number);
const seconds = Number(process.env.BENCH_FLOOD_SECONDS ?? 3);
const peerNames = (process.env.BENCH_FLOOD_PEERS ?? 'default').split(',').filter((p) => p !== '');
const batches = (process.env.BENCH_FLOOD_BATCH ?? '0,10').split(',').filter((b) => b !== '');
const malloc = process.env.BENCH_FLOOD_MALLOC ?? 'init';
if (malloc !== 'init' && malloc !== 'node') throw new Error(`BENCH_FLOOD_MALLOC=${malloc}: use init or node`);
/** After the outage: how long the daemon is left alone before its memory is read once more, ms. */
const QUIET_MS = 15_000;

interface Peer {
  name: string;
  args: (filter: string) => string[];
}

const PEERS: Record<string, Peer> = {
  default: { name: 'tcpdump', args: (f) => ['tcpdump', '-i', 'br0', '-w', '/dev/null', f] },
  matched: { name: 'tcpdump matched', args: (f) => ['tcpdump', '-i', 'br0', '-p', '-s', '256', '-B', '1024', '--immediate-mode', '-w', '/dev/null', f] },
  // Not run by default: the matched settings with a 4 MiB ring, to tell ring size from CPU.
  matched4m: { name: 'tcpdump matched 4 MiB', args: (f) => ['tcpdump', '-i', 'br0', '-p', '-s', '256', '-B', '4096', '--immediate-mode', '-w', '/dev/null', f] },
};

interface PeerCounts {
  received: number;
  dropped: number;
  captured: number;
}

interface StepRow {
  batch: string;
  rate: number;
  sent: number;
  pps: number;
  received: number;
  dropped: number;
  decodedSyns: number;
  cpuPerPacketUs: number;
  cpuShare: number;
  pingMs: number;
  peers: PeerCounts[];
  down: boolean;
  rssKiB: number;
  load: string;
}

/** Lines of a child's stream, one callback per line. */
function lines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', onLine);
}

class Generator {
  private waiting: ((line: string) => void)[] = [];
  constructor(private readonly child: ChildProcess) {
    lines(child.stdout, (line) => this.waiting.shift()?.(line));
  }

  next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`flood generator: no answer within ${timeoutMs} ms (exit ${this.child.exitCode})`)), timeoutMs);
      this.waiting.push((line) => {
        clearTimeout(timer);
        const v = JSON.parse(line) as Record<string, unknown>;
        if (typeof v.error === 'string') rej(new Error(`flood generator: ${v.error}`));
        else res(v);
      });
    });
  }

  async step(rate: number, secs: number): Promise<{ sent: number; elapsed: number }> {
    const answer = this.next(secs * 1000 + 30_000);
    this.child.stdin?.write(`${rate} ${secs}\n`);
    return await answer as unknown as { sent: number; elapsed: number };
  }
}

/** A tcpdump started in the router namespace; resolves once it listens. */
async function startPeer(lab: DaemonLab, peer: Peer, filter: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = lab.lab.spawn('r', peer.args(filter), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const deadline = Date.now() + 10_000;
  while (!/listening on br0/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${peer.args(filter).join(' ')}: did not start: ${err}`);
    await sleep(20);
  }
  return { child, stderr: () => err };
}

/** SIGINT, then tcpdump's own closing counts. */
async function stopPeer(p: { child: ChildProcess; stderr: () => string }): Promise<PeerCounts> {
  const exited = new Promise<void>((res) => p.child.once('exit', () => res()));
  p.child.kill('SIGINT');
  await Promise.race([exited, sleep(5000)]);
  const text = p.stderr();
  const count = (what: string): number => {
    const m = new RegExp(`(\\d+) packets? ${what}`).exec(text);
    if (!m) throw new Error(`tcpdump printed no "${what}" count:\n${text}`);
    return Number(m[1]);
  };
  return { captured: count('captured'), received: count('received by filter'), dropped: count('dropped by kernel') };
}

function br0(s: StatusReport): { received: number; dropped: number } {
  const c = s.captures.find((x) => x.interface === 'br0');
  if (!c) throw new Error(`status lists no capture on br0: ${JSON.stringify(s.captures)}`);
  return { received: c.received, dropped: c.dropped };
}

/** Waits until the daemon has decoded everything it took off the ring (its SYN count stops moving). */
async function settle(socket: string): Promise<StatusReport> {
  let last = await daemonStatus(socket);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await daemonStatus(socket);
    if (now.packets.syn === last.packets.syn) return now;
    last = now;
  }
  return last;
}

/**
 * The daemon's client-side filter, as it builds it in the lab router (its own addresses: the
 * loopback and the router's two).
 */
function labFilter(): string {
  const own = ['127.0.0.1', '192.0.2.1', '198.51.100.1'].map((a) => parseIPv4(a)!);
  return captureFilter(['client'], { servers: [parseIp(SERVER)!], networks: [], ownAddresses: own });
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineLine();
  const lab = await DaemonLab.up(TAG, {
    mainOptions: { log_level: 'info', probe_interval: '600', syn_timeout: String(SYN_TIMEOUT) },
  });
  // DaemonLab.down() removes its temp dir; an exit by deadline or signal must too.
  process.on('exit', () => {
    try { rmSync(lab.dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* exiting: nowhere to report */ }
  });
  let generator: ChildProcess | null = null;
  try {
    await lab.lab.serverSilent(80);
    // On-link route for the second spoofed range, in case rp_filter is on in the lab router.
    await lab.lab.exec('r', ['ip', 'route', 'replace', '203.0.113.0/24', 'dev', 'br0']);
    const filter = labFilter();

    generator = lab.lab.spawn('c', [process.execPath, '--import', 'tsx', GENERATOR, 'eth0', lab.lab.mac('c'), lab.lab.mac('r', 'br0'),
      SERVER, '80', SOURCES, lab.lab.ip('r', 'br0')], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
    let genErr = '';
    generator.stderr?.setEncoding('utf8').on('data', (d: string) => { genErr += d; });
    const gen = new Generator(generator);
    const ready = await gen.next(30_000).catch((err: Error) => { throw new Error(`${err.message}\n${genErr}`); });

    const rows: StepRow[] = [];
    let pid = 0;
    let first: StatusReport | null = null;
    let memStart = { rssKiB: 0, hwmKiB: 0 };
    for (const batch of batches) {
      await lab.stopDaemon();
      lab.writeConfig({
        mainOptions: {
          log_level: 'info', probe_interval: '600', syn_timeout: String(SYN_TIMEOUT),
          ...(batch === 'unset' ? {} : { capture_batch_ms: batch }),
        },
      });
      await lab.start(15_000, malloc === 'init' ? { ...INIT_SCRIPT_ENV } : {});
      first = await daemonStatus(lab.socket);
      pid = first.pid;
      memStart = procMemory(pid);
      for (const rate of rates) {
        const peers = [];
        for (const name of peerNames) {
          const peer = PEERS[name];
          if (!peer) throw new Error(`BENCH_FLOOD_PEERS: unknown peer '${name}' (${Object.keys(PEERS).join(', ')})`);
          peers.push(await startPeer(lab, peer, filter));
        }
        const before = await daemonStatus(lab.socket);
        const cpuBefore = procCpuSeconds(pid);
        const stepDone = gen.step(rate, seconds);
        // Halfway through: how long the daemon's event loop takes to answer while it captures.
        await sleep(seconds * 500);
        const ping = await pingMs(lab.socket, 20_000).catch(() => Infinity);
        const { sent, elapsed } = await stepDone;
        const after = await settle(lab.socket);
        const cpu = procCpuSeconds(pid) - cpuBefore;
        const peerCounts = [];
        for (const p of peers) peerCounts.push(await stopPeer(p));
        const b0 = br0(before);
        const b1 = br0(after);
        const received = b1.received - b0.received;
        rows.push({
          batch, rate, sent, pps: sent / elapsed, received, dropped: b1.dropped - b0.dropped,
          decodedSyns: after.packets.syn - before.packets.syn,
          cpuPerPacketUs: (cpu / Math.max(1, received - (b1.dropped - b0.dropped))) * 1e6, cpuShare: cpu / elapsed,
          pingMs: ping, peers: peerCounts, down: after.outages.some((o) => o.server === SERVER),
          rssKiB: procMemory(pid).rssKiB, load: loadAverage(),
        });
        if (Date.now() - started > DEADLINE_MS - 40_000) break;
      }
    }
    generator.stdin?.end();
    if (first === null) throw new Error('BENCH_FLOOD_BATCH names no setting to run');
    const afterFlood = await daemonStatus(lab.socket);
    const memFlood = procMemory(pid);
    // The pending SYNs time out into an outage with its waiting clients: the tables' real fill.
    await lab.waitForLog(/server 198\.51\.100\.10 is down \(syn-timeout\)/, (SYN_TIMEOUT + 10) * 1000);
    await sleep(1500);
    const afterDown = await daemonStatus(lab.socket);
    const memDown = procMemory(pid);
    await sleep(QUIET_MS);
    const memQuiet = procMemory(pid);

    const peerHead = peerNames.flatMap((n) => [`${PEERS[n].name} recv`, `${PEERS[n].name} drop`]);
    console.log(`SYN flood on the lab router's br0, ${seconds} s per rate: backsoon and tcpdump in the same run`);
    console.log(`machine: ${machine}; at the end ${loadAverage()}`);
    console.log(`flood: ${ready.flows} flows from ${ready.sources} spoofed addresses (${ready.first} .. ${ready.last}) to ${SERVER}:80 (silent); filter: ${filter.length > 120 ? `${filter.slice(0, 117)}...` : filter}`);
    console.log('');
    console.log(table(
      ['capture_batch_ms', 'target pps', 'sent', 'sent pps', 'backsoon recv', 'backsoon drop', 'SYNs decoded', 'CPU µs/pkt', 'CPU %', 'ping ms', ...peerHead, 'RSS MiB', 'server down', 'load avg'],
      rows.map((r) => [r.batch, r.rate, r.sent, Math.round(r.pps), r.received, r.dropped, r.decodedSyns, r.cpuPerPacketUs.toFixed(2), (r.cpuShare * 100).toFixed(0),
        Number.isFinite(r.pingMs) ? r.pingMs.toFixed(1) : 'timeout', ...r.peers.flatMap((p) => [p.received, p.dropped]), (r.rssKiB / 1024).toFixed(1), r.down ? 'yes' : 'no', r.load]),
    ));
    // Every step up to it without a drop; at the top step it is a lower bound (the generator's).
    const best = (of: StepRow[], drops: (r: StepRow) => number) => {
      let ok = -1;
      while (ok + 1 < of.length && drops(of[ok + 1]) === 0) ok++;
      if (ok < 0) return 'none';
      return `${ok === of.length - 1 ? '>= ' : ''}${Math.round(of[ok].pps).toLocaleString('en-US')} pps`;
    };
    console.log('');
    for (const batch of batches) {
      const of = rows.filter((r) => r.batch === batch);
      console.log(`capture_batch_ms ${batch}: highest rate with zero pcap drops at it and below: backsoon ${best(of, (r) => r.dropped)}` +
        peerNames.map((n, i) => `, ${PEERS[n].name} ${best(of, (r) => r.peers[i].dropped)}`).join(''));
    }
    const t = (s: StatusReport) => s.tables;
    const mib = (k: number) => (k / 1024).toFixed(1);
    console.log('');
    console.log(`memory of the last daemon (capture_batch_ms ${batches[batches.length - 1]}; malloc ${malloc === 'init'
      ? `MALLOC_MMAP_THRESHOLD_=${INIT_SCRIPT_ENV.MALLOC_MMAP_THRESHOLD_}, node flags "${INIT_SCRIPT_NODE_FLAGS}", as the init script sets them` : "node's defaults"}):`);
    console.log(table(['daemon', 'VmRSS MiB', 'VmHWM MiB', 'pendingSyns', 'links', 'servers down', 'attempts', 'evictions'], [
      ['after start', mib(memStart.rssKiB), mib(memStart.hwmKiB), `${t(first).pendingSyns}/${t(first).synCapacity}`, `${t(first).links}/${t(first).linkCapacity}`, t(first).servers, first.engine.attempts,
        first.engine.evictions['table-full'] + first.engine.evictions['server-cap']],
      ['after the flood', mib(memFlood.rssKiB), mib(memFlood.hwmKiB), `${t(afterFlood).pendingSyns}/${t(afterFlood).synCapacity}`, `${t(afterFlood).links}/${t(afterFlood).linkCapacity}`, t(afterFlood).servers, afterFlood.engine.attempts,
        afterFlood.engine.evictions['table-full'] + afterFlood.engine.evictions['server-cap']],
      [`after syn_timeout (${SYN_TIMEOUT} s)`, mib(memDown.rssKiB), mib(memDown.hwmKiB), `${t(afterDown).pendingSyns}/${t(afterDown).synCapacity}`, `${t(afterDown).links}/${t(afterDown).linkCapacity}`, t(afterDown).servers, afterDown.engine.attempts,
        afterDown.engine.evictions['table-full'] + afterDown.engine.evictions['server-cap']],
      [`${QUIET_MS / 1000} s later, quiet`, mib(memQuiet.rssKiB), mib(memQuiet.hwmKiB), '', '', '', '', ''],
    ]));
    console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
  } catch (err) {
    (err as Error).message += `\n--- daemon log (tail) ---\n${lab.log.slice(-3000)}`;
    throw err;
  } finally {
    generator?.kill('SIGKILL');
    await lab.down();
  }
}

const deadline = setTimeout(() => {
  console.error(`bench/lab-synflood.ts: still running after ${DEADLINE_MS / 1000} s; stopping (the lab is removed on exit)`);
  process.exit(1);
}, DEADLINE_MS);
main().then(() => { clearTimeout(deadline); }, (err: unknown) => {
  console.error(`bench/lab-synflood.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
