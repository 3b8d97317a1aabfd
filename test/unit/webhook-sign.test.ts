// Webhooks without a network: the signature a receiver checks, the documents it receives, the
// retry classification of HTTP answers, and the config webhook sections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import type { Findings } from '../../src/config/section-reader';
import { SectionReader } from '../../src/config/section-reader';
import { sectionSpec } from '../../src/config/schema';
import { parseUci } from '../../src/config/uci';
import type { OutageExpiredEvent, ServerRecoveredEvent } from '../../src/notify/outbound-edges';
import { classifyHttpStatus, redactUrl } from '../../src/notify/webhook';
import { webhookDocuments } from '../../src/notify/webhook-body';
import { readWebhooks } from '../../src/notify/webhook-config';
import { signWebhook, webhookSignatureProblem } from '../../src/notify/webhook-sign';

const SECRET = 'a long random shared secret';

test('signature: HMAC-SHA256 of "timestamp.body", as docs/WEBHOOKS.md tells a receiver to compute it', () => {
  const body = '{"version":1,"event":"down"}';
  const independent = createHmac('sha256', SECRET).update(`1795000000.${body}`).digest('hex');
  assert.is(signWebhook(SECRET, 1795000000, body), `sha256=${independent}`);
  assert.is(signWebhook(SECRET, 1795000000, Buffer.from(body)), `sha256=${independent}`);
});

test('a receiver accepts the genuine request and refuses altered, forged, stale and unsigned ones', () => {
  const body = '{"version":1,"event":"recovered"}';
  const ts = 1795000000;
  const sig = signWebhook(SECRET, ts, body);
  const check = (over: Partial<Parameters<typeof webhookSignatureProblem>[0]>) =>
    webhookSignatureProblem({ secret: SECRET, signature: sig, timestamp: String(ts), body, now: ts + 3, ...over });
  assert.is(check({}), null);
  assert.match(check({ body: body.replace('recovered', 'down') }) ?? '', /does not match/);
  assert.match(check({ secret: 'another secret of some length' }) ?? '', /does not match/);
  assert.match(check({ timestamp: String(ts + 1) }) ?? '', /does not match/, 'the timestamp is signed too');
  assert.match(check({ now: ts + 301 }) ?? '', /301 s off/);
  assert.match(check({ signature: undefined }) ?? '', /missing or malformed X-Backsoon-Signature/);
  assert.match(check({ timestamp: 'yesterday' }) ?? '', /X-Backsoon-Timestamp/);
});

test('HTTP answers: 2xx sent; 408, 429 and 5xx retried; other 4xx and redirects given up', () => {
  assert.is(classifyHttpStatus(204, '').status, 'sent');
  for (const s of [408, 425, 429, 500, 502, 503, 504]) assert.is(classifyHttpStatus(s, '').status, 'temporary', String(s));
  for (const s of [400, 401, 403, 404, 410, 413, 422]) assert.is(classifyHttpStatus(s, '').status, 'permanent', String(s));
  const redirect = classifyHttpStatus(301, '');
  assert.is(redirect.status, 'permanent');
  assert.match(redirect.detail ?? '', /set option url to the final address/);
});

test('a URL in a log line loses its query string', () => {
  assert.is(redactUrl('https://hooks.example.test/in?token=s3cr3t'), 'https://hooks.example.test/in?...');
  assert.is(redactUrl('http://127.0.0.1:8080/hook'), 'http://127.0.0.1:8080/hook');
});

const T0 = 1_795_000_000;
const recovered: ServerRecoveredEvent = {
  kind: 'recovered', t: T0 + 60, server: '198.51.100.10', since: T0, cause: 'syn-ack', outage: `198.51.100.10@${T0}`, stale: 0,
  clients: [
    { client: '192.0.2.7', addresses: ['192.0.2.7'], firstAttempt: T0 + 1, lastAttempt: T0 + 9, contact: 'alice@example.test', mac: '02:00:5e:10:00:01' },
    { client: '192.0.2.8', addresses: ['192.0.2.8'], firstAttempt: T0 + 2, lastAttempt: T0 + 2 },
  ],
};

test('documents: one per subscribed event, notify one per client with its mail, stable ids and keys', () => {
  const url = 'https://hooks.example.test/in';
  const docs = webhookDocuments(url, ['recovered', 'notify'], recovered, 'www.example.test');
  assert.equal(docs.map((d) => d.event), ['recovered', 'notify', 'notify']);
  const rec = JSON.parse(docs[0].body);
  assert.equal(rec, {
    version: 1, event: 'recovered', id: rec.id, time: '2026-11-18T11:07:40Z',
    server: { address: '198.51.100.10', name: 'www.example.test' },
    outage: { id: '198.51.100.10@1795000000', start: '2026-11-18T11:06:40Z', end: '2026-11-18T11:07:40Z', recoveryCause: 'syn-ack' },
    waitingClients: 2,
    clients: [
      { address: '192.0.2.7', firstAttempt: '2026-11-18T11:06:41Z', lastAttempt: '2026-11-18T11:06:49Z', mac: '02:00:5e:10:00:01' },
      { address: '192.0.2.8', firstAttempt: '2026-11-18T11:06:42Z', lastAttempt: '2026-11-18T11:06:42Z' },
    ],
  });
  assert.is(JSON.parse(docs[1].body).client.mail, 'alice@example.test');
  assert.is(JSON.parse(docs[2].body).client.mail, undefined);
  assert.equal(new Set(docs.map((d) => d.key)).size, 3);
  const again = webhookDocuments(url, ['recovered', 'notify'], recovered, 'www.example.test');
  assert.equal(again, docs, 'the same event gives the same bytes and keys (dedup in the outbox)');
  assert.is.not(webhookDocuments('https://other.example.test/', ['recovered'], recovered, '')[0].key, docs[0].key);
  assert.equal(webhookDocuments(url, ['down'], recovered, ''), []);
  const down = webhookDocuments(url, ['down'], { kind: 'down', t: T0, server: '198.51.100.10', since: T0, cause: 'icmp-unreachable', outage: `198.51.100.10@${T0}`, waitingClients: 1 }, '');
  assert.equal(JSON.parse(down[0].body).outage, { id: '198.51.100.10@1795000000', start: '2026-11-18T11:06:40Z', cause: 'icmp-unreachable' });
  assert.is(JSON.parse(down[0].body).server.name, '198.51.100.10');
});

test('expired: one document when subscribed, with the outage id its down carried and why it ended', () => {
  const url = 'https://hooks.example.test/in';
  const event: OutageExpiredEvent = { kind: 'expired', t: T0 + 600, server: '198.51.100.10', since: T0, cause: 'evicted', outage: `198.51.100.10@${T0}` };
  const [doc, ...more] = webhookDocuments(url, ['down', 'expired'], event, 'www.example.test');
  assert.equal(more, []);
  assert.is(doc.event, 'expired');
  const body = JSON.parse(doc.body);
  assert.equal(body, {
    version: 1, event: 'expired', id: body.id, time: '2026-11-18T11:16:40Z',
    server: { address: '198.51.100.10', name: 'www.example.test' },
    outage: { id: '198.51.100.10@1795000000', start: '2026-11-18T11:06:40Z', end: '2026-11-18T11:16:40Z', expiryCause: 'evicted' },
  });
  assert.equal(webhookDocuments(url, ['down', 'recovered', 'notify'], event, ''), [], 'not posted to a webhook that did not ask for it');
});

test('a device that tried from several addresses lists them; one address, no list', () => {
  const device: ServerRecoveredEvent = {
    ...recovered,
    clients: [{ client: '192.0.2.7', addresses: ['192.0.2.7', '2001:db8:1::7'], firstAttempt: T0 + 1, lastAttempt: T0 + 9, contact: 'alice@example.test' }, recovered.clients[1]],
  };
  const [rec, notify] = webhookDocuments('https://hooks.example.test/in', ['recovered', 'notify'], device, '');
  assert.equal(JSON.parse(rec.body).clients.map((c: { addresses?: string[] }) => c.addresses ?? null), [['192.0.2.7', '2001:db8:1::7'], null]);
  assert.equal(JSON.parse(notify.body).client.addresses, ['192.0.2.7', '2001:db8:1::7']);
});

function read(text: string) {
  const { pkg, errors } = parseUci(text, 'backsoon');
  assert.equal(errors, []);
  const findings: Findings = { file: 'backsoon', errors: [], warnings: [] };
  const readers = pkg.sections.filter((s) => s.type === 'webhook').map((s) => new SectionReader(findings, sectionSpec('webhook')!, s));
  return { webhooks: readWebhooks(readers), errors: findings.errors.map((e) => `${e.line}: ${e.message}`), warnings: findings.warnings.map((e) => `${e.line}: ${e.message}`) };
}

test('config webhook: defaults, and each wrong URL refused with its line and fix', () => {
  const ok = read(`config webhook\n\toption url 'https://hooks.example.test/in'\n\toption secret '${SECRET}'\n`);
  assert.equal(ok.webhooks, [{ url: 'https://hooks.example.test/in', secret: SECRET, events: ['down', 'recovered', 'expired'], timeout: 10 }]);
  assert.equal(ok.errors, []);
  assert.equal(ok.warnings, []);
  const bad = read([
    "config webhook\n\toption url 'ftp://hooks.example.test/in'",
    "config webhook\n\toption url 'https://user:pw@hooks.example.test/'",
    "config webhook\n\toption url 'not a url'",
    "config webhook\n\toption url 'https://a.example.test/#frag'",
    "config webhook\n\toption url 'https://b.example.test/x'\n\tlist event 'notify'",
    "config webhook\n\toption url 'https://b.example.test/x'",
    "config webhook\n\toption url 'https://c.example.test/'\n\toption secret 'short'",
  ].join('\n') + '\n');
  assert.equal(bad.errors, [
    '2: option url in section @webhook[0] (config webhook) has the scheme ftp:; only http:// and https:// are posted to',
    '4: option url in section @webhook[1] (config webhook) holds a user name or password; remove it (use option secret to authenticate the requests)',
    '6: option url in section @webhook[2] (config webhook) is not a URL; write it as https://host/path',
    "8: option url in section @webhook[3] (config webhook) holds a '#' fragment, which is never sent; remove it",
    '13: option url in section @webhook[5]: section @webhook[4] at line 10 has the same URL; give each URL one section (list event takes several events)',
    bad.errors[5],
  ]);
  assert.match(bad.errors[5], /^16: option secret \(value not shown\) in section @webhook\[6\]/);
  assert.ok(bad.warnings.some((w) => /has no option secret/.test(w)));
});

test.run();
