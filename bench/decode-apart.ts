// Decode + engine and node-pcap's decoder timed each in a process of its own (bench/decode-contender.ts),
// rounds taken in turn. In one process the same engine, bundled twice from the same source and
// fed the same capture, measured 251 and 497 CPU ns/packet in one run: what V8 compiled for one
// copy and the garbage the other left behind (node-pcap makes ~1 KB per packet) moved each
// contender's rounds between two levels, so the pairing compared those levels, not the code.
// Here every contender has its own heap, compiler state and collector: it pays for its own
// garbage and nobody else's. Only one runs at a time, and they take turns, so all see the
// same machine load.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { IpAddress } from '../src/net/ip';
import type { SyntheticCapture } from './decode';

/** What a contender process is to time. */
export type ContenderSpec =
  | { kind: 'engine'; name: string; /** The tree its src/ is bundled from. */ root: string; routerAddresses: { address: IpAddress; mac: number }[] }
  | { kind: 'decoder'; name: string; /** The tree its src/packet is bundled from; observations go nowhere. */ root: string }
  | { kind: 'node-pcap'; name: string };

/** Parent -> contender. */
export type ToContender = { prepare: ContenderSpec; capturePath: string; warmup: number } | { round: true };
/** Contender -> parent: ready after the warm-up rounds, then one reply per round. */
export type FromContender =
  | { ready: true }
  | { cpuNs: number; decisions: number }
  | { error: string };

export interface ApartResult {
  name: string;
  /** Median CPU ns per packet over the rounds. */
  cpu: number;
  /** Decisions the engine made per round (the same capture: the same for equal code); 0 without an engine. */
  decisions: number;
}

const CONTENDER = join(__dirname, 'decode-contender.ts');
/** Rounds each contender runs before the timed ones (JIT warm-up, first page faults). */
export const WARMUP_ROUNDS = 2;

export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/**
 * Each of `specs` in its own process over `capture`: `warmup` rounds each, then `rounds` rounds
 * taken in turn, the order rotated every round. The median CPU ns per packet of each.
 */
export async function pairApart(capture: SyntheticCapture, specs: ContenderSpec[], rounds: number, warmup = WARMUP_ROUNDS): Promise<ApartResult[]> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bs-bench-decode-'));
  const children: Contender[] = [];
  try {
    const capturePath = join(dir, 'capture');
    writeFileSync(capturePath, serialize(capture));
    for (const spec of specs) children.push(new Contender(spec));
    for (const child of children) await child.ask({ prepare: child.spec, capturePath, warmup });
    const cpu: number[][] = specs.map(() => []);
    const decisions: number[] = specs.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < children.length; turn++) {
        const i = (round + turn) % children.length;
        const reply = await children[i].ask({ round: true });
        if (!('cpuNs' in reply)) throw new Error(`${specs[i].name}: no timing in its reply`);
        cpu[i].push(reply.cpuNs / capture.offsets.length);
        decisions[i] = reply.decisions;
      }
    }
    return specs.map((spec, i) => ({ name: spec.name, cpu: median(cpu[i]), decisions: decisions[i] }));
  } finally {
    for (const child of children) child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One contender process, asked one thing at a time. */
class Contender {
  private readonly process: ChildProcess;
  private pending: { resolve: (m: FromContender) => void; reject: (e: Error) => void } | null = null;
  private exited: string | null = null;

  constructor(readonly spec: ContenderSpec) {
    // Its own node, started as this one was (tsx's loader included), with the advanced
    // serialisation so that addresses' byte arrays cross as they are.
    this.process = fork(CONTENDER, [], { execArgv: process.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (m: FromContender) => {
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      if ('error' in m) p.reject(new Error(`${spec.name}: ${m.error}`));
      else p.resolve(m);
    });
    this.process.on('exit', (code, signal) => {
      this.exited = `${spec.name}: its process ended (${signal ?? `exit ${code}`})`;
      this.pending?.reject(new Error(this.exited));
      this.pending = null;
    });
  }

  ask(message: ToContender): Promise<FromContender> {
    if (this.exited !== null) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.process.send(message);
    });
  }

  stop(): void {
    if (this.exited === null) this.process.kill('SIGKILL');
  }
}
