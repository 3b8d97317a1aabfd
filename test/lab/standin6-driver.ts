// The stand-in for an IPv6 server inside the lab router's namespace: a real Engine, the real
// nftables table and conntrack, the stand-in wired to the engine by the callbacks the daemon
// uses (src/standin/engine-callbacks.ts). No daemon: `config server` takes IPv4 addresses only
// so far, so the server comes as an argument. Orders are JSON lines on stdin:
//   {"do":"down"} {"do":"recover"} {"do":"stats"}
// each answered once the stand-in has followed it:
//   {"event":"done","do","active":[...],"contacts":{CLIENT: MAIL},"outages":[...]}
//   ip netns exec bs-RUN-s6-r node --import tsx test/lab/standin6-driver.ts SERVER CLIENT
import { createInterface } from 'node:readline';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { parseIp } from '../../src/net/ip';
import { engineCallbacks } from '../../src/standin/engine-callbacks';
import { StandIn } from '../../src/standin/standin';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const now = () => Date.now() / 1000;

async function main(): Promise<void> {
  const server = parseIp(process.argv[2] ?? '');
  const client = parseIp(process.argv[3] ?? '');
  if (server === null || client === null) { out({ event: 'error', message: 'usage: standin6-driver.ts SERVER CLIENT' }); process.exit(2); }
  let standin: StandIn | null = null;
  const engine = new Engine({ ...defaultEngineOptions }, (d) => { void standin?.onDecision(d); });
  standin = new StandIn({
    servers: [{ address: server, name: 'www6.example.test', ports: [80] }],
    settings: { portBase: 8480, portCount: 4 },
    callbacks: engineCallbacks(engine, {
      serverName: () => 'www6.example.test', now, log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    }),
  });
  await standin.start();
  const si = standin;
  const answer = (what: string) => {
    const mail = engine.contacts.lookup(client, 0)?.mail;
    return { event: 'done', do: what, active: si.stats().active, contacts: mail === undefined ? {} : { [client.text]: mail }, outages: engine.outageList() };
  };
  /** Until the stand-in's listener is up (or gone) as the engine says. */
  const followed = async () => {
    for (const deadline = Date.now() + 10_000; (si.listenPort(server) !== null) !== engine.isDown(server);) {
      if (Date.now() > deadline) throw new Error('the stand-in did not follow the engine within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    await si.sync();
  };
  const order = async (line: string): Promise<void> => {
    const o = JSON.parse(line) as { do: string };
    if (o.do === 'down') engine.markDown(now() - 60, server, 'nd-silence');
    else if (o.do === 'recover') engine.recoverySignal(now(), server, 'probe');
    else if (o.do !== 'stats') { out({ event: 'error', message: `unknown order ${JSON.stringify(o.do)}` }); return; }
    await followed();
    out(answer(o.do));
  };
  let chain = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === '') return;
    chain = chain.then(() => order(line)).catch((err: Error) => { out({ event: 'error', message: err.stack ?? err.message }); });
  });
  process.on('SIGTERM', () => { void si.stop().finally(() => process.exit(0)); });
  out({ ...answer('start'), event: 'ready' });
}

main().catch((err: Error) => { out({ event: 'error', message: err.message }); process.exit(1); });
