// The three hooks as an operator uses them, and the checks on what they return.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PolicyClient, PolicyNotice, PolicyOutage } from '../../src/policy/types';
import { localAt, policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

const anna: PolicyClient = { address: '192.0.2.10', mac: '02:00:5e:00:53:0a', hostname: 'anna-laptop' };
const guest: PolicyClient = { address: '192.0.2.11' };

function outage(minutes: number, endHour: number): PolicyOutage {
  const until = localAt(endHour, 0);
  return { server: '198.51.100.7', name: 'intranet', since: until - minutes * 60, until, cause: 'syn-timeout', now: until };
}

function notice(overrides: Partial<PolicyNotice> = {}): PolicyNotice {
  return {
    kind: 'recovery', outage: outage(10, 14), client: anna, to: 'anna@example.com',
    defaults: { subject: 'Server failure recovery notice: intranet (198.51.100.7)', body: 'default body\n' }, ...overrides,
  };
}

test('contactFor maps a DHCP host name to a company address, else no answer', async () => {
  const { policy } = await files.load('contact.js', `
    const people = { 'anna-laptop': 'anna.schmidt', 'bob-pc': 'bob' };
    function contactFor(client) {
      const user = client.hostname && people[client.hostname];
      return user ? user + '@example.com' : null;
    }`);
  assert.is(policy.contactFor(anna), 'anna.schmidt@example.com');
  assert.is(policy.contactFor(guest), null);
  assert.is(policy.lastFailure(), null);
  assert.equal(policy.hooks, ['contactFor']);
  policy.dispose();
});

test('contactFor: a result that is not a mail address is refused and logged', async () => {
  const { policy, logs } = await files.load('contact-bad.js', `
    function contactFor(client) {
      if (client.address === '192.0.2.10') return 'anna@example.com>\\r\\nBcc: x@evil.example';
      if (client.address === '192.0.2.11') return 42;
      if (client.address === '192.0.2.12') return 'no-at-sign';
      return undefined;
    }`);
  assert.is(policy.contactFor(anna), null);
  assert.is(policy.lastFailure()?.kind, 'invalid');
  assert.is(policy.contactFor(guest), null);
  assert.match(policy.lastFailure()!.message, /a number \(42\)/);
  assert.is(policy.contactFor({ address: '192.0.2.12' }), null);
  assert.match(policy.lastFailure()!.message, /no-at-sign/);
  // Returning nothing is a plain "no answer", not a failure.
  assert.is(policy.contactFor({ address: '192.0.2.13' }), null);
  assert.is(policy.lastFailure(), null);
  assert.is(logs.length, 3);
  assert.match(logs[0], /^warn: policy: contactFor returned .*control character.*the default applies/);
  assert.is(policy.stats().invalidResults, 3);
  policy.dispose();
});

test('shouldNotify: minimum outage length and quiet hours, from the data passed in', async () => {
  const { policy } = await files.load('notify.js', `
    function shouldNotify(outage, client) {
      if (outage.durationSeconds < 120) return false;          // blips are not worth a mail
      if (outage.local.hour >= 22 || outage.local.hour < 7) return false; // quiet hours
      return true;
    }`);
  assert.is(policy.shouldNotify(outage(1, 14), anna), false);
  assert.is(policy.shouldNotify(outage(10, 14), anna), true);
  assert.is(policy.shouldNotify(outage(10, 23), anna), false);
  assert.is(policy.shouldNotify(outage(10, 6), anna), false);
  assert.is(policy.shouldNotify({ ...outage(10, 9), until: undefined, now: localAt(9, 0) }, anna), true);
  assert.is(policy.stats().errors, 0);
  policy.dispose();
});

test('shouldNotify: anything but a boolean is refused and the client is notified', async () => {
  const { policy } = await files.load('notify-bad.js', `
    function shouldNotify(outage) { return outage.durationSeconds > 300 ? 'yes' : 0; }`);
  assert.is(policy.shouldNotify(outage(10, 14), anna), true);
  assert.match(policy.lastFailure()!.message, /the string "yes".*expected true or false/);
  assert.is(policy.shouldNotify(outage(1, 14), anna), true);
  assert.is(policy.stats().perHook.shouldNotify.errors, 2);
  policy.dispose();
});

test('render: overrides subject, body and page text, and sees the defaults', async () => {
  const { policy } = await files.load('render.js', `
    function render(notice) {
      if (notice.kind === 'standin') return { pageText: notice.outage.name + ' is being repaired.' };
      return {
        subject: 'Wieder da: ' + notice.outage.name,
        body: 'Hallo,\\n\\n' + notice.outage.name + ' war ' + Math.round(notice.outage.durationSeconds / 60) + ' Minuten weg.\\n\\n' + notice.defaults.body,
      };
    }`);
  assert.equal(policy.render(notice()), {
    subject: 'Wieder da: intranet',
    body: 'Hallo,\n\nintranet war 10 Minuten weg.\n\ndefault body\n',
  });
  assert.equal(policy.render(notice({ kind: 'standin', defaults: { pageText: 'down' } })), { pageText: 'intranet is being repaired.' });
  policy.dispose();
});

test('render: CR/LF or other controls in the subject, unknown fields, oversize texts are refused whole', async () => {
  const { policy, logs } = await files.load('render-bad.js', `
    function render(notice) {
      switch (notice.client.address) {
        case '1': return { subject: 'ok\\r\\nBcc: victim@example.com' };
        case '2': return { subject: 'ok\\u0000' };
        case '3': return { subject: 'fine', subjet: 'typo' };
        case '4': return { body: 'x'.repeat(70000) };
        case '5': return { subject: 12 };
        case '6': return ['subject'];
        case '7': return { body: 'bell\\u0007' };
        case '8': return { subject: 'line\\u2028separator' };
        case '9': return { pageText: 'lone \\ud800 surrogate' };
        default: return null;
      }
    }`);
  for (const address of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) {
    assert.equal(policy.render(notice({ client: { address } })), {}, `case ${address}`);
    assert.is(policy.lastFailure()?.kind, 'invalid', `case ${address}`);
  }
  assert.equal(policy.render(notice({ client: { address: '10' } })), {});
  assert.is(policy.lastFailure(), null);
  assert.match(logs[0], /subject that contains a control character/);
  assert.match(logs[2], /unknown field "subjet"/);
  assert.match(logs[3], /70000 characters long/);
  assert.is(policy.stats().invalidResults, 9);
  policy.dispose();
});

test('hooks get copies: changing an argument does not reach the daemon, host objects are not there', async () => {
  const { policy } = await files.load('isolation.js', `
    function contactFor(client) {
      client.address = 'changed';
      return [typeof process, typeof require, typeof globalThis.fetch, typeof std].join('-') + '@example.com';
    }`);
  const client = { address: '192.0.2.10' };
  assert.is(policy.contactFor(client), 'undefined-undefined-undefined-undefined@example.com');
  assert.is(client.address, '192.0.2.10');
  policy.dispose();
});

test('replacing JSON or Reflect in the file does not break how results are read', async () => {
  const { policy } = await files.load('tamper.js', `
    JSON.parse = function () { return ['tampered']; };
    JSON.stringify = function () { return '{"value":"evil@example.com"}'; };
    Reflect.apply = function () { return 'evil@example.com'; };
    function contactFor(client) { return client.hostname + '@example.com'; }`);
  assert.is(policy.contactFor(anna), 'anna-laptop@example.com');
  policy.dispose();
});

test('state kept in the file persists between calls of a healthy sandbox', async () => {
  const { policy } = await files.load('state.js', `
    let seen = 0;
    const contactFor = (client) => 'n' + (++seen) + '@example.com';`);
  assert.is(policy.contactFor(anna), 'n1@example.com');
  assert.is(policy.contactFor(anna), 'n2@example.com');
  policy.dispose();
});

test('hooks the file does not define give the defaults without counting as calls', async () => {
  const { policy } = await files.load('only-render.js', 'function render() { return {}; }');
  assert.is(policy.contactFor(anna), null);
  assert.is(policy.shouldNotify(outage(10, 14), anna), true);
  assert.equal(policy.stats().calls, 0);
  assert.ok(!policy.has('contactFor'));
  assert.ok(policy.has('render'));
  policy.dispose();
});

test('stats count calls and errors per hook', async () => {
  const { policy } = await files.load('stats.js', `
    function contactFor(c) { if (c.hostname) throw new Error('no directory'); return null; }
    function shouldNotify() { return true; }`);
  policy.contactFor(anna);
  policy.contactFor(guest);
  policy.shouldNotify(outage(10, 14), anna);
  const stats = policy.stats();
  assert.is(stats.calls, 3);
  assert.is(stats.errors, 1);
  assert.equal(stats.perHook.contactFor, { calls: 2, errors: 1 });
  assert.equal(stats.perHook.shouldNotify, { calls: 1, errors: 0 });
  assert.equal(stats.perHook.render, { calls: 0, errors: 0 });
  policy.dispose();
});

test('a disposed policy refuses further calls loudly', async () => {
  const { policy } = await files.load('disposed.js', 'function contactFor() { return null; }');
  policy.dispose();
  policy.dispose();
  assert.throws(() => policy.contactFor(anna), /after dispose/);
});

test.run();
