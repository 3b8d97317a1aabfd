// The recovery mail as its reader sees it (P9, Fig. 8): subject, body, times, Date, Message-ID.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NotifyDecision } from '../../src/engine/decisions';
import { noticeFromDecision, type RecoveryNotice } from '../../src/notify/notice';
import { renderRecoveryMail } from '../../src/notify/render-mail';
import { recoveryMailKey } from '../../src/notify/recovery-mail';
import { durationParts, fixedUtcOffset, formatDuration, formatIsoLocal, formatMailDate } from '../../src/notify/time-format';

// 2026-11-25T13:00:00Z
const T0 = Date.UTC(2026, 10, 25, 13, 0, 0) / 1000;
const JST = fixedUtcOffset(9 * 60);

const notify: NotifyDecision = {
  t: T0 + 723.4, event: 'notify', server: '198.51.100.10', client: '192.0.2.7', addresses: ['192.0.2.7'], contact: 'sato@example.test',
  since: T0, firstAttempt: T0 + 61.9, lastAttempt: T0 + 300, outage: `198.51.100.10@${T0}`,
};

function notice(overrides: Partial<RecoveryNotice> = {}): RecoveryNotice {
  const n = noticeFromDecision(notify, 'www.example.test', T0 + 723.4);
  if (n === null) throw new Error('expected a notice');
  return { ...n, ...overrides };
}

function splitMessage(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const field of raw.slice(0, end).split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    headers.set(field.slice(0, colon).toLowerCase(), field.slice(colon + 1).replace(/\r\n[ \t]/g, ' ').trim());
  }
  return { headers, body: raw.slice(end + 4) };
}

test('ISO 8601 times carry the router offset, east and west of UTC', () => {
  assert.is(formatIsoLocal(T0, JST), '2026-11-25T22:00:00+09:00');
  assert.is(formatIsoLocal(T0 + 0.9, JST), '2026-11-25T22:00:00+09:00');
  assert.is(formatIsoLocal(T0, fixedUtcOffset(-210)), '2026-11-25T09:30:00-03:30');
  assert.is(formatIsoLocal(T0, fixedUtcOffset(0)), '2026-11-25T13:00:00+00:00');
  // crossing midnight and a year boundary in local time
  assert.is(formatIsoLocal(Date.UTC(2026, 11, 31, 20, 0, 5) / 1000, JST), '2027-01-01T05:00:05+09:00');
});

test('the Date header is RFC 5322', () => {
  assert.is(formatMailDate(T0, JST), 'Wed, 25 Nov 2026 22:00:00 +0900');
  assert.is(formatMailDate(T0, fixedUtcOffset(-300)), 'Wed, 25 Nov 2026 08:00:00 -0500');
  assert.is(formatMailDate(Date.UTC(2027, 0, 3, 1, 2, 3) / 1000, fixedUtcOffset(0)), 'Sun, 3 Jan 2027 01:02:03 +0000');
});

test('durations read as words', () => {
  assert.is(formatDuration(0), '0 s');
  assert.is(formatDuration(45.9), '45 s');
  assert.is(formatDuration(723), '12 min 3 s');
  assert.is(formatDuration(3600), '1 h 0 min');
  assert.is(formatDuration(3 * 3600 + 12 * 60 + 59), '3 h 12 min');
  assert.is(formatDuration(2 * 86400 + 3 * 3600 + 7), '2 d 3 h');
  assert.is(formatDuration(-5), '0 s');
});

test('the mail, the status and the stand-in page split a duration the same way', () => {
  assert.equal(durationParts(59.99), { unit: 's', s: 59 });
  assert.equal(durationParts(200), { unit: 'min', m: 3, s: 20 });
  assert.equal(durationParts(86399), { unit: 'h', h: 23, m: 59 });
  assert.equal(durationParts(86400 * 400), { unit: 'd', d: 400, h: 0 });
});

test('a notify decision with a contact makes a notice; without one, none', () => {
  const n = noticeFromDecision(notify, 'www.example.test', T0 + 800);
  assert.equal(n, {
    to: 'sato@example.test', client: '192.0.2.7',
    server: { name: 'www.example.test', address: '198.51.100.10' },
    outageStart: T0, recoveredAt: T0 + 800, firstAttempt: T0 + 61.9, lastAttempt: T0 + 300,
    outage: `198.51.100.10@${T0}`,
  });
  const { contact: _drop, ...anonymous } = notify;
  assert.is(noticeFromDecision(anonymous, 'www', T0), null);
  assert.is(noticeFromDecision({ ...notify, contact: '' }, 'www', T0), null);
  // no configured name: the address stands for it
  assert.is(noticeFromDecision(notify, '', T0)?.server.name, '198.51.100.10');
});

test('the mail says what Fig. 8 says, and when, for how long and why', () => {
  const mail = renderRecoveryMail(notice(), { from: 'backsoon <backsoon@router.example.test>', date: T0 + 724, utcOffset: JST });
  const { headers, body } = splitMessage(mail.raw);
  assert.is(headers.get('subject'), 'Server failure recovery notice: www.example.test (198.51.100.10)');
  assert.is(headers.get('to'), 'sato@example.test');
  assert.is(headers.get('from'), 'backsoon <backsoon@router.example.test>');
  assert.is(headers.get('date'), 'Wed, 25 Nov 2026 22:12:04 +0900');
  assert.is(headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(headers.get('content-transfer-encoding'), '7bit');
  assert.is(headers.get('auto-submitted'), 'auto-generated');
  assert.match(headers.get('message-id') ?? '', /^<recovery\.[0-9a-f]{32}@router\.example\.test>$/);
  assert.is(body, mail.text.replace(/\n/g, '\r\n'));
  const lines = mail.text.split('\n');
  assert.is(lines[0], 'Server failure recovery notice');
  assert.ok(lines.includes('  Server:          www.example.test (198.51.100.10)'));
  assert.ok(lines.includes('  Recovered at:    2026-11-25T22:12:03+09:00'));
  assert.ok(lines.includes('  Down since:      2026-11-25T22:00:00+09:00'));
  assert.ok(lines.includes('  Outage duration: 12 min 3 s'));
  assert.ok(lines.includes('  Your first try:  2026-11-25T22:01:01+09:00'));
  assert.ok(lines.includes('  Your address:    192.0.2.7'));
  assert.is(mail.envelopeFrom, 'backsoon@router.example.test');
  assert.is(mail.to, 'sato@example.test');
});

test('a device that tried from several addresses is told once, and the mail names them all', () => {
  const laptop: NotifyDecision = { ...notify, addresses: ['192.0.2.7', '2001:db8::7', '2001:db8::8a1c:3f'] };
  const n = noticeFromDecision(laptop, 'www.example.test', T0 + 800)!;
  assert.equal(n.addresses, ['192.0.2.7', '2001:db8::7', '2001:db8::8a1c:3f']);
  const lines = renderRecoveryMail(n, { from: 'backsoon@router.example.test', date: T0, utcOffset: JST }).text.split('\n');
  assert.ok(lines.includes('  Your address:    192.0.2.7'));
  assert.ok(lines.includes('  Also tried from: 2001:db8::7, 2001:db8::8a1c:3f'));
  assert.not.ok(renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0 }).text.includes('Also tried from'));
});

test('the mail names the device (MAC) it is about when the MAC is known, and the addresses it tried from', () => {
  const laptop: NotifyDecision = { ...notify, addresses: ['192.0.2.7', '2001:db8::7'], mac: '02:00:00:00:00:07' };
  const lines = renderRecoveryMail(noticeFromDecision(laptop, 'www.example.test', T0 + 800)!, { from: 'backsoon@router.example.test', date: T0 }).text.split('\n');
  assert.ok(lines.includes('  Your device:     MAC 02:00:00:00:00:07'));
  assert.ok(lines.includes('  Also tried from: 2001:db8::7'));
  assert.not.ok(renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0 }).text.includes('Your device'), 'no MAC known');
});

test('who sent it: the router by default, a notice service when a delegated agent sends it', () => {
  const byRouter = renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0 });
  assert.match(byRouter.text, /Your router sent it once, automatically;/);
  const byAgent = renderRecoveryMail(notice(), { from: 'agent@server.example.test', date: T0, sentBy: 'agent' });
  assert.not.match(byAgent.text, /router/);
  assert.match(byAgent.text, /A notice service sent it once, automatically;/);
});

test('the policy\'s subject and text replace backsoon\'s own; control characters never reach a header', () => {
  const mail = renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0, subject: 'Back\r\nBcc: x@evil.test', text: 'It is back.\n.\nBye' });
  const { headers, body } = splitMessage(mail.raw);
  assert.is(headers.get('subject'), 'Back Bcc: x@evil.test');
  assert.not.ok(headers.has('bcc'));
  assert.is(mail.text, 'It is back.\n.\nBye\n');
  assert.is(body, 'It is back.\r\n.\r\nBye\r\n');
});

test('the Message-ID is the same for every rendering of one notice and differs between notices', () => {
  const opts = { from: 'backsoon@router.example.test', utcOffset: JST };
  const a = renderRecoveryMail(notice(), { ...opts, date: T0 });
  const b = renderRecoveryMail(notice(), { ...opts, date: T0 + 3600 });
  const other = renderRecoveryMail(notice({ outage: '198.51.100.10@1' }), { ...opts, date: T0 });
  const otherTo = renderRecoveryMail(notice({ to: 'suzuki@example.test' }), { ...opts, date: T0 });
  assert.is(a.messageId, b.messageId);
  assert.is.not(a.messageId, other.messageId);
  assert.is.not(a.messageId, otherTo.messageId);
});

test('a server without a name shows its address once', () => {
  const mail = renderRecoveryMail(notice({ server: { name: '198.51.100.10', address: '198.51.100.10' } }),
    { from: 'backsoon@router.example.test', date: T0, utcOffset: JST });
  assert.is(mail.subject, 'Server failure recovery notice: 198.51.100.10');
  assert.ok(mail.text.includes('  Server:          198.51.100.10\n'));
});

test('a non-ASCII server name is encoded in the subject and the body, and decodes back', () => {
  const name = 'サーバ.example.test';
  const mail = renderRecoveryMail(notice({ server: { name, address: '198.51.100.10' } }),
    { from: 'backsoon@router.example.test', date: T0, utcOffset: JST });
  const { headers, body } = splitMessage(mail.raw);
  assert.ok(/^[\x20-\x7e\r\n]*$/.test(mail.raw), 'the raw message is 7-bit');
  const subject = headers.get('subject') ?? '';
  assert.match(subject, /^=\?UTF-8\?B\?/);
  const decoded = subject.split(' ').map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
  assert.is(decoded, `Server failure recovery notice: ${name} (198.51.100.10)`);
  assert.is(headers.get('content-transfer-encoding'), 'base64');
  assert.is(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8'), mail.text);
  assert.ok(body.split('\r\n').every((l) => l.length <= 76));
});

test('the dedup key is address (any case) plus outage', () => {
  assert.is(recoveryMailKey(notice()), `mail:sato@example.test|198.51.100.10@${T0}`);
  assert.is(recoveryMailKey(notice({ to: 'Sato@Example.TEST' })), recoveryMailKey(notice()));
  assert.is.not(recoveryMailKey(notice({ outage: 'x' })), recoveryMailKey(notice()));
});

test("an operator's body that 7bit cannot carry (NUL, a 2000-character line) goes as base64 and decodes back", () => {
  const text = `Hello\u0000there\n${'x'.repeat(2000)}\n`;
  const mail = renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0, utcOffset: JST, text });
  const { headers, body } = splitMessage(mail.raw);
  assert.is(headers.get('content-transfer-encoding'), 'base64');
  assert.ok(mail.raw.split('\r\n').every((l) => l.length <= 998));
  assert.is(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8'), text);
  const plain = renderRecoveryMail(notice(), { from: 'backsoon@router.example.test', date: T0, utcOffset: JST, text: 'Back.\n' });
  assert.is(splitMessage(plain.raw).headers.get('content-transfer-encoding'), '7bit');
});

test.run();
