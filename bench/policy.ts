// What an operator policy costs: load time (cold: compiling the engine; warm: a reload),
// the memory a loaded policy holds, and the time of one warm hook call next to the daemon's
// default path without a policy. Run: `npx tsx bench/policy.ts [calls]`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Policy } from '../src/policy/policy';
import { sampleClients, sampleNotices, sampleOutages } from '../src/policy/samples';
import type { PolicyClient } from '../src/policy/types';

const CALLS = Number(process.argv[2] ?? 20000);
const RELOADS = 20;

const SOURCE = `
const people = { 'anna-laptop': 'anna', 'bob-pc': 'bob', 'printer-2f': 'office' };
function contactFor(client) {
  const user = client.hostname && people[client.hostname];
  return user ? user + '@example.com' : null;
}
function shouldNotify(outage, client) {
  if (outage.durationSeconds < 120) return false;
  return !(outage.local.hour >= 22 || outage.local.hour < 7);
}
function render(notice) {
  if (notice.kind === 'standin') return { pageText: notice.outage.name + ' is down; we are on it.' };
  return { subject: 'Back: ' + notice.outage.name, body: 'Hello,\\n\\n' + notice.defaults.body };
}
`;
const EMPTY = 'function contactFor(client) { return null; }\n';
const BOMB = "function contactFor(client) { return 'x'.repeat(1e9); }\n";

function perCall(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 500); i++) fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - start) * 1000) / n; // microseconds
}

function rssMiB(): number {
  return process.memoryUsage().rss / 1048576;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-policy-bench-'));
  try {
    const file = join(dir, 'policy.js');
    const emptyFile = join(dir, 'empty.js');
    const bombFile = join(dir, 'bomb.js');
    writeFileSync(file, SOURCE);
    writeFileSync(emptyFile, EMPTY);
    writeFileSync(bombFile, BOMB);
    const quiet = { log: () => {} };

    const rssBefore = rssMiB();
    let start = performance.now();
    const policy = await Policy.load(file, quiet);
    const cold = performance.now() - start;
    const rssLoaded = rssMiB() - rssBefore;

    start = performance.now();
    for (let i = 0; i < RELOADS; i++) (await Policy.load(file, quiet)).dispose();
    const warm = (performance.now() - start) / RELOADS;

    const clients = sampleClients;
    const rows: [string, number][] = [];
    // The daemon without a policy: the optional call short-circuits to the known address.
    const none = null as Policy | null;
    rows.push(['no policy: contact (default path)', perCall(CALLS, (i) => none?.contactFor(clients[i % 3]) ?? clients[i % 3].contact ?? null)]);
    const empty = await Policy.load(emptyFile, quiet);
    rows.push(['contactFor, empty hook (marshalling only)', perCall(CALLS, (i) => empty.contactFor(clients[i % 3]))]);
    rows.push(['contactFor, host-name table', perCall(CALLS, (i) => policy.contactFor(clients[i % 3]))]);
    rows.push(['shouldNotify, length + quiet hours', perCall(CALLS, (i) => policy.shouldNotify(sampleOutages[i % 2], clients[i % 2]))]);
    rows.push(['render, recovery mail', perCall(CALLS, () => policy.render(sampleNotices[0]))]);
    rows.push(['render, stand-in page', perCall(CALLS, () => policy.render(sampleNotices[1]))]);
    const bomb = await Policy.load(bombFile, quiet);
    const bombClient: PolicyClient = { address: '192.0.2.66' };
    // Each call runs out of memory and rebuilds the sandbox on the same instance (no await, so no spare).
    rows.push(['contactFor out of memory + rebuild', perCall(50, () => bomb.contactFor(bombClient))]);
    if (policy.stats().errors !== 0) throw new Error(`bench policy: unexpected failures ${JSON.stringify(policy.stats())}`);

    const line = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value.padStart(12)}`);
    console.log(`policy hooks, ${CALLS} calls each (Node ${process.version}, ${process.arch})`);
    console.log('-'.repeat(57));
    line('load, cold (compile engine + 2 instances)', `${cold.toFixed(1)} ms`);
    line(`load, warm (mean of ${RELOADS} reloads)`, `${warm.toFixed(2)} ms`);
    line('RSS held by one loaded policy (approx.)', `${rssLoaded.toFixed(1)} MiB`);
    console.log('-'.repeat(57));
    line('per call', 'us');
    for (const [label, us] of rows) line(label, us < 1 ? us.toFixed(4) : us.toFixed(2));
    policy.dispose();
    empty.dispose();
    bomb.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
