// The stand-in as the daemon runs it, inside the lab router's namespace: the daemon built from a
// UCI file with its stand-in input (src/daemon/standin-input.ts) and its state snapshots, but
// no capture: the outage comes as an order instead of from packets (the rest of the daemon, and
// so the stand-in's view of the engine, is what `backsoon run` builds). Orders are JSON lines on
// stdin:  {"do":"down","ago":SECONDS} {"do":"recover"} {"do":"stats"} {"do":"stop"}
// Each is answered with one line once the stand-in has followed it (its listener up or gone, its
// table loaded; taking over waiting connections comes after, see "takenOver"):
//   {"event":"done","do","down","standin":{...},"contacts":{CLIENT: MAIL},"outages":[...],"stateWrites"}
// `standin` is the status report's stand-in counters (flat keys, as `backsoon status` shows them).
//   ip netns exec bs-RUN-st-r node --import tsx test/lab/standin-driver.ts CONFIG_FILE
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/validate';
import { Daemon } from '../../src/daemon/daemon';
import { counterEntries } from '../../src/control/status';
import { createLogger } from '../../src/daemon/log';
import { StandInInput } from '../../src/daemon/standin-input';
import { parseIp } from '../../src/net/ip';

export const LAB_SERVER = '198.51.100.10';
export const LAB_CLIENTS = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const server = parseIp(LAB_SERVER)!;
const now = () => Date.now() / 1000;
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

function standinCounters(daemon: Daemon): Record<string, number> {
  return Object.fromEntries(counterEntries(daemon.status().standin ?? {}));
}

/**
 * Waits until the stand-in has followed the engine: its listener for the server up (`active`)
 * or gone, and its nftables table loaded again since `nftBefore` (its count of loads then).
 */
async function followed(daemon: Daemon, nftBefore: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  const want = daemon.engine.isDown(server);
  const done = (): boolean => {
    const s = daemon.status().standin;
    return s !== undefined && (s.active.length > 0) === want && s.nftApplied > nftBefore;
  };
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`the stand-in did not follow the engine (down: ${want}) within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function answer(daemon: Daemon, what: string): object {
  const s = daemon.status();
  const contacts: Record<string, string> = {};
  for (const c of LAB_CLIENTS) {
    const mail = daemon.engine.contacts.lookup(parseIp(c)!, 0)?.mail;
    if (mail !== undefined) contacts[c] = mail;
  }
  return { event: 'done', do: what, down: daemon.engine.isDown(server), standin: standinCounters(daemon), contacts, outages: s.outages, stateWrites: s.state.writes };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) { out({ event: 'error', message: 'usage: standin-driver.ts CONFIG_FILE' }); process.exit(2); }
  const daemon = new Daemon(loadConfig(file), createLogger('info'));
  daemon.addInputs(new StandInInput());
  await daemon.start(); // the stand-in has loaded its table (again) when this returns

  const order = async (line: string): Promise<void> => {
    const o = JSON.parse(line) as { do: string; ago?: number };
    const nftBefore = standinCounters(daemon).nftApplied;
    switch (o.do) {
      case 'down':
        // `ago`: the outage began that long before the order (as when detected late, P4).
        daemon.engine.markDown(now() - (o.ago ?? 0), server, 'neigh-failed');
        break;
      case 'recover':
        daemon.engine.recoverySignal(now(), server, 'probe');
        break;
      case 'stats':
        out(answer(daemon, o.do));
        return;
      case 'stop':
        await daemon.stop();
        out({ event: 'stopped' });
        process.exit(0);
        break;
      default:
        out({ event: 'error', message: `unknown order ${JSON.stringify(o.do)}` });
        return;
    }
    await followed(daemon, nftBefore);
    out(answer(daemon, o.do));
  };
  let chain = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === '') return;
    chain = chain.then(() => order(line)).catch((err: Error) => { out({ event: 'error', message: err.stack ?? err.message }); });
  });
  // As `backsoon run` does on SIGTERM: the daemon stops (the stand-in removes its table).
  process.on('SIGTERM', () => { void daemon.stop().finally(() => process.exit(0)); });
  out({ ...answer(daemon, 'start'), event: 'ready' });
}

main().catch((err: Error) => { out({ event: 'error', message: err.message }); process.exit(1); });
