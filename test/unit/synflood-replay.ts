// A generated spoofed SYN flood replayed through the real engine (no capture, no clock): a
// client tries a silent server before the flood, two clients the router knows (one bound by its
// neighbour table, one with a configured contact) try during it, the flood's forged sources
// overflow the server's list, then the server answers a SYN (SYN/ACK). Decisions go to a numeric
// sink that only counts, so half a million of them allocate nothing.
import { parseIPv4 } from '../../src/net/ipv4';
import { ipFromV4, parseIpPrefix } from '../../src/net/ip';
import type { DecisionSink, WaitingDevice } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions } from '../../src/engine/engine';

const ip = (s: string): number => parseIPv4(s)!;
export const FLOOD_SERVER = ip('198.51.100.10');
/** The client network: a /12 holds every forged source of the flood below. */
export const FLOOD_LAN = '10.0.0.0/12';
export const PRE_FLOOD_CLIENT = ip('10.15.255.1');
export const BOUND_CLIENT = ip('10.15.255.2');
export const CONTACT_CLIENT = ip('10.15.255.3');
const CLIENT_MAC = 0x02005e000001;

export interface FloodSpec {
  readonly syns: number;
  readonly sources: number;
  /** First address of the forged sources (consecutive from there). */
  readonly firstSource: number;
  /** Seconds the flood lasts (it begins 1 s after the pre-flood client's SYN). */
  readonly seconds: number;
  /** The client networks option (empty: every client). */
  readonly clientNetworks: readonly string[];
}

export const ISSUE_FLOOD: FloodSpec = {
  syns: 550_000, sources: 524_288, firstSource: ip('10.0.0.0'), seconds: 60, clientNetworks: [FLOOD_LAN],
};

export interface FloodResult {
  /** Clients told at recovery, as dotted quads. */
  told: Set<string>;
  expired: number;
  engine: Engine;
  /** Nanoseconds spent in the engine per flood SYN. */
  nsPerSyn: number;
  /** Clients waiting just before recovery. */
  waitingBeforeRecovery: number;
}

export function replaySynFlood(spec: FloodSpec): FloodResult {
  const told = new Set<string>();
  let expired = 0;
  let engine: Engine | null = null;
  const sink: DecisionSink = {
    down() {}, attempt() {}, recovered() {}, evicted() {},
    notify(_t: number, _s: number, _since: number, d: WaitingDevice) {
      for (let i = 0; i < d.count; i++) told.add(engine!.pool.format(d.addresses[i]));
    },
    expired() { expired++; },
  };
  engine = new Engine({
    ...defaultEngineOptions,
    clientNetworks: spec.clientNetworks.map((n) => parseIpPrefix(n)!),
  }, sink);
  engine.contacts.set({ client: ipFromV4(CONTACT_CLIENT) }, { mail: 'carol@example.org', registeredAt: 0, source: 'config' });
  engine.bound(0, ipFromV4(BOUND_CLIENT));

  engine.syn(0, PRE_FLOOD_CLIENT, FLOOD_SERVER, 40000, 80, 1, CLIENT_MAC);
  const start = process.hrtime.bigint();
  const step = spec.seconds / spec.syns;
  for (let i = 0; i < spec.syns; i++) {
    const t = 1 + i * step;
    const source = (spec.firstSource + (Math.imul(i, 2654435761) >>> 0) % spec.sources) >>> 0;
    engine.syn(t, source, FLOOD_SERVER, 1024 + (i & 0x7fff), 80, i, 0x02aa00000000 + (i & 0xffff));
    if (i === spec.syns >> 1) {
      engine.syn(t, BOUND_CLIENT, FLOOD_SERVER, 40001, 80, 2, CLIENT_MAC + 1);
      engine.syn(t, CONTACT_CLIENT, FLOOD_SERVER, 40002, 80, 3, CLIENT_MAC + 2);
    }
  }
  const nsPerSyn = Number(process.hrtime.bigint() - start) / spec.syns;
  const end = 1 + spec.seconds;
  engine.tick(end + defaultEngineOptions.synTimeout);
  const waitingBeforeRecovery = engine.outages.linkCount;
  engine.synAck(end + 40, FLOOD_SERVER, ip('10.15.255.9'), 80, 40009, 1);
  return { told, expired, engine, nsPerSyn, waitingBeforeRecovery };
}
