// What a hostile policy does to the daemon's event loop, with the hooks run in the daemon's own
// thread (as before the policy got a thread of its own: Policy, synchronously) and on their
// own thread (IsolatedPolicy, through DirectNotices with its budget per recovery):
//   - a recovery of 301 waiting clients whose shouldNotify loops until its 50 ms deadline;
//   - 10 stand-in page views whose render hook calls one long built-in (the sandbox cannot
//     interrupt it).
// perf_hooks.monitorEventLoopDelay samples the loop every 10 ms while each scenario runs.
//   npx tsx bench/policy-eventloop.ts [CLIENTS] [PAGES]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Config } from '../src/config/types';
import { DirectNotices } from '../src/notify/direct-notices';
import { outageId, type NotifyDecision } from '../src/engine/decisions';
import { Policy } from '../src/policy/policy';
import type { PolicyNotice } from '../src/policy/types';

const CLIENTS = Number(process.argv[2] ?? 301);
const PAGES = Number(process.argv[3] ?? 10);
const BUDGET_S = 5;

const LOOPING = 'function shouldNotify(outage, client) { for (;;) {} }\n';
// One native call: QuickJS checks its deadline between operations, not inside join().
const LONG_BUILTIN = "function render(notice) { new Array(4e7).join(''); return { pageText: 'never shown' }; }\n";

interface Row { scenario: string; mode: string; wallMs: number; maxMs: number; p99Ms: number; result: string }

async function measure(scenario: string, mode: string, run: () => Promise<string>): Promise<Row> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // The first sample only sets the clock: let two pass before the loop may block.
  await new Promise((r) => setTimeout(r, 30));
  const start = performance.now();
  const result = await run();
  const wallMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 20)); // one more sample after the last block
  histogram.disable();
  return { scenario, mode, wallMs, maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, result };
}

const outage = { server: '198.51.100.10', name: 'www.example.test', since: 1_700_000_000, now: 1_700_000_600 };
const pageNotice: PolicyNotice = { kind: 'standin', outage, client: { address: '192.0.2.10' }, defaults: {} };

function decisions(n: number): NotifyDecision[] {
  return Array.from({ length: n }, (_, i) => {
    const client = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    return {
      t: outage.now, event: 'notify', server: outage.server, since: outage.since, client, addresses: [client],
      contact: `client${i}@example.test`, firstAttempt: outage.since, lastAttempt: outage.since, outage: outageId(outage.server, outage.since),
    };
  });
}

/** DirectNotices as the daemon holds it, with no mail section: each notice ends after the policy. */
function directNotices(): DirectNotices {
  const config = { main: { policyBudget: BUDGET_S }, mail: null } as unknown as Config; // only these two fields are read here
  return new DirectNotices({ config: () => config, serverConfig: () => undefined, outbox: () => null, log: () => undefined });
}

async function whenSettled(direct: DirectNotices, n: number): Promise<void> {
  const c = direct.counters;
  while (c.failedToQueue + c.policyDeclined + c.noContact < n) await new Promise((r) => setTimeout(r, 5));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-policy-loop-'));
  const quiet = { log: () => undefined };
  try {
    const looping = join(dir, 'looping.js');
    const longBuiltin = join(dir, 'long-builtin.js');
    writeFileSync(looping, LOOPING);
    writeFileSync(longBuiltin, LONG_BUILTIN);
    const rows: Row[] = [];

    const inLoop = await Policy.load(looping, quiet);
    rows.push(await measure(`recovery, ${CLIENTS} clients, looping shouldNotify`, 'daemon thread', async () => {
      let told = 0;
      for (const d of decisions(CLIENTS)) if (inLoop.shouldNotify(outage, { address: d.client })) told++;
      return `${told} told`;
    }));
    inLoop.dispose();

    const direct = directNotices();
    await direct.loadPolicy(looping);
    rows.push(await measure(`recovery, ${CLIENTS} clients, looping shouldNotify`, `own thread, budget ${BUDGET_S} s`, async () => {
      for (const d of decisions(CLIENTS)) direct.notify(d);
      await whenSettled(direct, CLIENTS);
      return `${CLIENTS - direct.counters.policyDeclined} told, ${direct.counters.policyBudgetSpent} by the budget's default`;
    }));
    direct.close();

    const pagesInLoop = await Policy.load(longBuiltin, quiet);
    rows.push(await measure(`${PAGES} page views, render with a long built-in`, 'daemon thread', async () => {
      let shown = 0;
      for (let i = 0; i < PAGES; i++) if (pagesInLoop.render(pageNotice).pageText !== undefined) shown++;
      return `policy text on ${shown}`;
    }));
    pagesInLoop.dispose();

    const pages = directNotices();
    await pages.loadPolicy(longBuiltin);
    rows.push(await measure(`${PAGES} page views, render with a long built-in`, 'own thread', async () => {
      let shown = 0;
      for (let i = 0; i < PAGES; i++) if ((await pages.pageText(outage, { address: '192.0.2.10' })) !== null) shown++;
      return `policy text on ${shown}`;
    }));
    pages.close();

    console.log(`event-loop delay while a hostile policy runs (Node ${process.version}, ${process.arch}, load average ${loadavg()[0].toFixed(2)})`);
    console.log('| scenario | hooks run on | wall time | loop delay max | loop delay p99 | outcome |');
    console.log('|---|---|---:|---:|---:|---|');
    for (const r of rows) {
      console.log(`| ${r.scenario} | ${r.mode} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.maxMs.toFixed(0)} ms | ${r.p99Ms.toFixed(0)} ms | ${r.result} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
