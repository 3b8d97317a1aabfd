// The state file at 64 k waiting clients: how long the event loop stands still while the daemon
// writes it (src/control/snapshot.ts), next to a plain JSON.stringify + writeFileSync of the same
// state in the same run. A 1 ms interval timer measures the loop: its largest gap, and the
// loop-delay histogram of perf_hooks. The state dir is a temp dir on the disk that holds
// os.tmpdir() (BENCH_SNAPSHOT_DIR to choose another, e.g. a flash mount).
//   npx tsx bench/snapshot.ts
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SnapshotStore } from '../src/control/snapshot';
import { defaultEngineOptions, Engine } from '../src/engine/engine';
import { exportState, importState, StateCopy, type EngineState } from '../src/engine/state';
import { formatIPv4, parseIPv4 } from '../src/net/ipv4';

const LINKS = 65_536;
const SERVERS = 16;
const ROUNDS = 5;

function engineWithLinks(): Engine {
  const engine = new Engine({
    ...defaultEngineOptions, maxServers: 256, maxLinks: LINKS, maxLinksPerServer: LINKS, maxContacts: LINKS,
  }, () => {});
  const now = Date.now() / 1000;
  const base = parseIPv4('10.0.0.0')!;
  const outages: EngineState['outages'] = [];
  for (let s = 0; s < SERVERS; s++) {
    const clients = [];
    for (let i = 0; i < LINKS / SERVERS; i++) {
      clients.push({ client: formatIPv4((base + s * (LINKS / SERVERS) + i + 1) >>> 0), firstAttempt: now - 120, lastAttempt: now - 60 });
    }
    outages.push({ server: `198.51.100.${s + 10}`, state: 'down', since: now - 300, cause: 'syn-timeout', clients } as EngineState['outages'][number]);
  }
  const contacts = [];
  for (let i = 0; i < LINKS; i++) {
    contacts.push({ client: formatIPv4((base + i + 1) >>> 0), mail: `c${i + 1}@example.test`, registeredAt: now - 600, source: 'page' as const });
  }
  importState(engine, { version: 1, savedAt: now, outages, contacts }, now);
  if (engine.outages.linkCount !== LINKS) throw new Error(`bench/snapshot.ts: ${engine.outages.linkCount} links restored, not ${LINKS}`);
  return engine;
}

interface Loop {
  stop(): { maxGapMs: number; p99Ms: number; maxDelayMs: number };
}

function watchLoop(): Loop {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      maxGap = Math.max(maxGap, performance.now() - last);
      return { maxGapMs: maxGap, p99Ms: histogram.percentile(99) / 1e6, maxDelayMs: histogram.max / 1e6 };
    },
  };
}

interface Row { name: string; wallMs: number[]; maxGapMs: number[]; p99Ms: number[]; bytes: number }

async function measure(name: string, write: () => Promise<void> | void, file: string): Promise<Row> {
  const row: Row = { name, wallMs: [], maxGapMs: [], p99Ms: [], bytes: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    await new Promise((res) => setTimeout(res, 50));
    const loop = watchLoop();
    await new Promise((res) => setTimeout(res, 20)); // the timer runs before the write starts
    const start = performance.now();
    await write();
    const wall = performance.now() - start;
    await new Promise((res) => setTimeout(res, 5));
    const l = loop.stop();
    row.wallMs.push(wall);
    row.maxGapMs.push(l.maxGapMs);
    row.p99Ms.push(l.p99Ms);
  }
  row.bytes = statSync(file).size;
  return row;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_SNAPSHOT_DIR ?? tmpdir(), 'bs-bn-snapshot-'));
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  try {
    const engine = engineWithLinks();
    const store = new SnapshotStore({
      dir, minIntervalSeconds: 5, produce: () => new StateCopy(engine, Date.now() / 1000, {}),
      log: (level, msg) => { if (level === 'error') throw new Error(msg); },
    });
    const rows: Row[] = [];
    rows.push(await measure('backsoon SnapshotStore.flush()', async () => {
      store.markDirty();
      await store.flush();
    }, store.file));
    const plain = join(dir, 'plain.json');
    rows.push(await measure('peer: JSON.stringify + writeFileSync (no fsync)', () => {
      writeFileSync(plain, JSON.stringify(exportState(engine, Date.now() / 1000)));
    }, plain));
    console.log(`State file of ${LINKS} waiting clients (${SERVERS} servers) and ${LINKS} contacts; ${ROUNDS} writes each, medians`);
    console.log(`load average at start: ${load}; state dir ${dir}`);
    console.log('');
    console.log('| write | file MiB | wall ms | longest event-loop stall ms | loop delay p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${(r.bytes / 1048576).toFixed(1)} | ${median(r.wallMs).toFixed(0)} | ${median(r.maxGapMs).toFixed(1)} | ${median(r.p99Ms).toFixed(1)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(`bench/snapshot.ts: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
