// Recovery notices by mail through the outbox into a real MTA (exim, started here on
// 127.0.0.1 and a free high port): what arrives, and what happens when the MTA is down,
// defers, or refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NotifyDecision } from '../../src/engine/decisions';
import { noticeFromDecision } from '../../src/notify/notice';
import { queueRecoveryMail } from '../../src/notify/recovery-mail';
import { renderRecoveryMail } from '../../src/notify/render-mail';
import { fixedUtcOffset } from '../../src/notify/time-format';
import { Exim } from './exim';
import { FROM, notice, until, wire } from './mail-helpers';

let exim: Exim;
const render = { from: FROM, date: 1_795_000_724, utcOffset: fixedUtcOffset(540) };

test.before(async () => {
  exim = await Exim.start({ fail: ['nobody@example.test'], defer: ['later@example.test'] });
});
test.after(async () => {
  await exim?.dispose();
});

const mine = async (outage: string) => (await exim.messages()).filter((m) => m.headers['x-backsoon-outage'] === outage);

test('a notice from a notify decision arrives with the right headers and body', async () => {
  const w = await wire(exim);
  try {
    const decision: NotifyDecision = {
      t: 1_795_000_723, event: 'notify', server: '198.51.100.10', client: '192.0.2.7', addresses: ['192.0.2.7'], contact: 'sato@example.test',
      since: 1_795_000_000, firstAttempt: 1_795_000_061, lastAttempt: 1_795_000_300, outage: '198.51.100.10@1795000000',
    };
    const n = noticeFromDecision(decision, 'www.example.test', decision.t);
    assert.ok(n);
    const expected = renderRecoveryMail(n!, render);
    assert.is((await queueRecoveryMail(w.outbox, n!, render)).status, 'queued');
    await w.outbox.settled();
    const [m, ...more] = await exim.waitFor(1, 10_000).then(() => mine('198.51.100.10@1795000000'));
    assert.is(more.length, 0);
    assert.is(m.recipient, 'sato@example.test');
    assert.is(m.headers['return-path'], '<backsoon@router.example.test>');
    assert.is(m.headers.from, 'backsoon <backsoon@router.example.test>');
    assert.is(m.headers.to, 'sato@example.test');
    assert.is(m.subject, 'Server failure recovery notice: www.example.test (198.51.100.10)');
    assert.is(m.headers.date, 'Wed, 18 Nov 2026 20:18:44 +0900');
    assert.is(m.headers['message-id'], expected.messageId);
    assert.is(m.headers['auto-submitted'], 'auto-generated');
    assert.is(m.body, expected.text);
    assert.ok(m.body.includes('  Recovered at:    2026-11-18T20:18:43+09:00\n'));
    assert.ok(m.body.includes('  Outage duration: 12 min 3 s\n'));
    assert.ok(m.body.includes('  Your address:    192.0.2.7\n'));
    assert.equal(w.outbox.stats().sent, 1);
  } finally {
    await w.close();
  }
});

test('a non-ASCII server name and a dot-only body line survive the trip', async () => {
  const w = await wire(exim);
  try {
    const n = notice('utf8', 'utf8@1', { server: { name: 'サーバ.example.test\n.\nQUIT', address: '198.51.100.11' } });
    await queueRecoveryMail(w.outbox, n, render);
    await w.outbox.settled();
    await exim.settle(10_000);
    const [m] = await mine('utf8@1');
    assert.is(m.subject, 'Server failure recovery notice: サーバ.example.test . QUIT (198.51.100.11)');
    assert.is(m.body, renderRecoveryMail(n, render).text);
  } finally {
    await w.close();
  }
});

test('MTA down while a notice is due: retried, and it arrives once when the MTA is back', async () => {
  const w = await wire(exim);
  try {
    await exim.stop();
    await queueRecoveryMail(w.outbox, notice('down', 'down@1'), render);
    await until('two failed attempts', () => w.events.filter((e) => e.type === 'retry').length >= 2, 10_000);
    const retry = w.events.find((e) => e.type === 'retry');
    assert.match(retry?.type === 'retry' ? retry.detail : '', /ECONNREFUSED/);
    assert.is((await mine('down@1')).length, 0);
    await exim.start();
    await w.outbox.settled();
    await exim.waitFor(1, 10_000);
    await exim.settle(10_000);
    assert.is((await mine('down@1')).length, 1);
    assert.is(w.outbox.stats().sent, 1);
    assert.ok(w.outbox.stats().retries >= 2);
    assert.equal(w.logs, []);
  } finally {
    if (!exim.running) await exim.start();
    await w.close();
  }
});

test('a 5xx recipient is given up with one log line; the others are delivered', async () => {
  const w = await wire(exim);
  try {
    await queueRecoveryMail(w.outbox, notice('A', 'fail@1'), render);
    await queueRecoveryMail(w.outbox, notice('x', 'fail@1', { to: 'nobody@example.test' }), render);
    await queueRecoveryMail(w.outbox, notice('B', 'fail@1'), render);
    await w.outbox.settled();
    await exim.settle(10_000);
    assert.equal((await mine('fail@1')).map((m) => m.recipient).sort(), ['userA@example.test', 'userB@example.test']);
    assert.is(w.logs.length, 1);
    assert.match(w.logs[0], /^warn: outbox: gave up mail to nobody@example\.test \(mail:nobody@example\.test\|fail@1\) after 1 attempt\(s\): EENVELOPE: .*550 5\.1\.1 rejected by test$/);
    const st = w.outbox.stats();
    assert.equal([st.sent, st.failed, st.retries, st.queued], [2, 1, 0, 0]);
  } finally {
    await w.close();
  }
});

test('a 4xx recipient is retried and delivered once the MTA accepts it', async () => {
  const w = await wire(exim);
  try {
    await queueRecoveryMail(w.outbox, notice('x', 'defer@1', { to: 'later@example.test' }), render);
    await until('two deferrals', () => w.events.filter((e) => e.type === 'retry').length >= 2, 10_000);
    const retry = w.events.find((e) => e.type === 'retry');
    assert.match(retry?.type === 'retry' ? retry.detail : '', /451 4\.3\.0 deferred by test/);
    exim.setRecipient('later@example.test', 'accept');
    await w.outbox.settled();
    await exim.settle(10_000);
    assert.equal((await mine('defer@1')).map((m) => m.recipient), ['later@example.test']);
    assert.equal(w.logs, []);
  } finally {
    exim.setRecipient('later@example.test', 'defer');
    await w.close();
  }
});

test('the same person told once per outage, even when two of their devices waited', async () => {
  const w = await wire(exim);
  try {
    const results = await Promise.all([
      queueRecoveryMail(w.outbox, notice('C', 'dup@1', { client: '192.0.2.20' }), render),
      queueRecoveryMail(w.outbox, notice('C', 'dup@1', { client: '192.0.2.21', to: 'UserC@Example.test' }), render),
    ]);
    assert.equal(results.map((r) => r.status).sort(), ['duplicate', 'queued']);
    await w.outbox.settled();
    assert.equal(await queueRecoveryMail(w.outbox, notice('C', 'dup@1'), render), { status: 'duplicate', of: 'sent' });
    await queueRecoveryMail(w.outbox, notice('C', 'dup@2'), render); // a later outage is news again
    await w.outbox.settled();
    await exim.settle(10_000);
    assert.is((await mine('dup@1')).length, 1);
    assert.is((await mine('dup@2')).length, 1);
  } finally {
    await w.close();
  }
});

test.run();
