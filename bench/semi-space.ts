// What a smaller young generation costs the capture path: decode + engine (bundled, as it ships;
// decisions as objects handed to a listener, as the daemon takes them) over the synthetic
// captures of bench/decode.ts, in child processes started with each set of node flags, the
// order rotated round by round. Each child reports CPU ns/packet (median of its rounds) and the
// scavenges and full collections V8 ran while it decoded (count and ms, from the gc entries of
// perf_hooks). Run: `npx tsx bench/semi-space.ts [packets]`; BENCH_FLAGS (default
// ",--max-semi-space-size=1,--max-semi-space-size=2,--max-semi-space-size=4"; "" is node's
// defaults), BENCH_ROUNDS (default 5 children per flag set). Figures: docs/PERFORMANCE.md.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { buildSyntheticCapture, loadBundled, REALISTIC_MIX, timeDecoder, type SyntheticCapture } from './decode';
import type { Engine, EngineOptions } from '../src/engine/engine';
import type { FrameDecoder } from '../src/packet/dispatch';

type EngineCode = { Engine: typeof Engine; defaultEngineOptions: EngineOptions; FrameDecoder: typeof FrameDecoder };
const ENGINE_ENTRY = "export { Engine, defaultEngineOptions } from './src/engine/engine'; export { FrameDecoder } from './src/packet/dispatch';";

interface ChildResult { cpuNs: Record<string, number>; scavenges: number; scavengeMs: number; fullGcs: number; fullGcMs: number; decisions: number }

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const cpuSeconds = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function child(packets: number): void {
  const code = loadBundled<EngineCode>(ENGINE_ENTRY);
  const captures: [string, SyntheticCapture][] = [
    ['worst case (IPv4)', buildSyntheticCapture({ packets })],
    ['realistic mix', buildSyntheticCapture({ packets, mix: REALISTIC_MIX })],
  ];
  let decisions = 0;
  const listener = (d: object): void => { if (d !== null) decisions++; };
  const gc = { scavenges: 0, scavengeMs: 0, fullGcs: 0, fullGcMs: 0 };
  // Entries reach the observer late and in batches: each is counted by when it started, inside
  // one of the timed rounds (performance.now() windows) or not at all.
  const windows: [number, number][] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!windows.some(([a, b]) => e.startTime >= a && e.startTime < b)) continue;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) { gc.scavenges++; gc.scavengeMs += e.duration; } else { gc.fullGcs++; gc.fullGcMs += e.duration; }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Warm-up: one round of each, not counted.
  for (const [, capture] of captures) timeDecoder(capture, () => new code.Engine(code.defaultEngineOptions, listener), 1, '', code.FrameDecoder);
  const cpuNs: Record<string, number> = {};
  for (const [name, capture] of captures) {
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const engine = new code.Engine(code.defaultEngineOptions, listener);
      const c0 = cpuSeconds();
      const w0 = performance.now();
      timeDecoder(capture, engine, 1, name, code.FrameDecoder);
      windows.push([w0, performance.now()]);
      rounds.push(((cpuSeconds() - c0) * 1e9) / capture.offsets.length);
    }
    cpuNs[name] = median(rounds);
  }
  // gc entries arrive asynchronously: give them a turn before reporting.
  setTimeout(() => {
    observer.disconnect();
    gc.scavengeMs /= 6; gc.fullGcMs /= 6; gc.scavenges /= 6; gc.fullGcs /= 6;
    const result: ChildResult = { cpuNs, ...gc, decisions };
    process.stdout.write(JSON.stringify(result) + '\n');
  }, 100);
}

function main(): void {
  const packets = Number(process.argv[2] ?? 500_000);
  const flagSets = (process.env.BENCH_FLAGS ?? ',--max-semi-space-size=1,--max-semi-space-size=2,--max-semi-space-size=4').split(',');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  process.stdout.write(`load average at start: ${load()}\n`);
  const results: ChildResult[][] = flagSets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < flagSets.length; turn++) {
      const i = (round + turn) % flagSets.length;
      const flags = flagSets[i] === '' ? [] : flagSets[i].split(' ');
      const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', __filename, 'child', String(packets)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      results[i].push(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
    }
  }
  const names = Object.keys(results[0][0].cpuNs);
  const base = names.map((n) => median(results[0].map((r) => r.cpuNs[n])));
  const head = ['node flags', ...names.flatMap((n) => [`${n} CPU ns/pkt`, 'vs first']), 'scavenges/round', 'scavenge ms/round', 'full GCs/round', 'full GC ms/round'];
  const rows = flagSets.map((f, i) => {
    const rs = results[i];
    return [f === '' ? "(node's defaults)" : f,
      ...names.flatMap((n, k) => { const v = median(rs.map((r) => r.cpuNs[n])); return [v.toFixed(1), `${((v / base[k] - 1) * 100).toFixed(1)} %`]; }),
      median(rs.map((r) => r.scavenges)).toFixed(1), median(rs.map((r) => r.scavengeMs)).toFixed(1),
      median(rs.map((r) => r.fullGcs)).toFixed(1), median(rs.map((r) => r.fullGcMs)).toFixed(1)];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  process.stdout.write(`decode + engine (decision objects), ${packets} packets per capture, 3 rounds per child after a warm-up, ` +
    `${rounds} children per flag set taken in turn (medians; GC: what started inside the 6 timed rounds, per round):\n`);
  process.stdout.write([line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n');
  process.stdout.write(`decisions per child: ${results[0][0].decisions}; load average at end: ${load()}\n`);
}

if (process.argv[2] === 'child') child(Number(process.argv[3]));
else main();
