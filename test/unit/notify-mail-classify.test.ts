// Which transport failures are worth a retry. The error objects have the shape nodemailer
// gives them (code, responseCode, originalCode); the same cases against a real MTA are in
// test/lab/mail.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyMailError } from '../../src/notify/mail';

function err(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

test('SMTP 4xx and 421 are temporary; 5xx permanent, except 503 (a session out of step)', () => {
  const cases: [number, string][] = [[421, 'temporary'], [450, 'temporary'], [451, 'temporary'], [452, 'temporary'],
    [550, 'permanent'], [551, 'permanent'], [552, 'permanent'], [553, 'permanent'], [554, 'permanent'], [503, 'temporary']];
  for (const [responseCode, status] of cases) {
    const d = classifyMailError(err(`Can't send mail: ${responseCode} x`, { code: 'EENVELOPE', responseCode }));
    assert.is(d.status, status, String(responseCode));
  }
});

test('network failures are temporary and say what happened', () => {
  for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY']) {
    assert.is(classifyMailError(err('x', { code })).status, 'temporary', code);
  }
  const refused = classifyMailError(err('connect ECONNREFUSED 127.0.0.1:25', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }));
  assert.equal(refused, { status: 'temporary', detail: 'ESOCKET (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:25' });
  assert.is(classifyMailError(new Error('unknown')).status, 'temporary');
  assert.is(classifyMailError('a string').status, 'temporary');
  assert.is(classifyMailError(null).status, 'temporary');
});

test('authentication and TLS failures wait for the operator instead of dropping notices', () => {
  const auth = classifyMailError(err('Invalid login: 535 5.7.8 bad credentials', { code: 'EAUTH', responseCode: 535 }));
  assert.is(auth.status, 'temporary');
  assert.match(auth.detail ?? '', /check the mail section of the configuration$/);
  assert.is(classifyMailError(err('x', { code: 'ETLS' })).status, 'temporary');
  assert.is(classifyMailError(err('x', { code: 'EREQUIRETLS', responseCode: 530 })).status, 'temporary');
});

test('what nodemailer refuses before any server saw it is permanent', () => {
  assert.is(classifyMailError(err('No recipients defined', { code: 'EENVELOPE' })).status, 'permanent');
  assert.is(classifyMailError(err('Message too big', { code: 'EMESSAGE' })).status, 'permanent');
});

test('a multi-line server reply becomes one line', () => {
  const d = classifyMailError(err('550-first\r\n550 second', { code: 'EENVELOPE', responseCode: 550 }));
  assert.is(d.detail, 'EENVELOPE: 550-first 550 second');
});

test.run();
