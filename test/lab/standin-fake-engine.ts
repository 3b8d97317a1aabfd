// fake-engine: stands in for the daemon around a real StandIn, inside the lab router's
// namespace. It holds a real Engine (state saved to a file after every change, as the daemon's
// snapshot does, so a SIGKILLed driver restarts into the same state), forwards the engine's
// decisions to the stand-in, and takes its orders as JSON lines on stdin instead of from packet
// capture:  {"do":"down","ago":SECONDS} {"do":"recover"} {"do":"stats"} {"do":"stop"}
// It answers each with one JSON line on stdout, and prints {"event":"register",...} for every
// registration the stand-in makes.
//   ip netns exec bs-st-r node --import tsx test/lab/standin-fake-engine.ts STATE_FILE SETTINGS_JSON
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { formatIPv4, parseIPv4 } from '../../src/net/ipv4';
import { formatMac } from '../../src/net/mac';
import type { Decision } from '../../src/engine/decisions';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { exportState, importState } from '../../src/engine/state';
import { engineCallbacks } from '../../src/standin/engine-callbacks';
import type { StandInSettings } from '../../src/standin/settings';
import { StandIn } from '../../src/standin/standin';

export const LAB_SERVER = '198.51.100.10';
export const LAB_SERVER_NAME = 'www.example.test';

const [stateFile, settingsJson] = process.argv.slice(2);
if (!stateFile) {
  process.stderr.write('usage: standin-fake-engine.ts STATE_FILE [SETTINGS_JSON]\n');
  process.exit(2);
}
const settings = JSON.parse(settingsJson ?? '{}') as Partial<StandInSettings>;
const server = parseIPv4(LAB_SERVER)!;
const now = () => Date.now() / 1000;
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

const pending: Promise<void>[] = [];
let standin: StandIn | null = null;
const engine = new Engine(defaultEngineOptions, (d: Decision) => {
  if (standin) pending.push(standin.onDecision(d));
});
if (existsSync(stateFile)) {
  const r = importState(engine, JSON.parse(readFileSync(stateFile, 'utf8')));
  process.stderr.write(`fake-engine: restored ${r.restored} outages${r.skipped.length ? `; skipped: ${r.skipped.join('; ')}` : ''}\n`);
}

function save(): void {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(exportState(engine, now())));
  renameSync(`${stateFile}.tmp`, stateFile);
}

const callbacks = engineCallbacks(engine, {
  serverName: (s) => (s === server ? LAB_SERVER_NAME : formatIPv4(s)),
  now,
  log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
  changed: save,
});
standin = new StandIn({
  servers: [{ address: server, name: LAB_SERVER_NAME, ports: [80] }],
  settings,
  callbacks: {
    ...callbacks,
    register(s, client, mac, mail, t) {
      const outcome = callbacks.register(s, client, mac, mail, t);
      out({ event: 'register', server: formatIPv4(s), client: formatIPv4(client), mac: mac ? formatMac(mac) : null, mail, outcome });
      return outcome;
    },
    declined(s, client) {
      out({ event: 'declined', server: formatIPv4(s), client: formatIPv4(client) });
    },
  },
});

async function settle(): Promise<void> {
  while (pending.length > 0) await pending.shift();
}

async function order(line: string): Promise<void> {
  const o = JSON.parse(line) as { do: string; ago?: number };
  switch (o.do) {
    case 'down':
      // `ago`: the outage began that long before the order (as when detected late, P4).
      engine.markDown(now() - (o.ago ?? 0), server, 'neigh-failed');
      break;
    case 'recover':
      engine.recoverySignal(now(), server, 'probe');
      break;
    case 'stats':
      break;
    case 'stop':
      await standin!.stop();
      out({ event: 'stopped' });
      process.exit(0);
      break;
    default:
      out({ event: 'error', message: `unknown order ${JSON.stringify(o.do)}` });
      return;
  }
  await settle();
  save();
  out({ event: 'done', do: o.do, down: engine.isDown(server), stats: standin!.stats() });
}

let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  chain = chain.then(() => order(line)).catch((err: Error) => { out({ event: 'error', message: err.stack ?? err.message }); });
});
process.on('SIGTERM', () => { void standin!.stop().then(() => process.exit(0)); });

standin.start().then(
  () => out({ event: 'ready', down: engine.isDown(server), stats: standin!.stats() }),
  (err: Error) => { out({ event: 'error', message: err.message }); process.exit(1); },
);
