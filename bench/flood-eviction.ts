// The spoofed SYN flood of the engine's eviction rule, replayed through the real engine (no
// capture): 550,000 SYNs from 524,288 forged sources to a silent server, after one client tried
// it and while two clients the router knows (a neighbour binding, a configured contact) try
// (test/unit/synflood-replay.ts). Rows: the forged sources inside the client network (eviction
// order is what protects), and outside it (the network filter refuses them: the cheapest path,
// the peer for the cost per SYN of the first row).
// BENCH_FLOOD_REPLAY_SYNS overrides the number of SYNs.
import { parseIPv4 } from '../src/net/ipv4';
import { ISSUE_FLOOD, replaySynFlood, type FloodSpec } from '../test/unit/synflood-replay';
import { machineLine, table } from './lab-proc';

const syns = Number(process.env.BENCH_FLOOD_REPLAY_SYNS ?? ISSUE_FLOOD.syns);
const rows: (string | number)[][] = [];
const yes = (b: boolean) => (b ? 'yes' : 'no');

function row(name: string, spec: FloodSpec): void {
  replaySynFlood({ ...spec, syns: Math.min(spec.syns, 50_000) }); // warm the JIT on the same code
  const r = replaySynFlood(spec);
  const c = r.engine.counters;
  rows.push([name, spec.syns, yes(r.told.has('10.15.255.1')), yes(r.told.has('10.15.255.2')), yes(r.told.has('10.15.255.3')),
    r.waitingBeforeRecovery, c.evicted.unverified, c.evicted.verified, c.refusedOffNetwork, r.engine.syns.overflows, Math.round(r.nsPerSyn)]);
}

console.log(`machine: ${machineLine()}`);
row('forged sources in the client network', { ...ISSUE_FLOOD, syns });
row('forged sources outside it', { ...ISSUE_FLOOD, syns, firstSource: parseIPv4('172.16.0.0')! });
console.log(table(
  ['flood', 'SYNs', 'pre-flood told', 'bound told', 'contact told', 'waiting', 'evicted unverified', 'evicted verified', 'refused off-network', 'pending overflows', 'ns/SYN'],
  rows,
));
