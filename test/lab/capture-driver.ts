// A child process for capture.test.ts and probes.test.ts, run inside the lab's router namespace
// (ip netns exec bs-TAG-r node --import tsx test/lab/capture-driver.ts 'JSON'): the live inputs
// (capture, neighbour monitor, prober) wired to a real Engine, printing one JSON line per
// decision and a few other events. Commands arrive as JSON lines on stdin.
//   out: {"event":"ready"}  a decision (+ "wall": Unix seconds when printed)
//        {"event":"syn-seen","t","client","server","sport","dport"} the first SYN of each connection
//        {"event":"stats",...}  {"event":"probeOnce","server","result"}
//        {"event":"error","message"} and exit 2 when the inputs cannot start
//   in:  {"cmd":"stats"}  {"cmd":"probeOnce","server":"198.51.100.10"}
import { createInterface } from 'node:readline';
import type { ProbeSpec, ServerConfig } from '../../src/config/types';
import { formatIPv4, parseIPv4, parsePrefix, type Prefix } from '../../src/net/ipv4';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { ForwardingObservations } from '../../src/net/observations';
import { LiveCapture } from '../../src/capture/live';
import { NeighbourMonitor } from '../../src/capture/neighbours';
import { ArpReplyWatch } from '../../src/capture/probe-arp';
import { Prober } from '../../src/capture/probes';

export interface DriverConfig {
  /** Capture sessions (empty lists: no capture). */
  clientInterfaces: string[];
  serverInterfaces: string[];
  /** Devices of the neighbour monitor; null: no monitor. */
  neighbourDevices: string[] | null;
  /** Server-side interfaces the prober may use for arp/neigh. */
  probeInterfaces: string[];
  servers: { address: string; probe: ProbeSpec[] }[];
  networks: string[];
  /** Seconds between probe rounds; null: no periodic probing (probeOnce still works). */
  probeInterval: number | null;
  synTimeout: number;
  arpRetries: number;
}

const out = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

/** Reports the first SYN of each connection (not its retransmissions), and passes every observation on. */
class FirstSynReport extends ForwardingObservations {
  private readonly seen = new Set<string>();
  override syn(t: number, client: number, server: number, sport: number, dport: number, seq: number, mac: number): void {
    const key = `${client}:${sport}>${server}:${dport}`;
    if (!this.seen.has(key)) { this.seen.add(key); out({ event: 'syn-seen', t, client: formatIPv4(client), server: formatIPv4(server), sport, dport }); }
    super.syn(t, client, server, sport, dport, seq, mac);
  }
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '') as DriverConfig;
  const addr = (text: string): number => {
    const a = parseIPv4(text);
    if (a === null) throw new Error(`capture-driver: '${text}' is not an IPv4 address`);
    return a;
  };
  const servers: ServerConfig[] = config.servers.map((s) => ({
    section: s.address, name: s.address, address: addr(s.address), agentAddresses: [], notify: ['direct'],
    mailbox: null, probe: s.probe, standin: false, standinPorts: [80],
  }));
  const networks = config.networks.map((n) => parsePrefix(n) as Prefix);
  const engine = new Engine(
    { ...defaultEngineOptions, synTimeout: config.synTimeout, arpRetries: config.arpRetries, servers: servers.map((s) => s.address), networks },
    (d) => out({ ...d, wall: Date.now() / 1000 }),
  );
  const log = (level: string, message: string): void => { if (level !== 'debug') out({ event: 'log', level, message }); };

  const tap = new ArpReplyWatch(engine);
  const sink = new FirstSynReport(() => tap);

  let capture: LiveCapture | null = null;
  try {
    if (config.clientInterfaces.length + config.serverInterfaces.length > 0) {
      capture = LiveCapture.open(sink, {
        clientInterfaces: config.clientInterfaces, serverInterfaces: config.serverInterfaces,
        scope: { servers: servers.map((s) => s.address), networks }, log,
      });
    }
  } catch (err) {
    out({ event: 'error', message: (err as Error).message });
    process.exit(2);
  }
  const monitor = config.neighbourDevices === null ? null
    : new NeighbourMonitor({ target: engine, devices: config.neighbourDevices, log });
  monitor?.start();
  const prober = new Prober({
    engine, interval: config.probeInterval ?? 1, servers, serverInterfaces: config.probeInterfaces,
    capture, arpReplies: capture ? tap : null, neighbours: monitor, log,
  });
  if (config.probeInterval !== null) prober.start();
  setInterval(() => engine.tick(Date.now() / 1000), 200);

  createInterface({ input: process.stdin }).on('line', (line) => {
    const cmd = JSON.parse(line) as { cmd: string; server?: string };
    if (cmd.cmd === 'stats') {
      out({ event: 'stats', capture: capture?.stats() ?? [], neighbours: monitor?.stats() ?? null, prober: prober.stats() });
    } else if (cmd.cmd === 'probeOnce' && cmd.server) {
      const server = cmd.server;
      prober.probeOnce(addr(server)).then((result) => out({ event: 'probeOnce', server, result }));
    }
  }).on('close', () => process.exit(0)); // the test closed our stdin: done
  out({ event: 'ready' });
}

main();
