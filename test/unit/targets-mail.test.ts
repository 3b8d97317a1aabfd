// The targets mail the router sends to a server's notifier or a management station (P13, P14):
// its headers, its human part, and that the agent's reader gets back exactly what was sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMessage } from '../../src/agent/message';
import { parseTargetsText, type RecoveryTargets } from '../../src/notify/targets-format';
import { renderRecoveryMail } from '../../src/notify/render-mail';
import { renderTargetsMail, targetsMailKey, TARGETS_TITLE } from '../../src/notify/targets-mail';
import { fixedUtcOffset } from '../../src/notify/time-format';

const T0 = 1_795_000_000;
const targets: RecoveryTargets = {
  server: { name: 'www.example.test', address: '198.51.100.80' },
  outage: '198.51.100.80@1795000000',
  outageStart: T0,
  recoveredAt: T0 + 723,
  clients: [
    { client: '192.0.2.151', firstAttempt: T0 + 61, lastAttempt: T0 + 300, mac: '02:00:5e:10:00:01' },
    { client: '192.0.2.153', firstAttempt: T0 + 70, lastAttempt: T0 + 70 },
  ],
};
const options = { date: T0 + 724, utcOffset: fixedUtcOffset(540) };
const FROM = 'backsoon <backsoon@router.example.test>';

function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(head.replace(/\r\n/g, '\n'));
  return m?.[1];
}

test('headers: sender, mailbox, subject with name and address, stable Message-ID, format version', () => {
  const mail = renderTargetsMail(targets, 'notify@www.example.test', FROM, options);
  assert.is(mail.envelopeFrom, 'backsoon@router.example.test');
  assert.is(mail.to, 'notify@www.example.test');
  assert.is(header(mail.raw, 'From'), 'backsoon <backsoon@router.example.test>');
  assert.is(header(mail.raw, 'Subject'), `${TARGETS_TITLE}: www.example.test (198.51.100.80)`);
  assert.is(header(mail.raw, 'Date'), 'Wed, 18 Nov 2026 20:18:44 +0900');
  assert.is(header(mail.raw, 'X-Backsoon-Targets'), '1');
  assert.is(header(mail.raw, 'Auto-Submitted'), 'auto-generated');
  assert.is(header(mail.raw, 'Content-Transfer-Encoding'), '7bit');
  assert.match(mail.messageId, /^<targets\.[0-9a-f]{32}@router\.example\.test>$/);
  assert.is(renderTargetsMail(targets, 'NOTIFY@www.example.test', FROM, { ...options, date: T0 + 999 }).messageId, mail.messageId);
  assert.is.not(renderTargetsMail(targets, 'nms@example.test', FROM, options).messageId, mail.messageId);
  assert.ok(/\r\n/.test(mail.raw) && !/[^\r]\n/.test(mail.raw), 'CRLF line ends only');
});

test('the human part names the server, the times in local time and every client (Fig. 18)', () => {
  const { text } = renderTargetsMail(targets, 'notify@www.example.test', FROM, options);
  assert.ok(text.includes('  Server address:  198.51.100.80\n'));
  assert.ok(text.includes('  Down since:      2026-11-18T20:06:40+09:00\n'));
  assert.ok(text.includes('  Recovered at:    2026-11-18T20:18:43+09:00\n'));
  assert.ok(text.includes('  Clients (2):\n    192.0.2.151\n    192.0.2.153\n'.replace(/    /g, '  ')));
});

test('the agent reads back exactly what the router sent, ASCII or not', () => {
  for (const name of ['www.example.test', 'ウェブサーバ']) {
    const t = { ...targets, server: { ...targets.server, name } };
    const mail = renderTargetsMail(t, 'notify@www.example.test', FROM, options);
    assert.is(header(mail.raw, 'Content-Transfer-Encoding'), name === 'ウェブサーバ' ? 'base64' : '7bit');
    const read = parseTargetsText(parseMessage(Buffer.from(mail.raw, 'utf8')).text);
    assert.ok(read.ok, read.ok ? '' : read.reason);
    assert.equal(read.ok && read.targets, t);
  }
});

test('more than 50 clients: the human part stops at 50, the block has them all', () => {
  const many = { ...targets, clients: Array.from({ length: 120 }, (_, i) => ({ client: `192.0.2.${i}`, firstAttempt: T0, lastAttempt: T0 })) };
  const mail = renderTargetsMail(many, 'notify@www.example.test', FROM, options);
  assert.ok(mail.text.includes('  ... and 70 more (all of them are in the block below)\n'));
  const read = parseTargetsText(parseMessage(Buffer.from(mail.raw)).text);
  assert.is(read.ok && read.targets.clients.length, 120);
});

test('a bad mailbox or sender is refused with the option to fix', () => {
  assert.throws(() => renderTargetsMail(targets, 'notify@www.example.test\r\nBcc: x@evil.test', FROM, options), /fix option mailbox/);
  assert.throws(() => renderTargetsMail(targets, 'notify@www.example.test', 'not an address', options), /config mail option 'from'/);
});

test('dedup key: one mail per mailbox (any case) and outage', () => {
  assert.is(targetsMailKey('Notify@WWW.example.test', targets.outage), targetsMailKey('notify@www.example.test', targets.outage));
  assert.is.not(targetsMailKey('notify@www.example.test', targets.outage), targetsMailKey('notify@www.example.test', '198.51.100.80@1795009999'));
});

test('the targets mail and the recovery mail share one header block (src/notify/mime.ts)', () => {
  const names = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').filter((l) => !/^[ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(':')));
  const targetsMail = renderTargetsMail(targets, 'notify@www.example.test', FROM, options);
  const recovery = renderRecoveryMail({
    to: 'sato@example.test', client: '192.0.2.7', server: targets.server, outageStart: T0, recoveredAt: T0 + 723,
    firstAttempt: T0 + 61, lastAttempt: T0 + 300, outage: targets.outage,
  }, { from: FROM, date: T0 + 724, utcOffset: fixedUtcOffset(540) });
  const standard = ['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Auto-Submitted'];
  assert.equal(names(recovery.raw), [...standard, 'X-Backsoon-Outage']);
  assert.equal(names(targetsMail.raw), [...standard, 'X-Backsoon-Targets', 'X-Backsoon-Outage', 'X-Backsoon-Recovered-At']);
  assert.match(recovery.messageId, /^<recovery\.[0-9a-f]{32}@router\.example\.test>$/);
  assert.match(targetsMail.messageId, /^<targets\.[0-9a-f]{32}@router\.example\.test>$/);
});

test.run();
