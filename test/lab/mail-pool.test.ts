// Many waiting clients at once: notices for 1, 100 and 2,000 clients of one outage through
// the outbox and the SMTP pool into exim. Prints the time from "queue them" to the MTA's last
// 250 (the daemon's part of trap -> MTA 250) and to the last Maildir delivery; asserts only
// that every notice arrived exactly once. The 10,000-client fan-out is measured in
// bench/lab-recovery.ts against the MTA's own ceiling; here exim's local deliveries of 10,000
// messages alone took 2-6 minutes of a 2-core machine. exim only queues what arrives and delivers it with
// queue runners, so its local deliveries do not compete with the SMTP side for the CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { queueRecoveryMail } from '../../src/notify/recovery-mail';
import { Exim } from './exim';
import { FROM, notice, wire } from './mail-helpers';

let exim: Exim;

test.before(async () => {
  exim = await Exim.start({ queueOnly: true });
});
test.after(async () => {
  await exim?.dispose();
});

const rows: string[] = [];

/** SMTP connections from this process to exim now (ss, client side). */
function connectionsToExim(): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', 'dport', `= :${exim.port}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
  }
}

test('warm opens one session ahead of the mail, and the first notice goes over it', async () => {
  const w = await wire(exim);
  try {
    assert.is(connectionsToExim(), 0);
    w.transport.warm();
    w.transport.warm(); // a second hint while the first session opens: still one
    await until('a session to exim is open', () => connectionsToExim() === 1);
    const r = await queueRecoveryMail(w.outbox, notice('warm', 'pool-warm@1'), { from: FROM, date: 1_795_000_724 });
    assert.is(r.status, 'queued');
    await w.outbox.settled();
    assert.is(w.outbox.stats().sent, 1);
    assert.is(connectionsToExim(), 1, 'the notice went over the session opened ahead, no second one');
    await exim.settle(60_000);
    const got = await exim.waitForRecipient('userwarm@example.test', 10_000);
    assert.is(got.headers['x-backsoon-outage'], 'pool-warm@1');
  } finally {
    await w.close();
  }
});

for (const count of [1, 100, 2_000]) {
  test(`${count} notice(s) through the pool arrive exactly once`, async () => {
    const outage = `pool-${count}@1`;
    const w = await wire(exim);
    try {
      const render = { from: FROM, date: 1_795_000_724 };
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: count }, (_, i) => queueRecoveryMail(w.outbox, notice(i, outage), render)));
      const queuedAt = performance.now();
      assert.ok(results.every((r) => r.status === 'queued'));
      await w.outbox.settled();
      const lastSent = performance.now();
      await exim.settle(300_000);
      const delivered = performance.now();
      const mine = (await exim.messages()).filter((m) => m.headers['x-backsoon-outage'] === outage);
      assert.is(mine.length, count);
      assert.is(new Set(mine.map((m) => m.recipient)).size, count);
      const st = w.outbox.stats();
      assert.equal([st.sent, st.failed, st.retries], [count, 0, 0]);
      rows.push(`  ${String(count).padStart(6)} | ${(queuedAt - t0).toFixed(0).padStart(9)} | ` +
        `${(lastSent - t0).toFixed(0).padStart(10)} | ${((lastSent - t0) / count).toFixed(2).padStart(11)} | ` +
        `${(delivered - t0).toFixed(0).padStart(12)}`);
    } finally {
      await w.close();
    }
  });
}

test.after(() => {
  console.log('\n  notices | queued ms | last 250 ms | ms/notice | in Maildir ms');
  for (const r of rows) console.log(r);
});

test.run();
