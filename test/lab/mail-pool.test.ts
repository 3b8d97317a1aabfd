// Many waiting clients at once: notices for 1, 100 and 2,000 clients of one outage through
// the outbox and the SMTP pool into exim. Prints the time from "queue them" to the MTA's last
// 250 (the daemon's part of trap -> MTA 250) and to the last Maildir delivery; asserts only
// that every notice arrived exactly once. The 10,000-client fan-out is measured in
// bench/lab-recovery.ts against the MTA's own ceiling; here exim's local deliveries of 10,000
// messages alone took 2-6 minutes of a 2-core machine. exim only queues what arrives and delivers it with
// queue runners, so its local deliveries do not compete with the SMTP side for the CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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
