// Slowloris against the real daemon's stand-in: an attacker namespace with 40 addresses keeps
// 32 slow connections each (1,280, more than the 512 the stand-in holds in all) to the down
// server's web port, redirected to the stand-in; meanwhile an honest client asks for the page 35
// times. Every one of its requests must be answered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withDaemonLab } from './daemon-lab';
import type { SlowlorisPlan, SlowlorisResult } from './slowloris';

const ATTACK_ADDRESSES = Array.from({ length: 40 }, (_, i) => `192.0.2.${100 + i}`);
const HONEST_REQUESTS = 35;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of a process in the router's namespace, in MiB. */
function rssMiB(status: string): number {
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Math.round(kib / 1024);
}

test('1,280 slow connections from 40 addresses: the honest client is served every time', async () => {
  await withDaemonLab('sl-loris', { clients: 1, serverSide: false, serverOptions: "\toption standin '1'", mainOptions: { probe_interval: '600', log_level: 'info' } }, async (lab) => {
    for (const address of ATTACK_ADDRESSES) {
      const r = await lab.lab.exec('c1', ['ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      assert.is(r.code, 0, r.stderr);
    }
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c', 5);
    await lab.waitForLog(/stand-in: answering for 198\.51\.100\.10/, 10_000);
    const pid = (await lab.status()).pid as number;
    const rssBefore = rssMiB((await lab.lab.exec('r', ['cat', `/proc/${pid}/status`])).stdout);

    const plan: SlowlorisPlan = { host: '198.51.100.10', port: 80, addresses: ATTACK_ADDRESSES, perAddress: 32, gapMs: 1000, reconnectMs: 250, seconds: 45 };
    const attacker = lab.lab.exec('c1', [process.execPath, '--import', 'tsx', 'test/lab/slowloris.ts', JSON.stringify(plan)], { timeoutMs: 70_000 });
    await sleep(5000); // every slot taken

    let served = 0;
    const failures: string[] = [];
    for (let i = 0; i < HONEST_REQUESTS; i++) {
      const r = await lab.lab.exec('c', ['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://198.51.100.10/']);
      if (r.stdout === '503') served++;
      else failures.push(`${r.stdout || '-'} ${r.stderr.trim()}`);
      await sleep(200);
    }
    const during = await lab.status();
    const rssDuring = rssMiB((await lab.lab.exec('r', ['cat', `/proc/${pid}/status`])).stdout);
    const flood = JSON.parse((await attacker).stdout) as SlowlorisResult;
    const standin = during.standin as { listener: Record<string, number>; internalErrors: number };
    const listener = standin.listener;
    console.log(`slowloris: honest client served ${served}/${HONEST_REQUESTS}; attacker ${flood.opened} connections opened, ` +
      `at most ${flood.mostOpen} open, ${flood.closedByServer} closed by the stand-in; refused ${listener['connectionsRefused']}, ` +
      `evicted ${listener['connectionsEvicted'] ?? '-'}, timeouts ${listener['timeouts']}; daemon RSS ${rssBefore} -> ${rssDuring} MiB`);

    assert.ok(flood.mostOpen >= 500, `the attack held the stand-in's slots (${flood.mostOpen} open at most)`);
    assert.is(served, HONEST_REQUESTS, `every honest request answered with the page; failures:\n${failures.join('\n')}`);
    assert.ok(listener['connectionsEvicted'] > 0, 'slow connections were closed to make room');
    assert.is(standin.internalErrors, 0);
    // The daemon went on with its work: the honest client is a waiting client, the outage stands.
    assert.ok(during.outages[0].clients.some((c: { client: string }) => c.client === '192.0.2.10'));
  });
});

test.run();
