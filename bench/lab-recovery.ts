// Recovery to mail: from the server's SNMP trap arriving at the router to the MTA's 250 for
// every recovery notice, with 1, 100, 1,000 and 10,000 clients waiting. Needs root and
// `make build`. Figures and how to read them: docs/PERFORMANCE.md.
//
// The waiting clients come from a state file written before the daemon starts (the daemon
// restores STATE_DIR/state.json, src/engine/state.ts): one outage of 198.51.100.10 (cause
// syn-timeout, so only a service-level sign ends it, and no probe or ARP does it before the
// trap) with N clients, and N contacts (source 'page'). The client addresses are taken from
// 198.18.0.0/15 (RFC 2544's benchmarking range): 10,000 do not fit the documentation /24s, and
// they exist only in the state file and the mails; no packet carries them.
//
// Then `snmptrap` in the server namespace (Net-SNMP, coldStart, v2c), as test/lab/daemon.test.ts
// does. Times: the trap's arrival is its timestamp in a tcpdump on the router's s0; a notice's
// 250 is when the daemon recorded it in its outbox ledger (ms, right after the SMTP session
// returned the 250). exim only queues what it accepts here and never delivers it (its local deliveries
// would take the CPU of two shared cores): its spool is the check that every notice arrived.
// Mail goes out as the daemon ships it: its SMTP pool of 10 sessions, 20 messages in flight
// (src/notify/mail.ts, smtp-pool.ts), to exim in the router.
//
// The outbox stores each notice as a file with fsync before the first attempt. To see what that
// costs, the 1,000 case runs twice: state_dir on the disk (ext4) and on tmpfs (/dev/shm), where
// fsync returns at once.
//
// The peers, in the same run and against the same exim: bench/lab-smtp-ceiling.ts, a plain SMTP
// load generator (raw sockets, pipelining, message after message per connection) at 2, 5, 10
// and 20 connections: the MTA's own ceiling is the best of these. And bench/lab-recovery-peer.ts,
// which sends 1,000 of the same mails through the daemon's own SMTP transport with no engine,
// outbox or disk in between.
//
// Env: BENCH_RECOVERY_COUNTS (default 1,100,1000,10000), BENCH_RECOVERY_TMPFS (default 1000:
// these counts also run with state_dir on tmpfs; "" for none), BENCH_RECOVERY_PEER (default
// 1000 mails; 0 for none), BENCH_RECOVERY_CEILING (default 2000 mails per connection count; 0 for
// none), BENCH_RECOVERY_MALLOC (default "init": the daemon gets the init script's environment,
// MALLOC_MMAP_THRESHOLD_=131072, as on the router; "node": node's defaults; "both": each run
// twice, in turns), BENCH_RECOVERY_HEAP_DIR=DIR (diagnosis: a V8 heap snapshot of the daemon
// into DIR once it is quiet after each run, node's --heapsnapshot-signal; with BENCH_RECOVERY_HEAP_BEFORE=1 also one
// before the trap: its full collection then changes what the run measures), BENCH_RECOVERY_STRACE=1 (diagnosis only, slows everything: each run
// under `strace -f -c -w`, its syscall summary printed; the figures of such a run are not the
// daemon's), BENCH_RECOVERY_PEER_PROF_DIR=DIR (diagnosis: a CPU profile of each peer script
// into DIR, node's --cpu-prof), BENCH_RECOVERY_SETTLE_MS (default 15000: when RSS is read again
// after the last 250).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { formatIPv4, parseIPv4 } from '../src/net/ipv4';
import type { EngineState } from '../src/engine/state';
import { BUNDLE, DaemonLab } from '../test/lab/daemon-lab';
import { daemonStatus, INIT_SCRIPT_ENV, INIT_SCRIPT_NODE_FLAGS, machineLine, procCpuSeconds, procMemory, sleep, table, type ProcMemory } from './lab-proc';

const TAG = 'bn-recovery';
const SERVER = '198.51.100.10';
const CLIENT_BASE = parseIPv4('198.18.0.0')!;
const DEADLINE_MS = 300_000 * (process.env.BENCH_RECOVERY_MALLOC === 'both' ? 2 : 1);
/** The whole wait for one run's mail: generous, the machine is shared. */
const WAIT_MS = (n: number) => 20_000 + n * 8;

const counts = (process.env.BENCH_RECOVERY_COUNTS ?? '1,100,1000,10000').split(',').map(Number);
const tmpfsCounts = new Set((process.env.BENCH_RECOVERY_TMPFS ?? '1000').split(',').filter((c) => c !== '').map(Number));
const peerCount = Number(process.env.BENCH_RECOVERY_PEER ?? 1000);
const ceilingCount = Number(process.env.BENCH_RECOVERY_CEILING ?? 2000);
const mallocChoice = process.env.BENCH_RECOVERY_MALLOC ?? 'init';
if (!['init', 'node', 'both'].includes(mallocChoice)) throw new Error(`BENCH_RECOVERY_MALLOC=${mallocChoice}: use init, node or both`);
const mallocs: Malloc[] = mallocChoice === 'both' ? ['init', 'node'] : [mallocChoice as Malloc];
const heapDir = process.env.BENCH_RECOVERY_HEAP_DIR ?? '';
/** A directory for a CPU profile of each peer script (node --cpu-prof), for diagnosis. */
const peerProfileDir = process.env.BENCH_RECOVERY_PEER_PROF_DIR ?? '';
/** How long after the last 250 the daemon's memory is read again, ms: what it keeps once it is quiet. */
const SETTLE_MS = Number(process.env.BENCH_RECOVERY_SETTLE_MS ?? 15_000);
const CEILING_CONNECTIONS = [2, 5, 10, 20];
const PEER = resolve(__dirname, 'lab-recovery-peer.ts');
const CEILING = resolve(__dirname, 'lab-smtp-ceiling.ts');
const ROOT = resolve(__dirname, '..');

interface PeerResult {
  count: number;
  failed: number;
  renderMs: number;
  firstMs: number;
  lastMs: number;
  cpuSeconds: number;
}

interface CeilingResult {
  count: number;
  connections: number;
  failed: number;
  firstMs: number;
  lastMs: number;
  cpuSeconds: number;
}

/** A peer script in the router namespace, sending `count` mails to the lab's exim; its JSON line. */
async function runPeer<T extends { failed: number }>(lab: DaemonLab, script: string, count: number, extra: string[] = []): Promise<T> {
  await lab.stopDaemon();
  const before = lab.exim.spooledCount();
  // cwd: `--import tsx` is resolved from the working directory's node_modules.
  const profile = peerProfileDir !== '' ? ['--cpu-prof', `--cpu-prof-dir=${peerProfileDir}`] : [];
  const child = lab.lab.spawn('r', [process.execPath, ...profile, '--import', 'tsx', script, String(lab.exim.port), String(count), ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS(count));
  const code = await new Promise<number | null>((res) => child.once('close', (c) => res(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} failed (exit ${code}): ${err}`);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
  if (result.failed !== 0) throw new Error(`${script}: ${result.failed} of ${count} mails not accepted`);
  const accepted = lab.exim.spooledCount() - before;
  if (accepted !== count) throw new Error(`${script}: exim's spool holds ${accepted} new messages, not ${count}`);
  return result;
}

/** The daemon's environment: as the init script starts it (MALLOC_MMAP_THRESHOLD_), or as node starts. */
type Malloc = 'init' | 'node';

interface Run {
  n: number;
  fs: 'ext4' | 'tmpfs';
  malloc: Malloc;
}

interface RunResult extends Run {
  /** From the daemon's outbox ledger: when it recorded the first and the last 250. */
  firstMs: number;
  lastMs: number;
  queuedMs: number;
  sentMs: number;
  cpuSeconds: number;
  before: ProcMemory;
  /** When half of the notices had their 250. */
  half: ProcMemory;
  /** At the last 250. */
  after: ProcMemory;
  /** SETTLE_MS later, nothing to do. */
  settled: ProcMemory;
}

/** The state file of an outage with `n` waiting clients, each with a mail address. */
function stateWith(n: number, now: number): EngineState {
  const clients = [];
  const contacts = [];
  for (let i = 0; i < n; i++) {
    const client = formatIPv4((CLIENT_BASE + 1 + i) >>> 0);
    clients.push({ client, firstAttempt: now - 120, lastAttempt: now - 60 });
    contacts.push({ client, mail: `c${i + 1}@example.test`, registeredAt: now - 600, source: 'page' as const });
  }
  return {
    version: 1,
    savedAt: now - 30,
    outages: [{ server: SERVER, state: 'down', since: now - 300, cause: 'syn-timeout', clients }],
    contacts,
  };
}

/**
 * The outbox ledger (STATE_DIR/outbox/ledger, JSON lines {t, s, k}) has the time in ms at which
 * the daemon recorded each outcome, right after its SMTP session returned the MTA's 250.
 */
function ledgerTimes(stateDir: string): { first: number; last: number; sent: number } {
  let first = Infinity;
  let last = -Infinity;
  let sent = 0;
  for (const line of readFileSync(join(stateDir, 'outbox', 'ledger'), 'utf8').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { t: number; s: string };
    if (e.s !== 'sent') continue;
    sent++;
    first = Math.min(first, e.t);
    last = Math.max(last, e.t);
  }
  return { first, last, sent };
}

/** The trap's arrival on the router's s0: a tcpdump there, printing epoch timestamps. */
async function watchTrap(lab: DaemonLab): Promise<{ child: ChildProcess; arrival: () => Promise<number> }> {
  const child = lab.lab.spawn('r', ['tcpdump', '-i', 's0', '-n', '-tt', '-l', '-c', '1', 'udp', 'dst', 'port', '162'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const deadline = Date.now() + 10_000;
  while (!/listening on s0/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tcpdump on s0 did not start: ${err}`);
    await sleep(20);
  }
  return {
    child,
    arrival: async () => {
      const until = Date.now() + 10_000;
      for (;;) {
        const m = /^(\d+\.\d+) IP /m.exec(out);
        if (m) return Number(m[1]) * 1000;
        if (Date.now() > until) throw new Error(`tcpdump on s0 saw no trap:\n${out}\n${err}`);
        await sleep(20);
      }
    },
  };
}

/** strace -c on the daemon and its threads; the returned function stops it and gives the summary. */
async function attachStrace(pid: number): Promise<() => Promise<string>> {
  const child = spawn('strace', ['-f', '-c', '-w', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = () => { child.kill('SIGKILL'); };
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const deadline = Date.now() + 10_000;
  while (!/attached/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strace -p ${pid} did not attach: ${err}`);
    await sleep(20);
  }
  await sleep(500);
  return async () => {
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.kill('SIGINT');
    await Promise.race([exited, sleep(5000)]);
    return err.split('\n').filter((l) => !/attached|detached/.test(l)).slice(0, 16).join('\n');
  };
}

/** Diagnosis: the daemon writes a heap snapshot into heapDir on SIGUSR2; waits until it is whole. */
async function heapSnapshot(pid: number, name: string): Promise<void> {
  writeFileSync(join(heapDir, `${name}.smaps`), readFileSync(`/proc/${pid}/smaps`)); // copyFile reads 0 bytes of /proc
  const before = new Set(readdirSync(heapDir));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  for (let last = -1; Date.now() < deadline; await sleep(500)) {
    const file = readdirSync(heapDir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    const size = statSync(join(heapDir, file)).size;
    if (size > 0 && size === last) {
      renameSync(join(heapDir, file), join(heapDir, `${name}.heapsnapshot`));
      writeFileSync(join(heapDir, `${name}.after-gc.smaps`), readFileSync(`/proc/${pid}/smaps`));
      process.stderr.write(`  heap snapshot: ${join(heapDir, name)}.heapsnapshot (and /proc/PID/smaps before and after it, .smaps); ` +
        `RSS after its full GC ${mib(procMemory(pid).rssKiB)} MiB\n`);
      return;
    }
    last = size;
  }
  throw new Error(`no heap snapshot of ${pid} in ${heapDir} within 60 s`);
}

async function runOnce(lab: DaemonLab, run: Run, stateDir: string): Promise<RunResult> {
  await lab.stopDaemon();
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify(stateWith(run.n, Date.now() / 1000)));
  lab.writeConfig({
    mainOptions: {
      state_dir: stateDir, log_level: 'info', probe_interval: '600',
      max_links_per_server: '16384', max_contacts: '65536',
    },
  });
  const heapEnv: Record<string, string> = heapDir === '' ? {} : { NODE_OPTIONS: `${INIT_SCRIPT_ENV.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${resolve(heapDir)}`.trim() };
  await lab.start(30_000, { ...(run.malloc === 'init' ? INIT_SCRIPT_ENV : {}), ...heapEnv });
  const before = await daemonStatus(lab.socket, 30_000);
  if (before.waitingClients !== run.n) throw new Error(`the daemon restored ${before.waitingClients} waiting clients, not ${run.n}:\n${lab.log.slice(-2000)}`);
  const pid = before.pid;
  const memBefore = procMemory(pid);
  if (heapDir !== '' && process.env.BENCH_RECOVERY_HEAP_BEFORE === '1') await heapSnapshot(pid, `${run.n}-${run.fs}-${run.malloc}-before`);
  const strace = process.env.BENCH_RECOVERY_STRACE === '1' ? await attachStrace(pid) : null;
  const trapWatch = await watchTrap(lab);
  const spoolBefore = lab.exim.spooledCount();
  const sentBefore = before.outbox.sent;
  const cpuBefore = procCpuSeconds(pid);

  const trap = await lab.trap();
  if (trap.code !== 0) throw new Error(`snmptrap failed: ${trap.stderr}`);
  const trapAt = await trapWatch.arrival();

  // The daemon's own view, polled: every notice on disk (queued), every 250 received (sent).
  let queuedAt = NaN;
  let sentAt = NaN;
  let cpuSeconds = NaN;
  let memHalf: ProcMemory | null = null;
  const deadline = Date.now() + WAIT_MS(run.n);
  let nextProgress = run.n > 1000 ? Date.now() + 5000 : Infinity;
  while (Number.isNaN(sentAt)) {
    if (Date.now() > deadline) {
      const s = await daemonStatus(lab.socket);
      throw new Error(`${run.n} clients: only ${s.outbox.sent - sentBefore} notices sent within ${WAIT_MS(run.n)} ms (outbox ${JSON.stringify(s.outbox)})`);
    }
    const s = await daemonStatus(lab.socket);
    const now = Date.now();
    if (now >= nextProgress) {
      nextProgress = now + 5000;
      process.stderr.write(`  ${run.n} clients (${run.fs}), ${((now - trapAt) / 1000).toFixed(1)} s after the trap: ` +
        `${s.directNotices.queued} queued, ${s.outbox.sent - sentBefore} sent, ${s.outbox.sending} sending, ` +
        `daemon CPU ${(procCpuSeconds(pid) - cpuBefore).toFixed(1)} s\n`);
    }
    if (Number.isNaN(queuedAt) && s.directNotices.queued >= run.n) queuedAt = now;
    if (memHalf === null && s.outbox.sent - sentBefore >= run.n / 2) memHalf = procMemory(pid);
    if (s.outbox.sent - sentBefore >= run.n) {
      sentAt = now;
      cpuSeconds = procCpuSeconds(pid) - cpuBefore;
    }
    await sleep(run.n > 1000 ? 100 : 20);
  }
  const accepted = lab.exim.spooledCount() - spoolBefore;
  if (accepted !== run.n) throw new Error(`exim's spool holds ${accepted} new messages, expected ${run.n}`);
  const { first, last, sent } = ledgerTimes(stateDir);
  if (sent !== run.n) throw new Error(`the outbox ledger records ${sent} sent notices, expected ${run.n}`);
  const memAfter = procMemory(pid);
  trapWatch.child.kill('SIGKILL');
  await sleep(SETTLE_MS);
  const memSettled = procMemory(pid);
  if (heapDir !== '') await heapSnapshot(pid, `${run.n}-${run.fs}-${run.malloc}`);
  if (strace !== null) process.stderr.write(`strace -f -c -w of the daemon, ${run.n} clients (${run.fs}):\n${await strace()}\n`);
  return {
    ...run, firstMs: first - trapAt, lastMs: last - trapAt, queuedMs: queuedAt - trapAt, sentMs: sentAt - trapAt,
    cpuSeconds, before: memBefore, half: memHalf ?? memAfter, after: memAfter, settled: memSettled,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineLine();
  // exim only queues what it accepts, and delivers it after each run: on two shared cores its
  // local deliveries would otherwise take the CPU the SMTP side and the daemon need.
  const lab = await DaemonLab.up(TAG, { serverSide: false, mtaHoldQueue: true });
  // DaemonLab.down() removes its temp dir; an exit by deadline or signal must too.
  process.on('exit', () => {
    try { rmSync(lab.dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* exiting: nowhere to report */ }
  });
  const shm = mkdtempSync('/dev/shm/bs-bn-recovery-');
  const removeShm = () => {
    try { rmSync(shm, { recursive: true, force: true, maxRetries: 3 }); } catch { /* exiting: nowhere to report */ }
  };
  process.on('exit', removeShm);
  const runs: Run[] = [];
  for (const n of counts) {
    for (const malloc of mallocs) {
      runs.push({ n, fs: 'ext4', malloc });
      if (tmpfsCounts.has(n)) runs.push({ n, fs: 'tmpfs', malloc });
    }
  }
  const results: RunResult[] = [];
  const skipped: Run[] = [];
  let peer: PeerResult | null = null;
  const ceiling: CeilingResult[] = [];
  try {
    if (ceilingCount > 0) {
      for (const c of CEILING_CONNECTIONS) ceiling.push(await runPeer<CeilingResult>(lab, CEILING, ceilingCount, [String(c)]));
    }
    if (peerCount > 0) peer = await runPeer<PeerResult>(lab, PEER, peerCount);
    for (const run of runs) {
      // A run that could not finish before the deadline is left out and named, not cut short.
      if (Date.now() - started + WAIT_MS(run.n) + 10_000 > DEADLINE_MS) { skipped.push(run); continue; }
      const dir = join(run.fs === 'tmpfs' ? shm : lab.dir, `state-${run.n}-${run.malloc}`);
      results.push(await runOnce(lab, run, dir));
    }
  } catch (err) {
    (err as Error).message += `\n--- daemon log (tail) ---\n${lab.log.slice(-3000)}`;
    throw err;
  } finally {
    await lab.down();
    removeShm();
  }

  console.log('Recovery to mail: SNMP trap at the router -> 250 from the MTA for every notice (exim in the router namespace)');
  console.log(`machine: ${machine}`);
  console.log(`daemon: ${BUNDLE}; state_dir on ext4 (virtio disk) or tmpfs; malloc "init": MALLOC_MMAP_THRESHOLD_=${INIT_SCRIPT_ENV.MALLOC_MMAP_THRESHOLD_}, node flags "${INIT_SCRIPT_NODE_FLAGS}" ` +
    `as the init script sets it, "node": node's defaults`);
  console.log('');
  const ms = (v: number) => (Number.isFinite(v) ? Math.round(v) : 'n/a');
  console.log(table(
    ['clients', 'state_dir', 'malloc', 'trap -> first 250 ms', 'trap -> last 250 ms', 'notices/s', 'ms/notice', 'all on disk ms', 'daemon CPU s', 'CPU ms/notice', 'daemon CPU %', 'RSS MiB before -> after (peak)'],
    results.map((r) => [
      r.n, r.fs, r.malloc, ms(r.firstMs), ms(r.lastMs), Math.round(r.n / (r.lastMs / 1000)), (r.lastMs / r.n).toFixed(2),
      r.queuedMs >= 200 ? ms(r.queuedMs) : '< poll',
      r.cpuSeconds.toFixed(2), ((r.cpuSeconds * 1000) / r.n).toFixed(2), Math.round((r.cpuSeconds / (r.sentMs / 1000)) * 100),
      `${mib(r.before.rssKiB)} -> ${mib(r.after.rssKiB)} (${mib(r.after.hwmKiB)})`,
    ]),
  ));
  console.log('');
  console.log(table(
    ['clients', 'state_dir', 'malloc', 'RSS MiB before', 'half sent', 'last 250', `${SETTLE_MS / 1000} s later`, 'peak', 'later: anon', 'later: file', 'later - before'],
    results.map((r) => [
      r.n, r.fs, r.malloc, mib(r.before.rssKiB), mib(r.half.rssKiB), mib(r.after.rssKiB), mib(r.settled.rssKiB), mib(r.settled.hwmKiB),
      mib(r.settled.anonKiB), mib(r.settled.fileKiB), `${r.settled.rssKiB >= r.before.rssKiB ? '+' : ''}${mib(r.settled.rssKiB - r.before.rssKiB)}`,
    ]),
  ));
  if (ceiling.length > 0) {
    const rate = (c: CeilingResult) => c.count / (c.lastMs / 1000);
    const best = Math.max(...ceiling.map(rate));
    console.log('');
    console.log(table(['MTA ceiling: bench/lab-smtp-ceiling.ts (raw SMTP, pipelining) -> same exim', 'connections', 'mails', 'last 250 ms', 'mails/s', 'CPU ms/mail'],
      ceiling.map((c) => [c.connections === ceiling.reduce((a, b) => (rate(b) > rate(a) ? b : a)).connections ? 'ceiling (best)' : '', c.connections, c.count,
        Math.round(c.lastMs), Math.round(rate(c)), ((c.cpuSeconds * 1000) / c.count).toFixed(2)])));
    for (const r of results.filter((x) => x.n >= 1000)) {
      const pace = r.n / (r.lastMs / 1000);
      console.log(`${r.n} clients (${r.fs}): ${Math.round(pace)} notices/s = ${Math.round((pace / best) * 100)} % of the ceiling's ${Math.round(best)} mails/s; ` +
        `at the ceiling's pace ${r.n} would take ${((r.n / best)).toFixed(1)} s`);
    }
  }
  if (peer !== null) {
    console.log('');
    console.log(table(['peer: the same SMTP transport, no engine/outbox/disk', 'mails', 'first 250 ms', 'last 250 ms', 'mails/s', 'ms/mail', 'CPU ms/mail'], [[
      'bench/lab-recovery-peer.ts -> same exim', peer.count, Math.round(peer.firstMs), Math.round(peer.lastMs),
      Math.round(peer.count / (peer.lastMs / 1000)), (peer.lastMs / peer.count).toFixed(2), ((peer.cpuSeconds * 1000) / peer.count).toFixed(2),
    ]]));
  }
  console.log('');
  console.log('(250 times: the daemon\'s outbox ledger, recorded as the SMTP session returns the 250; trap: its arrival on s0 (tcpdump -tt);');
  console.log(' "all on disk": every notice written and fsynced to the outbox, polled over the control socket every 20-100 ms;');
  console.log(' daemon CPU: user+system from /proc/PID/stat between the trap and the last 250 the daemon counted;');
  console.log(' RSS: VmRSS, peak VmHWM, anon/file RssAnon/RssFile of /proc/PID/status)');
  for (const r of skipped) console.log(`skipped: ${r.n} clients (${r.fs}, malloc ${r.malloc}), not enough time left before the ${DEADLINE_MS / 1000} s limit`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

const deadline = setTimeout(() => {
  console.error(`bench/lab-recovery.ts: still running after ${DEADLINE_MS / 1000} s; stopping (the lab is removed on exit)`);
  process.exit(1);
}, DEADLINE_MS);
main().then(() => { clearTimeout(deadline); }, (err: unknown) => {
  console.error(`bench/lab-recovery.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
