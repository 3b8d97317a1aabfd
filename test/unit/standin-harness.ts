// A stand-in running in this process on 127.0.0.1, fed by a real Engine through the same
// callbacks the daemon uses (HTTP clients for it: standin-http.ts). Only the kernel's tables
// are replaced (they need root and a namespace; test/lab/standin.test.ts uses the real ones):
// nftRecorderMock and conntrackRecorderMock record what they are asked to do, in order, in
// `kernel`. Clients get distinct addresses from 127.0.0.0/8 (all local).
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { engineCallbacks } from '../../src/standin/engine-callbacks';
import type { NftRunner } from '../../src/standin/nft';
import type { StandInSettings } from '../../src/standin/settings';
import { StandIn } from '../../src/standin/standin';
import type { StandInCallbacks } from '../../src/standin/types';
import { parseIp, type IpAddress } from '../../src/net/ip';

export const SERVER = parseIp('198.51.100.10')!;
export const SERVER_NAME = 'www.example.test';
export const T0 = 1_800_000_000;

let nextPortBase = 20000 + (process.pid % 200) * 50;

export interface Harness {
  readonly engine: Engine;
  readonly standin: StandIn;
  /** Seconds; tests move it forward. */
  clock: { t: number };
  /** Whether the engine's decisions reach the stand-in (as the daemon forwards them); default true. */
  forward: { decisions: boolean };
  readonly logs: string[];
  readonly nftScripts: string[];
  /** nft scripts ("nft") and conntrack flushes ("conntrack SERVER:PORT"), in order. */
  readonly kernel: string[];
  /** Calls of the register callback, as the engine saw them. */
  readonly registrations: { server: IpAddress; client: IpAddress; mac: number; mail: string }[];
  /** The listener port of SERVER (it is down after up()). */
  port(): number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  settings?: Partial<StandInSettings>;
  /** Extra callbacks layered over the engine's. */
  callbacks?: Partial<StandInCallbacks>;
  /** Replaces the recording nft mock (e.g. to hold a script back). */
  nft?: NftRunner;
  /** Mark SERVER down before start (default true). */
  down?: boolean;
  /** The server stood in for (default SERVER). */
  server?: IpAddress;
}

export async function up(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = { t: T0 };
  const server = opts.server ?? SERVER;
  const forward = { decisions: true };
  const logs: string[] = [];
  const nftScripts: string[] = [];
  const kernel: string[] = [];
  const registrations: Harness['registrations'] = [];
  let standin: StandIn | null = null;
  const engine = new Engine({ ...defaultEngineOptions, maxServers: 16, maxLinks: 256, maxLinksPerServer: 64, maxContacts: 64 },
    (d) => { if (forward.decisions) void standin?.onDecision(d); });
  const base = engineCallbacks(engine, {
    serverName: () => SERVER_NAME,
    now: () => clock.t,
    log: (level, message) => { logs.push(`${level}: ${message}`); },
  });
  const nftRecorderMock: NftRunner = async (script) => { nftScripts.push(script); kernel.push('nft'); };
  const conntrackRecorderMock = async (server: string, port: number) => { kernel.push(`conntrack ${server}:${port}`); return 1; };
  const portBase = nextPortBase;
  nextPortBase += 8;
  standin = new StandIn({
    servers: [{ address: server, name: SERVER_NAME, ports: [80] }],
    settings: { listenAddress: '127.0.0.1', portBase, portCount: 4, ...opts.settings },
    callbacks: {
      ...base,
      register: (server, client, mac, mail, t) => {
        registrations.push({ server, client, mac, mail });
        return base.register(server, client, mac, mail, t);
      },
      macOf: () => 0,
      ...opts.callbacks,
    },
    nft: opts.nft ?? nftRecorderMock,
    conntrack: conntrackRecorderMock,
    utcOffset: () => 540,
  });
  if (opts.down !== false) engine.markDown(clock.t - 300, server, 'neigh-failed');
  await standin.start();
  const si = standin;
  return {
    engine, standin: si, clock, forward, logs, nftScripts, kernel, registrations,
    port() {
      const p = si.listenPort(server);
      if (p === null) throw new Error('the stand-in has no listener for the server; is it down?');
      return p;
    },
    close: () => si.stop(),
  };
}

export * from './standin-http';
