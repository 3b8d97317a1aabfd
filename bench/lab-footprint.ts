// What the daemon costs a router at rest, next to peers in the same run and the same namespace:
// resident memory of bare node, of node with node-pcap and one live capture (the floor of any
// Node capture daemon), and of backsoon idle after "backsoon ready" (the lab's configuration
// with one capture on br0, mail and the SNMP trap receiver); the time from start to "backsoon
// ready"; and the wall time of `backsoon status` next to `node -e 0`.
//
// Env: BENCH_BUNDLES (default "this=dist/backsoon.js"; e.g. "main=/tmp/main/dist/backsoon.js,this=dist/backsoon.js"
// for figures before and after in one run), BENCH_RUNS (status and node -e 0 runs, default 7).
// Each bundle is measured twice: as node starts it, and with MALLOC_MMAP_THRESHOLD_ as the init
// script sets it (glibc: large tables stay untouched, zero pages until used; musl ignores it).
// Needs root (namespaces, capture): run it under the lab lock.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonLab } from '../test/lab/daemon-lab';
import { daemonStatus, INIT_SCRIPT_ENV, INIT_SCRIPT_NODE_FLAGS, loadAverage, machineLine, sleep, statusMemory, table, type StatusMemory } from './lab-proc';
import { peerMemory } from './lab-peers';

const TAG = 'bn-foot';
const ROOT = resolve(__dirname, '..');
/** Time for a process to settle after its start before its memory is read, ms. */
const SETTLE_MS = 5000;
const DEADLINE_MS = 240_000;

const bundles = (process.env.BENCH_BUNDLES ?? `this=${resolve(ROOT, 'dist/backsoon.js')}`).split(',').map((pair) => {
  const [name, file] = pair.split('=');
  return { name, file: resolve(file) };
});
const runs = Number(process.env.BENCH_RUNS ?? 7);

/** Wall time of a command in the router namespace, median of `runs`, ms. */
async function wallMs(lab: DaemonLab, argv: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = await lab.lab.exec('r', argv);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

interface DaemonRow { name: string; readyMs: number; idle: StatusMemory; statusMs: number; nodeMs: number; load: string }


async function measureDaemon(lab: DaemonLab, name: string, file: string, env: Record<string, string> = {}): Promise<DaemonRow> {
  await lab.stopDaemon();
  const t0 = process.hrtime.bigint();
  const child = lab.lab.spawn('r', [process.execPath, file, 'run', '--config', lab.configFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  lab.daemon = child;
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { log += d; });
  const deadline = Date.now() + 30_000;
  while (!/backsoon ready/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${file} did not say "backsoon ready":\n${log}`);
    await sleep(5);
  }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await sleep(SETTLE_MS);
  const pid = (await daemonStatus(lab.socket)).pid;
  const idle = statusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const statusMs = await wallMs(lab, [process.execPath, file, 'status', '--socket', lab.socket]);
  const nodeMs = await wallMs(lab, [process.execPath, '-e', '0']);
  return { name, readyMs, idle, statusMs, nodeMs, load: loadAverage() };
}

async function main(): Promise<void> {
  const machine = machineLine();
  const lab = await DaemonLab.up(TAG, { serverSide: false, mainOptions: { log_level: 'info', probe_interval: '600' } });
  try {
    const bare = await peerMemory(lab, 'bare');
    const pcap = await peerMemory(lab, 'pcap');
    const rows: DaemonRow[] = [];
    for (const b of bundles) {
      rows.push(await measureDaemon(lab, b.name, b.file));
      rows.push(await measureDaemon(lab, `${b.name}, MALLOC_MMAP_THRESHOLD_=${INIT_SCRIPT_ENV.MALLOC_MMAP_THRESHOLD_}${INIT_SCRIPT_NODE_FLAGS === '' ? '' : ` ${INIT_SCRIPT_NODE_FLAGS}`}`, b.file, INIT_SCRIPT_ENV));
    }
    const bareAgain = await peerMemory(lab, 'bare');
    const pcapAgain = await peerMemory(lab, 'pcap');
    await lab.stopDaemon();

    const mib = (k: number) => (k / 1024).toFixed(1);
    const memRow = (what: string, m: StatusMemory, vsPeer: string) => [what, mib(m.rss), mib(m.anon), mib(m.file), mib(m.shmem), vsPeer];
    const overPcap = (m: StatusMemory) => `${m.rss - pcap.rss >= 0 ? '+' : ''}${mib(m.rss - pcap.rss)}`;
    console.log(`Idle memory and startup in the lab router's namespace; peers in the same run (${SETTLE_MS / 1000} s after start each)`);
    console.log(`machine: ${machine}; at the end ${loadAverage()}`);
    console.log('');
    console.log(table(['process', 'VmRSS MiB', 'RssAnon MiB', 'RssFile MiB', 'RssShmem MiB', 'vs node + pcap MiB'], [
      memRow('node -e (bare)', bare, overPcap(bare)),
      memRow('node + pcap, one live capture on br0 (4 MiB buffer)', pcap, '0'),
      ...rows.map((r) => memRow(`backsoon idle (${r.name})`, r.idle, overPcap(r.idle))),
      memRow('node -e (bare), again after', bareAgain, overPcap(bareAgain)),
      memRow('node + pcap, again after', pcapAgain, overPcap(pcapAgain)),
    ]));
    console.log('');
    console.log(table(['bundle', 'start -> "backsoon ready" ms', `backsoon status ms (median of ${runs})`, 'node -e 0 ms', 'load avg'],
      rows.map((r) => [r.name, Math.round(r.readyMs), Math.round(r.statusMs), Math.round(r.nodeMs), r.load])));
  } catch (err) {
    (err as Error).message += `\n--- daemon log (tail) ---\n${lab.log.slice(-3000)}`;
    throw err;
  } finally {
    await lab.down();
  }
}

const deadline = setTimeout(() => {
  console.error(`bench/lab-footprint.ts: still running after ${DEADLINE_MS / 1000} s; stopping (the lab is removed on exit)`);
  process.exit(1);
}, DEADLINE_MS);
main().then(() => { clearTimeout(deadline); }, (err: unknown) => {
  console.error(`bench/lab-footprint.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
