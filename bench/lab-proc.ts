// What the live-router benchmarks read about processes and print: memory and CPU time from
// /proc, the daemon's status over its control socket, and markdown tables.
import { readFileSync } from 'node:fs';
import { controlRequest } from '../src/control/socket';
import type { StatusReport } from '../src/control/status';

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface ProcMemory {
  /** Resident set now and its peak, KiB. */
  rssKiB: number;
  hwmKiB: number;
  /** The resident set split: anonymous (heaps, malloc) and file-backed (node's binary, libraries). */
  anonKiB: number;
  fileKiB: number;
}

/** The "Name:   N kB" line of a /proc/PID/status text, KiB; NaN when there is none. */
function statusKiB(statusText: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(statusText)?.[1] ?? NaN);
}

export function procMemory(pid: number): ProcMemory {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const kib = statusKiB(text, name);
    if (Number.isNaN(kib)) throw new Error(`/proc/${pid}/status has no ${name} line; is ${pid} a live process?`);
    return kib;
  };
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM'), anonKiB: field('RssAnon'), fileKiB: field('RssFile') };
}

/**
 * The node flags board/openwrt/files/etc/init.d/backsoon starts the daemon with. The benches pass
 * them as NODE_OPTIONS (the same to the daemon); BENCH_DAEMON_NODE_FLAGS replaces them, '' for none.
 */
export const INIT_SCRIPT_NODE_FLAGS = process.env.BENCH_DAEMON_NODE_FLAGS ?? '--max-semi-space-size=1';

/** What board/openwrt/files/etc/init.d/backsoon puts in the daemon's environment for its memory. */
export const INIT_SCRIPT_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  ...(INIT_SCRIPT_NODE_FLAGS === '' ? {} : { NODE_OPTIONS: INIT_SCRIPT_NODE_FLAGS }),
};

/** Resident memory by kind, KiB, from the text of a /proc/PID/status (read here or inside a VM). */
export interface StatusMemory { rss: number; anon: number; file: number; shmem: number }

export function statusMemory(statusText: string): StatusMemory {
  const kib = (name: string) => statusKiB(statusText, name);
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem') };
}

/** User + system CPU seconds the process has used so far. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}

/** `backsoon status --json`, asked over the control socket directly (no CLI process). */
export async function daemonStatus(socket: string, timeoutMs = 10_000): Promise<StatusReport> {
  const answer = await controlRequest(socket, { cmd: 'status' }, timeoutMs) as StatusReport & { error?: string };
  if (answer.error !== undefined) throw new Error(`status over ${socket}: ${answer.error}`);
  return answer;
}

/** ms for a ping over the control socket: how long the daemon's event loop takes to answer. */
export async function pingMs(socket: string, timeoutMs = 10_000): Promise<number> {
  const start = process.hrtime.bigint();
  await controlRequest(socket, { cmd: 'ping' }, timeoutMs);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A markdown table; numbers right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_h, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[\d.,%+-]+( ?[a-zA-Z/µ%]+)?$/.test(String(r[i]))));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => (numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join(' | ')} |`;
  return [
    line(head),
    `|${width.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2 });
}

/** The 1, 5 and 15 minute load averages, "1.20 0.80 0.50". */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** The machine a figure was measured on, for the header of each table. */
export function machineLine(): string {
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 0;
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return `${cpus} cores (${model}), Linux ${kernel}, node ${process.version}, load average at start ${loadAverage()}`;
}
