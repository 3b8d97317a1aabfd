// The form's guards: the token binds a post to the page served to that client for that server,
// for a while only; the windows cap posts per client and registrations per address with
// bounded memory; the form parser refuses what is not a plain short form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CsrfTokens } from '../../src/standin/csrf';
import { mailInputProblem, parseFormPost } from '../../src/standin/form';
import { WindowLimiter } from '../../src/standin/rate-limit';

const FORM = 'application/x-www-form-urlencoded';
const T = 1_800_000_000;

test('a token is valid for its client and server, within one to two hours', () => {
  const csrf = new CsrfTokens(3600);
  const token = csrf.issue('192.0.2.10', '198.51.100.10', T);
  assert.ok(csrf.check(token, '192.0.2.10', '198.51.100.10', T));
  assert.ok(csrf.check(token, '192.0.2.10', '198.51.100.10', T + 3600), 'still valid in the next bucket');
  assert.not.ok(csrf.check(token, '192.0.2.10', '198.51.100.10', T + 7300), 'expired two buckets later');
  assert.not.ok(csrf.check(token, '192.0.2.11', '198.51.100.10', T), 'another client');
  assert.not.ok(csrf.check(token, '192.0.2.10', '198.51.100.11', T), 'another server');
  assert.not.ok(new CsrfTokens(3600).check(token, '192.0.2.10', '198.51.100.10', T), 'another process (new secret)');
});

test('missing, malformed and forged tokens are refused', () => {
  const csrf = new CsrfTokens(3600);
  const good = csrf.issue('192.0.2.10', '198.51.100.10', T);
  const bucket = good.split('.')[0];
  for (const bad of [null, undefined, '', 'x', `${bucket}.`, `${bucket}.${'A'.repeat(43)}`, good + 'A', good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A'),
    `${Number(bucket) + 1}.${good.split('.')[1]}`, 'x'.repeat(5000)]) {
    assert.not.ok(csrf.check(bad, '192.0.2.10', '198.51.100.10', T), String(bad).slice(0, 40));
  }
});

test('a window allows `limit` events per key, then says how long to wait', () => {
  const w = new WindowLimiter(3, 600);
  for (let i = 0; i < 3; i++) assert.ok(w.take('192.0.2.10', T + i).allowed);
  const refused = w.take('192.0.2.10', T + 10);
  assert.not.ok(refused.allowed);
  assert.is(refused.retryAfter, 590);
  assert.ok(w.take('192.0.2.11', T + 10).allowed, 'other keys are not affected');
  assert.ok(w.exhausted('192.0.2.10', T + 599));
  assert.ok(w.take('192.0.2.10', T + 600).allowed, 'a new window');
});

test('a flood of distinct keys cannot grow the table; new keys are refused until windows end', () => {
  const w = new WindowLimiter(1, 60, 100);
  for (let i = 0; i < 100; i++) assert.ok(w.take(`k${i}`, T).allowed);
  assert.not.ok(w.take('k-new', T + 1).allowed, 'full of live windows: fail closed');
  assert.is(w.refusedFull, 1);
  assert.is(w.size, 100);
  assert.ok(w.take('k-new', T + 60).allowed, 'ended windows make room');
  assert.ok(w.size <= 100);
});

test('the form parser reads yes/no, address, token, return path, language', () => {
  const r = parseFormPost('csrf=abc.def&mail=+alice%40example.org+&choice=yes&return=%2Fshop%3Fa%3D1&lang=ja', FORM);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.post, { choice: 'yes', mail: 'alice@example.org', token: 'abc.def', returnPath: '/shop?a=1', lang: 'ja' });
  const no = parseFormPost('choice=no&mail=ignored%40example.org&return=%2F%2Fevil.example&lang=%3Cx%3E', `${FORM}; charset=UTF-8`);
  assert.ok(no.ok && no.post.choice === 'no' && no.post.mail === '' && no.post.returnPath === '/' && no.post.lang === null);
});

test('the form parser refuses other content types, bad encoding and long fields', () => {
  assert.not.ok(parseFormPost('mail=a%40b.example', 'text/plain').ok);
  assert.not.ok(parseFormPost('mail=a%40b.example', undefined).ok);
  assert.not.ok(parseFormPost('mail=%E0%A4%A', FORM).ok);
  assert.not.ok(parseFormPost(`mail=${'a'.repeat(1025)}`, FORM).ok);
});

test('addresses with CR/LF, spaces inside or bad syntax are refused; plain ones pass', () => {
  assert.is(mailInputProblem('alice@example.org'), null);
  assert.is(mailInputProblem('a.b+tag@mail.example.co.jp'), null);
  for (const bad of ['alice@example.org\r\nBcc: victim@example.org', 'alice@example.org\n', 'al ice@example.org', 'alice', '@example.org',
    'alice@', 'alice@exa_mple.org', '"alice"@example.org', 'アリス@example.org', 'a'.repeat(65) + '@example.org', '<script>@example.org']) {
    assert.type(mailInputProblem(bad), 'string', JSON.stringify(bad));
  }
});

test.run();
