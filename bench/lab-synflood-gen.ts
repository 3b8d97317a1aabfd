// The SYN flood generator of bench/lab-synflood.ts, run INSIDE the lab's client namespace (it
// refuses to start elsewhere). It writes whole Ethernet frames with libpcap's inject (node-pcap)
// onto the client's interface: TCP SYNs to one server port from many spoofed client addresses,
// each frame a new flow (address, source port), so every SYN is new to the router.
//
// Driven over stdin so that one process (one frame pool, one warm JIT) serves every rate:
//   stdin:  "RATE SECONDS\n"   -> sends RATE SYNs/s for SECONDS
//   stdout: {"ready":true,"flows":N} at start, then per step
//           {"rate":R,"seconds":S,"sent":N,"elapsed":E,"failed":F}
// Usage (in the namespace): node --import tsx bench/lab-synflood-gen.ts IFACE SRC_MAC DST_MAC
//   SERVER PORT CIDR[,CIDR...] EXCLUDE[,EXCLUDE...]|- [FLOWS]
// EXCLUDE: source addresses not to use (the router's own: its SYNs are not clients').
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { formatIPv4, parseIPv4 } from '../src/net/ipv4';
import { ETHERTYPE_IPV4 } from '../src/packet/ethernet';
import * as g from '../src/packet/generate';

/** Pacing slice: at most this long between two looks at the clock (bursts stay small). */
const SLICE_MS = 0.1;
/** Frames sent between two looks at the clock. */
const CHECK_EVERY = 8;

interface Step {
  rate: number;
  seconds: number;
  sent: number;
  elapsed: number;
  failed: number;
}

function usage(why: string): never {
  process.stderr.write(`lab-synflood-gen: ${why}\nusage: lab-synflood-gen.ts IFACE SRC_MAC DST_MAC SERVER PORT CIDR[,CIDR...] EXCLUDE[,EXCLUDE...]|- [FLOWS]\n`);
  process.exit(2);
}

/** Host addresses of a /24 or larger prefix: no network or broadcast address. */
function hostsOf(cidr: string, skip: ReadonlySet<number>): number[] {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const base = m ? parseIPv4(m[1]) : null;
  const len = m ? Number(m[2]) : NaN;
  if (base === null || !(len >= 16 && len <= 30)) usage(`source prefix '${cidr}': give a.b.c.d/16 .. /30`);
  const size = 2 ** (32 - len);
  const out: number[] = [];
  for (let i = 1; i < size - 1; i++) {
    const a = (base + i) >>> 0;
    if (!skip.has(a)) out.push(a);
  }
  return out;
}

/** The network namespace we run in, by name ('' outside any named one). */
function namespaceName(): string {
  try {
    return execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function main(): void {
  const [iface, srcMac, dstMac, server, portText, cidrs, exclude, flowsText] = process.argv.slice(2);
  if (!exclude) usage('missing arguments');
  const ns = namespaceName();
  if (!/^bs-[a-z0-9-]+-c[0-9]*$/.test(ns)) usage(`run me inside a lab's client namespace (ip netns exec bs-TAG-c ...), not in '${ns || 'the host'}': I send spoofed traffic`);
  const port = Number(portText);
  const skip = new Set<number>([g.ip(server), ...exclude.split(',').filter((a) => a !== '-').map((a) => g.ip(a))]);
  const sources = cidrs.split(',').flatMap((c) => hostsOf(c, skip));
  const flows = Number(flowsText ?? 131072);
  if (!(flows >= 1 && flows <= 1 << 20)) usage(`FLOWS '${flowsText}': 1 .. 1048576`);

  // One pool of frames, built once; walking it in order, every address comes back only after
  // all the others, with the next source port.
  const frames: Buffer[] = [];
  for (let i = 0; i < flows; i++) {
    const client = sources[i % sources.length];
    const sport = 1024 + Math.floor(i / sources.length) % 64000;
    const seq = (Math.imul(i + 1, 2654435761) >>> 0);
    const frame = g.ethernet({ src: srcMac, dst: dstMac }, ETHERTYPE_IPV4,
      g.tcpSyn({ client, server, cport: sport, sport: port, seq }));
    frames.push(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  // Why require: the native binding, loaded the way the daemon loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pcap = require('pcap') as typeof import('pcap');
  // A session only to write with: its filter takes nothing ("less 1": no frame is that short).
  const session = pcap.createSession(iface, { filter: 'less 1', buffer_timeout: 0, snap_length: 64, buffer_size: 1 << 16 });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let next = 0;

  const run = (rate: number, seconds: number): Step => {
    const total = Math.round(rate * seconds);
    const start = process.hrtime.bigint();
    let sent = 0;
    let failed = 0;
    while (sent < total) {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      const due = Math.min(total, Math.floor(elapsed * rate) + 1);
      if (sent >= due) {
        Atomics.wait(sleeper, 0, 0, SLICE_MS);
        continue;
      }
      const burst = Math.min(due, sent + CHECK_EVERY);
      while (sent < burst) {
        try {
          session.inject(frames[next]);
        } catch {
          failed++; // the socket's send buffer was full: counted, not retried
        }
        next = next + 1 === frames.length ? 0 : next + 1;
        sent++;
      }
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    return { rate, seconds, sent, elapsed, failed };
  };

  process.stdout.write(`${JSON.stringify({ ready: true, flows, sources: sources.length, first: formatIPv4(sources[0]), last: formatIPv4(sources[sources.length - 1]) })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [r, s] = line.trim().split(/\s+/).map(Number);
    if (!(r > 0 && r <= 5_000_000 && s > 0 && s <= 60)) {
      process.stdout.write(`${JSON.stringify({ error: `bad step '${line}': RATE (1..5000000) SECONDS (<= 60)` })}\n`);
      return;
    }
    process.stdout.write(`${JSON.stringify(run(r, s))}\n`);
  });
  lines.on('close', () => process.exit(0));
}

main();
