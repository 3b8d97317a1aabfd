// The outbox alone, as a 10,000-notice recovery uses it: N messages queued at once (batch files
// with one fsync each), each read back from its file and handed to a channel that answers "sent"
// at once, 40 attempts in flight as the mail channel has; CPU time of the whole process (user +
// system: libuv's threads do the file work) per message. Next to it, in the same run, the disk
// work any outbox needs: the same lines written as the same batch files through the same durable
// write, and read once per file. Each round uses a fresh directory on the disk of os.tmpdir()
// (BENCH_OUTBOX_DIR to choose another); rounds take turns.
//   npx tsx bench/outbox.ts                 (BENCH_OUTBOX_N, default 10000; BENCH_ROUNDS, default 5)
//   BENCH_OUTBOX_OTHER=/path/to/other/checkout npx tsx bench/outbox.ts   (its outbox too, same run)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileDurably } from '../src/disk/durable-write';
import { loadAverage, machineLine, table } from './lab-proc';

const N = Number(process.env.BENCH_OUTBOX_N ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BASE = process.env.BENCH_OUTBOX_DIR ?? tmpdir();
const BATCH = 256;
const IN_FLIGHT = 20;

/** A mail notice's payload, about the size the daemon queues (rendered text and envelope). */
function payload(i: number): unknown {
  return {
    to: `client${i}@example.test`, from: 'router@example.test',
    subject: 'Server failure recovery notice: www.example.test (198.51.100.10)',
    text: `Server: www.example.test (198.51.100.10)\nYour address: 198.18.${i >> 8}.${i & 255}\n${'The server answers again. '.repeat(40)}`,
  };
}

interface OutboxLike {
  registerChannel(name: string, handler: { concurrency: number; send(p: unknown): Promise<{ status: 'sent' }> }): void;
  enqueue(channel: string, key: string, payload: unknown): Promise<unknown>;
  settled(): Promise<void>;
  stats(): { sent: number };
  close(): Promise<void>;
}

async function outboxRound(root: string): Promise<number> {
  const mod = await import(join(root, 'src/notify/outbox/outbox')) as { Outbox: { open(o: { dir: string; log: () => void }): Promise<OutboxLike> } };
  const dir = mkdtempSync(join(BASE, 'bs-bench-outbox-'));
  try {
    const outbox = await mod.Outbox.open({ dir, log: () => {} });
    let sent = 0;
    let allSent: () => void = () => {};
    const done = new Promise<void>((r) => { allSent = r; });
    outbox.registerChannel('mail', { concurrency: IN_FLIGHT, send: async () => { if (++sent === N) allSent(); return { status: 'sent' }; } });
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: N }, (_, i) => outbox.enqueue('mail', `k${i}`, payload(i))));
    await done;
    await outbox.settled();
    const used = process.cpuUsage(before);
    await outbox.close();
    return (used.user + used.system) / N;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function peerRound(): Promise<number> {
  const dir = mkdtempSync(join(BASE, 'bs-bench-outbox-peer-'));
  try {
    const before = process.cpuUsage();
    const lines = Array.from({ length: N }, (_, i) => `${JSON.stringify({ v: 2, id: `m${i}`, channel: 'mail', key: `k${i}`, createdAt: Date.now(), payload: payload(i) })}\n`);
    for (let b = 0; b * BATCH < N; b++) {
      const file = join(dir, `b${b}.jsonl`);
      await writeFileDurably(file, lines.slice(b * BATCH, (b + 1) * BATCH), { tmp: `${file}.tmp` });
      readFileSync(file, 'utf8');
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / N;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const builds: [string, string][] = [['this', resolve(__dirname, '..')]];
  if (process.env.BENCH_OUTBOX_OTHER) builds.push(['other', resolve(process.env.BENCH_OUTBOX_OTHER)]);
  console.log(`${N} messages, batches of ${BATCH}, ${IN_FLIGHT} in flight, ${ROUNDS} rounds in turn, directory under ${BASE}`);
  console.log(`machine: ${machineLine()}`);
  const results = new Map<string, number[]>();
  const names = [...builds.map(([n]) => `outbox (${n})`), 'peer: the batch files written durably and read once'];
  for (const n of names) results.set(n, []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, root] of builds) results.get(`outbox (${name})`)!.push(await outboxRound(root));
    results.get(names[names.length - 1])!.push(await peerRound());
  }
  const peer = median(results.get(names[names.length - 1])!);
  console.log(table(['', 'CPU us/message (median)', 'range', 'x peer'], names.map((n) => {
    const v = results.get(n)!;
    return [n, median(v).toFixed(1), `${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)}`, (median(v) / peer).toFixed(2)];
  })));
  console.log(`load average at the end: ${loadAverage()}`);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
