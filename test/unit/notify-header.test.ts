// Hostile input must not reach a mail header: no added header, no early end of the header
// block, no bidi trick, no overlong line, and invalid addresses are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMailAddress, mailAddressProblem, parseMailbox } from '../../src/notify/mail-address';
import { cleanText, encodeUnstructured, headerField } from '../../src/notify/mail-header';
import type { RecoveryNotice } from '../../src/notify/notice';
import { renderRecoveryMail } from '../../src/notify/render-mail';
import { fixedUtcOffset } from '../../src/notify/time-format';

const EXPECTED_HEADERS = ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', 'auto-submitted', 'x-backsoon-outage'];

const base: RecoveryNotice = {
  to: 'sato@example.test', client: '192.0.2.7', server: { name: 'www.example.test', address: '198.51.100.10' },
  outageStart: 1_795_000_000, recoveredAt: 1_795_000_723, firstAttempt: 1_795_000_061, lastAttempt: 1_795_000_300,
  outage: '198.51.100.10@1795000000',
};
const opts = { from: 'backsoon@router.example.test', date: 1_795_000_724, utcOffset: fixedUtcOffset(540) };

/** Checks the header block line by line as an MTA reads it; returns the field names. */
function headerNames(raw: string): string[] {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'the message has a header block');
  const block = raw.slice(0, end);
  assert.not.match(block, /\r(?!\n)|(?<!\r)\n/, 'no bare CR or LF in the headers');
  const names: string[] = [];
  for (const line of block.split('\r\n')) {
    assert.ok(line.length <= 998, `line longer than 998: ${line.length}`);
    assert.not.match(line, /[\u0000-\u0008\u000a-\u001f\u007f]/, 'no control character');
    if (/^[ \t]/.test(line)) {
      assert.ok(line.trim().length > 0, 'no whitespace-only continuation line');
      continue;
    }
    const m = /^([A-Za-z0-9-]+):/.exec(line);
    assert.ok(m, `not a header line: ${JSON.stringify(line)}`);
    names.push(m![1].toLowerCase());
  }
  return names;
}

test('valid addresses pass', () => {
  for (const a of ['sato@example.test', 'a.b+tag@mail.example.test', "o'brien@example.test", 'x@localhost',
    'user_1@xn--r8jz45g.example', `${'a'.repeat(64)}@example.test`]) {
    assert.is(mailAddressProblem(a), null, a);
  }
});

test('hostile and malformed addresses are refused, each with a reason', () => {
  const bad = [
    '', 'sato@example.test\r\nBcc: victim@example.test', 'sato@example.test\nBcc: x@y.test', 'sato@example.test\r',
    'sato@exa\u0000mple.test', 'sato @example.test', '<sato@example.test>', 'a@example.test,b@example.test',
    'Sato <sato@example.test>', '"sato"@example.test', 'sato@[192.0.2.1]', 'sato@-example.test',
    'sato@example..test', 'sa..to@example.test', '.sato@example.test', 'sato.@example.test', 'sato@',
    '@example.test', 'satoexample.test', 'sätö@example.test', 'sato@exämple.test', 'sato@example.test\u2028',
    'sato@example.test\u0085', `${'a'.repeat(65)}@example.test`, `a@${'b'.repeat(64)}.test`,
    `a@${'b.'.repeat(130)}test`, 'sato@example.test\t', 'sato@exam_ple.test', 'a@b@example.test',
  ];
  for (const a of bad) {
    const problem = mailAddressProblem(a);
    assert.type(problem, 'string', `accepted ${JSON.stringify(a)}`);
    assert.not.ok(isMailAddress(a));
  }
});

test('a hostile recipient stops the rendering with an error that names the client and the fix', () => {
  for (const to of ['sato@example.test\r\nBcc: victim@example.test', 'a@b.test, c@d.test', 'x']) {
    assert.throws(() => renderRecoveryMail({ ...base, to }, opts), (err: Error) =>
      err.message.includes('client 192.0.2.7') && err.message.includes('fix the contact') && !/[\r\n]/.test(err.message));
  }
});

test('a hostile server name cannot add headers or end the header block', () => {
  const names = [
    'evil\r\nBcc: victim@example.test', 'evil\r\n\r\nInjected body', 'evil\nBcc: victim@example.test',
    'evil\rBcc: victim@example.test', 'evil\u0000\u0007\u001b[31m', 'evil\u2028Bcc: victim@example.test',
    'evil\u0085Bcc: x', '\u202egro.elpmaxe', '=?UTF-8?B?QmNjOiB2aWN0aW0=?=', 'ev\til', ' \r\n ',
    'a'.repeat(5000), `${'word '.repeat(300)}end`, 'サーバ\r\nBcc: x@example.test',
  ];
  for (const name of names) {
    const mail = renderRecoveryMail({ ...base, server: { name, address: '198.51.100.10' } }, opts);
    assert.equal(headerNames(mail.raw), EXPECTED_HEADERS, JSON.stringify(name));
    assert.not.match(mail.text, /[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u202e]/, 'the body is clean too');
    assert.not.match(mail.raw, /\r\nBcc:/i);
  }
});

test('an encoded-word look-alike in the subject is itself encoded, so it is not decoded as a header', () => {
  const v = encodeUnstructured('=?UTF-8?B?QmNjOiB2aWN0aW0=?=', 200);
  assert.match(v, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
  assert.is(Buffer.from(v.slice(10, -2), 'base64').toString(), '=?UTF-8?B?QmNjOiB2aWN0aW0=?=');
});

test('hostile outage ids and client strings are cleaned where they reach the header and body', () => {
  const mail = renderRecoveryMail({ ...base, outage: 'x\r\nBcc: y@example.test', client: '192.0.2.7\r\nBcc: z' }, opts);
  assert.equal(headerNames(mail.raw), EXPECTED_HEADERS);
  assert.not.match(mail.text, /\r/);
});

test('the sender from the configuration: plain, with a name, or refused with the option named', () => {
  assert.equal(parseMailbox('backsoon@router.example.test', 'x'), { name: null, address: 'backsoon@router.example.test' });
  assert.equal(parseMailbox('Router "R1" <r1@example.test>', 'x'), { name: 'Router "R1"', address: 'r1@example.test' });
  assert.throws(() => parseMailbox('Evil\r\nBcc: x <a@example.test>', "config mail option 'from'"),
    /config mail option 'from': mail address/);
  assert.throws(() => parseMailbox('a@example.test\r\nBcc: x@example.test', 'x'));
  const quoted = renderRecoveryMail(base, { ...opts, from: 'Router "R1", 2F <r1@example.test>' });
  const from = /^From: (.*)$/m.exec(quoted.raw)?.[1];
  assert.is(from, '"Router \\"R1\\", 2F" <r1@example.test>');
  const utf8 = renderRecoveryMail(base, { ...opts, from: 'ルータ <r1@example.test>' });
  assert.match(utf8.raw, /^From: =\?UTF-8\?B\?[^ ]+\?= <r1@example\.test>\r\n/);
});

test('cleanText and headerField, the two gates', () => {
  assert.is(cleanText('a\r\n\tb\u0000c\u202e  d ', 100), 'a b c d');
  assert.is(cleanText('x'.repeat(20), 10), 'xxxxxxx...');
  assert.throws(() => headerField('Subject', 'a\r\nBcc: b'), /control character/);
  assert.throws(() => headerField('Bad Name', 'x'), /not a token/);
  const folded = headerField('Subject', 'word '.repeat(40).trim());
  assert.ok(folded.split('\r\n').every((l) => l.length <= 78));
  assert.ok(folded.split('\r\n').slice(1).every((l) => l.startsWith(' ')));
});

// A seeded generator throws random strings from a hostile alphabet at every text field.
test('random hostile input never produces a malformed header block', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const alphabet = ['a', 'Z', ' ', '\r', '\n', '\t', '\u0000', ':', '<', '>', '"', '=?', '?=', '\u2028', '\u202e',
    'é', '漢', '😀', '\\', ',', '@', '\u007f', '\u0085', '.'];
  const garbage = (n: number) => Array.from({ length: Math.floor(rand() * n) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  for (let i = 0; i < 500; i++) {
    const mail = renderRecoveryMail({
      ...base, server: { name: garbage(200), address: garbage(20) }, client: garbage(20), outage: garbage(40),
    }, opts);
    assert.equal(headerNames(mail.raw), EXPECTED_HEADERS);
  }
});

test.run();
