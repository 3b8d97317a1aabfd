// What the daemon costs on the router boards (docs/IMAGE.md), measured inside each QEMU router
// next to peers run in the same VM and the same run:
//   - idle memory: the daemon as procd started it at boot with the board defaults (one capture
//     on br-lan), bare node kept alive, and node with node-pcap's wrapper and one live capture on
//     br-lan (the addon the image ships, /usr/lib/backsoon/pcap_binding.node, under pcap.js
//     bundled here); the daemon again after each restart;
//   - startup: `node -e 0`, `backsoon --version`, `backsoon status` (and `ubus call backsoon
//     status`, which starts no node), timed inside the VM by one node process (median of
//     BENCH_RUNS after a warm-up); `/etc/init.d/backsoon restart` -> "backsoon ready" on the
//     console, split at the daemon's spawn (its start time in /proc) into the init script's part
//     (its `backsoon config check` starts node) and the daemon's own.
// Env: BENCH_BOARDS (default "x86_64,aarch64"), BENCH_RUNS (default 5), BENCH_RESTARTS (default 3),
// BENCH_BEFORE (a dist/ of another build, e.g. main's: its backsoon.js and backsoon-daemon.js are
// copied into the VM, and their --version, status and daemon (started by hand, the service
// stopped) measured next to the image's in the same VM, taking turns).
// Needs root, `make build` and `make image` (built here when missing or stale, as the tests do).
// One VM at a time, so under the lab lock: flock /work/team/lab.lock npx tsx bench/lab-boards.ts
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runNamespace } from '../test/lab/lab';
import { DAEMON_READY, ensureImage, RouterVm, type Arch } from '../test/qemu/vm';
import { loadAverage, machineLine, sleep, statusMemory, table, type StatusMemory } from './lab-proc';

const ROOT = resolve(__dirname, '..');
const boards = (process.env.BENCH_BOARDS ?? 'x86_64,aarch64').split(',') as Arch[];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);
/** A process's memory is read this long after its start (node's start alone takes seconds under TCG). */
const SETTLE_MS = 10_000;
/** Where the peers' scripts go in the VM (tmpfs). */
const PEER_DIR = '/tmp/bs-bench';
/** What the image ships: the addon beside the bundle (image/build). */
const IMAGE_ADDON = '/usr/lib/backsoon/pcap_binding.node';
const DEADLINE_MS = 40 * 60_000;

/** A peer prints its own /proc/self/status SETTLE_MS after it started, then exits. */
const REPORT = `setTimeout(() => { process.stdout.write(require('fs').readFileSync('/proc/self/status', 'utf8')); process.exit(0); }, ${SETTLE_MS});`;

/**
 * node-pcap's wrapper (pcap.js and its decoders) in one file whose binding is required from
 * build/Release/ beside it, a link to the image's addon; one capture on br-lan as the daemon
 * opens it with the board defaults (capture_buffer 4096 KiB, capture_batch_ms 10, snap 256, not
 * promiscuous).
 */
async function pcapPeerBundle(): Promise<string> {
  const entry = `const pcap = require(${JSON.stringify(resolve(ROOT, 'node_modules/pcap'))}); let n = 0;
const s = pcap.createSession('br-lan', { filter: 'tcp or arp or icmp', buffer_size: 4 << 20, buffer_timeout: 10, snap_length: 256, promiscuous: false });
s.on('packet', () => { n++; });
${REPORT}`;
  const out = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'js' },
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, write: false, logLevel: 'warning',
    plugins: [{
      name: 'image-addon',
      setup(b) { b.onResolve({ filter: /pcap_binding/ }, () => ({ path: './build/Release/pcap_binding.node', external: true })); },
    }],
  });
  return out.outputFiles[0].text;
}

/** Times each command of the JSON file argv[2] ([label, file, args][]) inside the VM (spawn to exit), RUNS times after one warm-up, taking turns. */
const TIMER = `const { spawnSync } = require('child_process');
const commands = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const ms = {};
for (let run = 0; run <= ${RUNS}; run++) {
  for (const [label, file, args] of commands) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const took = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) { console.error(label + ': exit ' + r.status + ': ' + r.stderr); process.exit(1); }
    if (run > 0) (ms[label] = ms[label] || []).push(took);
  }
}
console.log(JSON.stringify(ms));`;

/** The image's bundles, and (BENCH_BEFORE) another build's copied into the VM, with the image's addon beside it. */
const BEFORE = process.env.BENCH_BEFORE ? resolve(process.env.BENCH_BEFORE) : null;
const IMAGE_BUNDLES = '/usr/lib/backsoon';
const BEFORE_BUNDLES = `${PEER_DIR}/before`;

function timedCommands(): [string, string, string[]][] {
  const commands: [string, string, string[]][] = [
    ['node -e 0', '/usr/bin/node', ['-e', '0']],
    ['backsoon --version', '/usr/bin/backsoon', ['--version']],
    ['backsoon status', '/usr/bin/backsoon', ['status']],
    ['ubus call backsoon status', '/bin/ubus', ['call', 'backsoon', 'status']],
  ];
  if (BEFORE) {
    for (const args of [['--version'], ['status']]) {
      commands.push([`node ${args[0]}, before`, '/usr/bin/node', [`${BEFORE_BUNDLES}/backsoon.js`, ...args]]);
      commands.push([`node ${args[0]}, after`, '/usr/bin/node', [`${IMAGE_BUNDLES}/backsoon.js`, ...args]]);
    }
  }
  return commands;
}

/** Writes `content` to `path` in the VM in pieces (one shell argument is at most 128 KiB). */
async function writeInVm(vm: RouterVm, path: string, content: string): Promise<void> {
  const b64 = Buffer.from(content).toString('base64');
  await must(vm, `mkdir -p ${dirname(path)} && : >${path}.b64`);
  for (let i = 0; i < b64.length; i += 60_000) await must(vm, `printf %s '${b64.slice(i, i + 60_000)}' >>${path}.b64`);
  await must(vm, `base64 -d ${path}.b64 >${path} && rm ${path}.b64`);
}

async function must(vm: RouterVm, command: string, timeoutMs = 120_000): Promise<string> {
  const r = await vm.run(command, timeoutMs);
  if (r.status !== 0) throw new Error(`in the VM: ${command.slice(0, 200)}: exit ${r.status}: ${r.output.slice(-2000)}`);
  return r.output;
}

async function daemonMemory(vm: RouterVm): Promise<{ pid: number; memory: StatusMemory }> {
  const pid = await vm.daemonPid();
  if (pid === null) throw new Error('procd runs no backsoon instance');
  return { pid, memory: statusMemory(await must(vm, `cat /proc/${pid}/status`)) };
}

async function guestUptime(vm: RouterVm): Promise<number> {
  return Number((await must(vm, 'cut -d" " -f1 /proc/uptime')).trim());
}

interface Restart { totalS: number; initScriptS: number; initReturnS: number; spawnToReadyS: number; memory: StatusMemory }

/**
 * `/etc/init.d/backsoon restart`, timed in the guest's clock: u0 before it, the init script's
 * return, the new daemon's start time (/proc/PID/stat, clock ticks since boot), and the guest
 * uptime at the ready line (the console's line seen on the host, less the time since).
 */
async function restart(vm: RouterVm): Promise<Restart> {
  const from = vm.consoleLength;
  const out = await must(vm, 'cut -d" " -f1 /proc/uptime; /etc/init.d/backsoon restart >/dev/null; cut -d" " -f1 /proc/uptime', 300_000);
  const [u0, u1] = out.trim().split('\n').map(Number);
  await vm.waitForConsole(DAEMON_READY, 300_000, from);
  const seenAt = Date.now();
  const uNow = await guestUptime(vm);
  const uReady = uNow - (Date.now() - seenAt) / 1000;
  const pid = await vm.daemonPid();
  const stat = await must(vm, `cat /proc/${pid}/stat; getconf CLK_TCK 2>/dev/null || echo 100`);
  const [statLine, hz] = stat.trim().split('\n');
  const startTicks = Number(statLine.slice(statLine.lastIndexOf(')') + 2).split(' ')[19]);
  const uSpawn = startTicks / Number(hz || 100);
  await sleep(SETTLE_MS);
  const { memory } = await daemonMemory(vm);
  return { totalS: uReady - u0, initScriptS: uSpawn - u0, initReturnS: u1 - u0, spawnToReadyS: uReady - uSpawn, memory };
}

interface ByHand { bundle: string; spawnToReadyS: number; memory: StatusMemory }

/**
 * The daemon of the bundles in `dir` started by hand with the board's configuration and the
 * init script's environment (the service stopped first): spawn -> "backsoon ready" in its log,
 * timed by the guest's clock in the shell that polls the log, and its memory SETTLE_MS after.
 */
async function byHand(vm: RouterVm, bundle: string, dir: string): Promise<ByHand> {
  const log = `${PEER_DIR}/daemon.log`;
  const out = await must(vm, [
    `/etc/init.d/backsoon stop >/dev/null 2>&1; sleep 1; : >${log}`,
    `MALLOC_MMAP_THRESHOLD_=131072 /usr/bin/node --max-semi-space-size=1 ${dir}/backsoon.js run --config /etc/config/backsoon >${log} 2>&1 & p=$!`,
    'a=$(cut -d" " -f1 /proc/uptime)',
    `while ! grep -q "backsoon ready" ${log}; do kill -0 $p 2>/dev/null || { cat ${log}; exit 1; }; sleep 0.05; done`,
    `b=$(cut -d" " -f1 /proc/uptime); sleep ${SETTLE_MS / 1000}; echo "$a $b"; cat /proc/$p/status; kill $p; wait $p 2>/dev/null; true`,
  ].join('; '), 300_000);
  const [a, b] = out.split('\n')[0].split(' ').map(Number);
  return { bundle, spawnToReadyS: b - a, memory: statusMemory(out) };
}

interface BoardResult {
  arch: Arch;
  bootS: number;
  bootUptimeS: number;
  memAvailable: string;
  daemon: StatusMemory;
  bare: StatusMemory;
  pcap: StatusMemory;
  bareAgain: StatusMemory;
  pcapAgain: StatusMemory;
  restarts: Restart[];
  byHand: ByHand[];
  startup: Record<string, number[]>;
  loadStart: string;
  loadEnd: string;
}

async function measureBoard(arch: Arch, pcapPeer: string): Promise<BoardResult> {
  ensureImage(arch);
  const loadStart = loadAverage();
  const vm = await RouterVm.boot({ arch, prefix: runNamespace(arch === 'x86_64' ? 'bbx' : 'bba') });
  try {
    await writeInVm(vm, `${PEER_DIR}/pcap-peer.js`, pcapPeer);
    await writeInVm(vm, `${PEER_DIR}/timer.js`, TIMER);
    await writeInVm(vm, `${PEER_DIR}/commands.json`, JSON.stringify(timedCommands()));
    if (BEFORE) {
      for (const f of ['backsoon.js', 'backsoon-daemon.js']) await writeInVm(vm, `${BEFORE_BUNDLES}/${f}`, readFileSync(join(BEFORE, f), 'utf8'));
      await must(vm, `ln -sf ${IMAGE_ADDON} ${BEFORE_BUNDLES}/pcap_binding.node`);
    }
    await must(vm, `mkdir -p ${PEER_DIR}/build/Release && ln -sf ${IMAGE_ADDON} ${PEER_DIR}/build/Release/pcap_binding.node`);
    await sleep(SETTLE_MS);
    const { memory: daemon } = await daemonMemory(vm);
    const memAvailable = (await must(vm, "awk '/^MemTotal|^MemAvailable/ { printf \"%s %.0f MiB \", $1, $2 / 1024 }' /proc/meminfo")).trim();
    const peer = async (argv: string): Promise<StatusMemory> => statusMemory(await must(vm, argv, 300_000));
    const bare = await peer(`/usr/bin/node -e "${REPORT}"`);
    const pcap = await peer(`/usr/bin/node ${PEER_DIR}/pcap-peer.js`);
    const startup = JSON.parse(await must(vm, `/usr/bin/node ${PEER_DIR}/timer.js ${PEER_DIR}/commands.json`, 1_200_000)) as Record<string, number[]>;
    const restarts: Restart[] = [];
    for (let i = 0; i < RESTARTS; i++) restarts.push(await restart(vm));
    const hand: ByHand[] = [];
    if (BEFORE) {
      for (let i = 0; i < RESTARTS; i++) {
        hand.push(await byHand(vm, 'before', BEFORE_BUNDLES));
        hand.push(await byHand(vm, 'after', IMAGE_BUNDLES));
      }
      await must(vm, '/etc/init.d/backsoon start >/dev/null', 300_000);
    }
    const bareAgain = await peer(`/usr/bin/node -e "${REPORT}"`);
    const pcapAgain = await peer(`/usr/bin/node ${PEER_DIR}/pcap-peer.js`);
    return {
      arch, bootS: (vm.daemonReadyMs ?? vm.bootTimes.wallMs) / 1000, bootUptimeS: vm.bootTimes.guestUptimeS, memAvailable,
      daemon, bare, pcap, bareAgain, pcapAgain, restarts, byHand: hand, startup, loadStart, loadEnd: loadAverage(),
    };
  } catch (err) {
    (err as Error).message += `\n--- console (tail) ---\n${vm.console.slice(-3000)}`;
    throw err;
  } finally {
    await vm.stop();
  }
}

const mib = (k: number) => (k / 1024).toFixed(1);
const signed = (k: number) => `${k >= 0 ? '+' : ''}${mib(k)}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

function report(results: BoardResult[]): void {
  const memRows: (string | number)[][] = [];
  for (const r of results) {
    const row = (what: string, m: StatusMemory) => [r.arch, what, mib(m.rss), mib(m.anon), mib(m.file), signed(m.rss - r.pcap.rss), (m.rss / r.pcap.rss).toFixed(2)];
    memRows.push(row('node -e (bare, kept alive)', r.bare));
    memRows.push(row('node + pcap, one live capture on br-lan', r.pcap));
    memRows.push(row('backsoon idle, procd at boot (board defaults)', r.daemon));
    r.restarts.forEach((x, i) => memRows.push(row(`backsoon idle after restart ${i + 1}`, x.memory)));
    for (const name of ['before', 'after']) {
      const runs = r.byHand.filter((h) => h.bundle === name);
      runs.forEach((h, i) => memRows.push(row(`backsoon idle by hand, ${name} (run ${i + 1})`, h.memory)));
    }
    memRows.push(row('node -e (bare), again after', r.bareAgain));
    memRows.push(row('node + pcap, again after', r.pcapAgain));
  }
  console.log(`Idle memory inside the VM, each read ${SETTLE_MS / 1000} s after its process started; "vs peer": against the first node + pcap row of the same board`);
  console.log('');
  console.log(table(['board', 'process', 'VmRSS MiB', 'RssAnon MiB', 'RssFile MiB', 'vs node + pcap MiB', 'x node + pcap'], memRows));
  console.log('');
  const startRows: (string | number)[][] = [];
  for (const r of results) {
    const node0 = median(r.startup['node -e 0']);
    for (const [label, ms] of Object.entries(r.startup)) {
      startRows.push([r.arch, label, (median(ms) / 1000).toFixed(2), range(ms.map((x) => x / 1000), 2), (median(ms) / node0).toFixed(2)]);
    }
    const rs = r.restarts;
    startRows.push([r.arch, `init.d restart -> "backsoon ready" (${rs.length} restarts)`, median(rs.map((x) => x.totalS)).toFixed(2), range(rs.map((x) => x.totalS), 2), (median(rs.map((x) => x.totalS)) * 1000 / node0).toFixed(2)]);
    startRows.push([r.arch, '  of which the init script (stop, config check) until node spawns', median(rs.map((x) => x.initScriptS)).toFixed(2), range(rs.map((x) => x.initScriptS), 2), (median(rs.map((x) => x.initScriptS)) * 1000 / node0).toFixed(2)]);
    startRows.push([r.arch, '  (the init script returns)', median(rs.map((x) => x.initReturnS)).toFixed(2), range(rs.map((x) => x.initReturnS), 2), (median(rs.map((x) => x.initReturnS)) * 1000 / node0).toFixed(2)]);
    startRows.push([r.arch, '  of which daemon spawn -> "backsoon ready"', median(rs.map((x) => x.spawnToReadyS)).toFixed(2), range(rs.map((x) => x.spawnToReadyS), 2), (median(rs.map((x) => x.spawnToReadyS)) * 1000 / node0).toFixed(2)]);
    for (const name of ['before', 'after']) {
      const xs = r.byHand.filter((h) => h.bundle === name).map((h) => h.spawnToReadyS);
      if (xs.length > 0) startRows.push([r.arch, `daemon by hand, ${name}: spawn -> "backsoon ready"`, median(xs).toFixed(2), range(xs, 2), (median(xs) * 1000 / node0).toFixed(2)]);
    }
    startRows.push([r.arch, 'boot: run-vm start -> "backsoon ready" (wall; guest uptime)', r.bootS.toFixed(1), `uptime ${r.bootUptimeS.toFixed(1)}`, '']);
  }
  console.log(`Startup inside the VM, median of ${RUNS} after a warm-up (s); "x node -e 0": against node -e 0 of the same board and run`);
  console.log('');
  console.log(table(['board', 'what', 'median s', 'range s', 'x node -e 0'], startRows));
  console.log('');
  for (const r of results) {
    const over = r.daemon.rss - r.pcap.rss;
    console.log(`${r.arch}: idle ${signed(over)} MiB over node + pcap (target <= +8): ${over <= 8 * 1024 ? 'met' : 'NOT met'}; ${r.memAvailable.trim()}; host load average ${r.loadStart} at boot, ${r.loadEnd} at the end`);
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`);
  const pcapPeer = await pcapPeerBundle();
  const results: BoardResult[] = [];
  for (const arch of boards) {
    const t0 = Date.now();
    results.push(await measureBoard(arch, pcapPeer));
    console.error(`${arch}: measured in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  console.log('');
  report(results);
}

const deadline = setTimeout(() => {
  console.error(`bench/lab-boards.ts: still running after ${DEADLINE_MS / 60_000} min; stopping (the VM and its lab are removed on exit)`);
  process.exit(1);
}, DEADLINE_MS);
main().then(() => { clearTimeout(deadline); process.exit(0); }, (err: unknown) => {
  console.error(`bench/lab-boards.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
