// A recovery of many clients hands every notice to DirectNotices in one turn of the event loop;
// they are prepared a slice per turn and each reaches a real outbox (on a temp directory)
// once. `preparing` counts those not yet in the outbox (the daemon holds
// its state file while it is not 0), and settle() waits for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/types';
import { outageId, type NotifyDecision } from '../../src/engine/decisions';
import { DirectNotices } from '../../src/notify/direct-notices';
import { Outbox } from '../../src/notify/outbox/outbox';

const SERVER = '198.51.100.10';
const SINCE = 1_795_000_000;
const COUNT = 1000;

function decision(i: number): NotifyDecision {
  const client = `198.18.${i >> 8}.${i & 255}`;
  return {
    t: SINCE + 60, event: 'notify', server: SERVER, client, addresses: [client], since: SINCE, contact: `user${i}@example.test`,
    firstAttempt: SINCE + 1, lastAttempt: SINCE + 50, outage: outageId(SERVER, SINCE),
  };
}

test('1,000 notices in one turn: each reaches the outbox once; preparing counts down to 0 and settle resolves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-direct-slices-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  // only these fields are read here
  const config = { main: { policyBudget: 5 }, mail: { from: 'backsoon@router.example.test' } } as unknown as Config;
  const logs: string[] = [];
  const direct = new DirectNotices({ config: () => config, serverConfig: () => undefined, outbox: () => outbox, log: (_, m) => logs.push(m) });
  try {
    for (let i = 0; i < COUNT; i++) direct.notify(decision(i));
    assert.is(direct.preparing, COUNT, 'none is in the outbox yet');
    assert.ok(await direct.settle(30_000), 'every notice reached the outbox');
    assert.is(direct.preparing, 0);
    assert.equal({ queued: direct.counters.queued, failed: direct.counters.failedToQueue }, { queued: COUNT, failed: 0 }, logs.join('\n'));
    assert.is(outbox.stats().queued, COUNT);
    // On disk, each once.
    const recipients: string[] = [];
    const queue = join(dir, 'queue');
    const batches = readdirSync(queue).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    for (const f of batches) {
      for (const line of readFileSync(join(queue, f), 'utf8').split('\n')) {
        const m = /user(\d+)@example\.test/.exec(line);
        if (m) recipients.push(m[1]);
      }
    }
    assert.is(recipients.length, COUNT, `batch files: ${batches.join(', ')}`);
    assert.is(new Set(recipients).size, COUNT, 'each client once');
    assert.ok(await direct.settle(10), 'nothing left: settles at once');
  } finally {
    await outbox.close();
    direct.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('settle gives up after its time while a notice is still being prepared', async () => {
  const config = { main: { policyBudget: 5 }, mail: { from: 'backsoon@router.example.test' } } as unknown as Config;
  let release: () => void = () => {};
  const blocked = new Promise<void>((r) => { release = r; });
  // The real outbox behind a wait until released: a disk that takes its time (a stand-in, hence
  // the name: this machine's disk is too fast to hold a write on purpose).
  const dir = mkdtempSync(join(tmpdir(), 'bs-direct-slow-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const slowDiskMock = { enqueue: async (...args: Parameters<Outbox['enqueue']>) => { await blocked; return outbox.enqueue(...args); } } as unknown as Outbox;
  const direct = new DirectNotices({ config: () => config, serverConfig: () => undefined, outbox: () => slowDiskMock, log: () => {} });
  try {
    direct.notify(decision(1));
    assert.is(await direct.settle(50), false);
    assert.is(direct.preparing, 1);
    release();
    assert.is(await direct.settle(5000), true);
    assert.is(direct.preparing, 0);
  } finally {
    await outbox.close();
    direct.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
