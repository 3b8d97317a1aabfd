// The daemon's memory through a flood of page connections, as the init script starts it
// (INIT_SCRIPT_ENV), next to node + pcap in the same namespace and run: a down server with the
// stand-in, and the slowloris attacker of test/lab/slowloris.ts from 40 addresses with 32 slow
// connections each (1,280, more than the 512 the stand-in holds) for BENCH_PAGEFLOOD_SECONDS
// (default 30). RSS before, during (half way), at the attack's end and BENCH_PAGEFLOOD_SETTLE_MS
// (default 30000) later, when the daemon's heap check has run on a quiet heap.
// Env: BENCH_PAGEFLOOD_RUNS (default 2), BACKSOON_BUNDLE (the daemon's bundle, as the lab tests).
// Needs root (namespaces, capture, nftables): run it under the lab lock.
//   flock /work/team/lab.lock npx tsx bench/lab-pageflood.ts
import { DaemonLab } from '../test/lab/daemon-lab';
import type { SlowlorisPlan, SlowlorisResult } from '../test/lab/slowloris';
import { peerMemory } from './lab-peers';
import { INIT_SCRIPT_ENV, loadAverage, machineLine, procMemory, sleep, table, type ProcMemory } from './lab-proc';

const RUNS = Number(process.env.BENCH_PAGEFLOOD_RUNS ?? 2);
const SECONDS = Number(process.env.BENCH_PAGEFLOOD_SECONDS ?? 30);
const SETTLE_MS = Number(process.env.BENCH_PAGEFLOOD_SETTLE_MS ?? 30_000);
const ATTACK_ADDRESSES = Array.from({ length: 40 }, (_, i) => `192.0.2.${100 + i}`);
const DEADLINE_MS = RUNS * (SECONDS * 1000 + SETTLE_MS + 90_000);

interface Run {
  before: ProcMemory;
  during: ProcMemory;
  end: ProcMemory;
  later: ProcMemory;
  flood: SlowlorisResult;
  load: string;
}

async function floodOnce(): Promise<Run> {
  const lab = await DaemonLab.up('bn-pageflood', {
    clients: 1, serverSide: false, serverOptions: "\toption standin '1'", mainOptions: { probe_interval: '600', log_level: 'info' },
  });
  try {
    for (const address of ATTACK_ADDRESSES) {
      const r = await lab.lab.exec('c1', ['ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      if (r.code !== 0) throw new Error(`ip addr add ${address}: ${r.stderr}`);
    }
    await lab.lab.serverGone('addr');
    await lab.start(15_000, { ...INIT_SCRIPT_ENV });
    await lab.curl('c', 5);
    await lab.waitForLog(/stand-in: answering for 198\.51\.100\.10/, 10_000);
    const pid = (await lab.status()).pid as number;
    await sleep(5000);
    const before = procMemory(pid);
    const plan: SlowlorisPlan = { host: '198.51.100.10', port: 80, addresses: ATTACK_ADDRESSES, perAddress: 32, gapMs: 1000, reconnectMs: 250, seconds: SECONDS };
    const attacker = lab.lab.exec('c1', [process.execPath, '--import', 'tsx', 'test/lab/slowloris.ts', JSON.stringify(plan)], { timeoutMs: SECONDS * 1000 + 30_000 });
    await sleep(SECONDS * 500);
    const during = procMemory(pid);
    const out = await attacker;
    if (out.code !== 0) throw new Error(`the attacker failed: ${out.stderr}`);
    const end = procMemory(pid);
    await sleep(SETTLE_MS);
    const later = procMemory(pid);
    return { before, during, end, later, flood: JSON.parse(out.stdout) as SlowlorisResult, load: loadAverage() };
  } finally {
    await lab.down();
  }
}

async function main(): Promise<void> {
  const machine = machineLine();
  const peerLab = await DaemonLab.up('bn-pageflood-peer', { serverSide: false });
  let pcap;
  try {
    pcap = await peerMemory(peerLab, 'pcap');
  } finally {
    await peerLab.down();
  }
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await floodOnce());

  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const over = (kib: number) => `${kib >= pcap.rss ? '+' : ''}${mib(kib - pcap.rss)}`;
  console.log(`Page-connection flood (slowloris, ${ATTACK_ADDRESSES.length} addresses x 32 connections, ${SECONDS} s), daemon as the init script starts it`);
  console.log(`machine: ${machine}; at the end ${loadAverage()}`);
  console.log(`node + pcap, one live capture on br0, same run: ${mib(pcap.rss)} MiB`);
  console.log('');
  console.log(table(['run', 'most open', 'opened', 'RSS MiB before', 'during', 'at the end', `${SETTLE_MS / 1000} s later`, 'later: anon', 'later vs node + pcap', 'peak (VmHWM)', 'load avg'],
    runs.map((r, i) => [i + 1, r.flood.mostOpen, r.flood.opened, mib(r.before.rssKiB), mib(r.during.rssKiB), mib(r.end.rssKiB), mib(r.later.rssKiB),
      mib(r.later.anonKiB), over(r.later.rssKiB), mib(r.later.hwmKiB), r.load])));
}

const deadline = setTimeout(() => {
  console.error(`bench/lab-pageflood.ts: no result after ${DEADLINE_MS / 1000} s`);
  process.exit(1);
}, DEADLINE_MS);
main().then(() => { clearTimeout(deadline); }, (err: unknown) => {
  console.error(`bench/lab-pageflood.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
