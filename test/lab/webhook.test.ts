// Webhooks end to end: outage events through the durable outbox to an HTTP receiver started
// here on 127.0.0.1, which checks each request as docs/WEBHOOKS.md tells a receiver to, and
// answers as the test tells it (503 then 200, 404, silence, a redirect).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookConfig } from '../../src/config/types';
import { Outbox, type OutboxEvent } from '../../src/notify/outbox/outbox';
import type { OutageEvent } from '../../src/notify/targets-collect';
import { queueOutbound } from '../../src/notify/outbound';
import { WEBHOOK_CHANNEL, webhookChannel, webhookMessages } from '../../src/notify/webhook';
import { OutageDispatcher, type DispatchConfig } from '../../src/notify/targets-dispatch';
import { parseIPv4 } from '../../src/net/ipv4';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { ipFromV4 } from '../../src/net/ip';

const SECRET = 'a long random shared secret';
const T0 = 1_795_000_000;
const recovered: OutageEvent = {
  kind: 'recovered', t: T0 + 723, server: '198.51.100.10', since: T0, cause: 'syn-ack', outage: `198.51.100.10@${T0}`, stale: 0,
  clients: [{ client: '192.0.2.7', addresses: ['192.0.2.7'], firstAttempt: T0 + 1, lastAttempt: T0 + 9, contact: 'alice@example.test' }],
};

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** What the receiver concluded from the signature, computed here independently of backsoon's code. */
  readonly genuine: boolean;
}

/** The receiver: records each request and answers with the next status of `answers` (the last one repeats). */
async function receiver(answers: (number | 'silence' | 'redirect')[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ts = String(req.headers['x-backsoon-timestamp'] ?? '');
      const sig = String(req.headers['x-backsoon-signature'] ?? '');
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.`).update(body).digest('hex')}`;
      const genuine = sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected)) &&
        Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, genuine });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)];
      if (answer === 'silence') return; // never answers
      if (answer === 'redirect') { res.writeHead(301, { Location: 'https://elsewhere.example.test/' }).end(); return; }
      res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer >= 400 ? `status ${answer} from the test` : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    received, url: `http://127.0.0.1:${port}/hooks/backsoon?token=abc`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function wire(webhooks: WebhookConfig[]) {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-hook-outbox-'));
  const events: OutboxEvent[] = [];
  const logs: string[] = [];
  const outbox = await Outbox.open({
    dir, log: (_l, line) => logs.push(line), onEvent: (e) => events.push(e), backoff: { initialMs: 200, maxMs: 400, jitter: 0 },
  });
  outbox.registerChannel(WEBHOOK_CHANNEL, webhookChannel((url) => webhooks.find((h) => h.url === url), { userAgent: 'backsoon/test' }));
  return { outbox, events, logs, close: async () => { await outbox.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('a signed POST; 503 is retried with the same body and id, then 200 finishes it', async () => {
  const r = await receiver([503, 200]);
  const hook: WebhookConfig = { url: r.url, secret: SECRET, events: ['recovered'], timeout: 5 };
  const w = await wire([hook]);
  try {
    assert.equal(await queueOutbound(w.outbox, webhookMessages([hook], recovered, 'www.example.test')), { queued: 1, duplicate: 0, problems: [] });
    await w.outbox.settled();
    assert.is(r.received.length, 2);
    const [first, second] = r.received;
    for (const req of r.received) {
      assert.is(req.method, 'POST');
      assert.is(req.path, '/hooks/backsoon?token=abc');
      assert.is(req.headers['content-type'], 'application/json');
      assert.is(req.headers['user-agent'], 'backsoon/test');
      assert.is(req.headers['x-backsoon-event'], 'recovered');
      assert.ok(req.genuine, 'the receiver verifies the signature over timestamp + "." + body');
    }
    assert.ok(first.body.equals(second.body), 'a retry posts the same bytes');
    assert.is(first.headers['x-backsoon-delivery'], second.headers['x-backsoon-delivery']);
    const doc = JSON.parse(first.body.toString());
    assert.is(doc.id, first.headers['x-backsoon-delivery']);
    assert.is(doc.event, 'recovered');
    assert.equal(doc.clients.map((c: { address: string }) => c.address), ['192.0.2.7']);
    assert.equal(w.events.map((e) => e.type), ['queued', 'retry', 'sent']);
    const retry = w.events[1];
    assert.match(retry.type === 'retry' ? retry.detail : '', /^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/hooks\/backsoon\?\.\.\.: status 503 from the test$/);
    assert.ok(!w.logs.join('\n').includes('token=abc'), 'no query string (token) in the log');
  } finally {
    await w.close();
    await r.close();
  }
});

test('429 and timeouts are retried; 404 and redirects are given up at once', async () => {
  for (const [answers, expected] of [
    [[429, 204], ['queued', 'retry', 'sent']],
    [['silence', 200], ['queued', 'retry', 'sent']],
    [[404], ['queued', 'given-up']],
    [['redirect'], ['queued', 'given-up']],
  ] as const) {
    const r = await receiver([...answers]);
    const hook: WebhookConfig = { url: r.url, secret: SECRET, events: ['down'], timeout: 1 };
    const w = await wire([hook]);
    try {
      await queueOutbound(w.outbox, webhookMessages([hook], { kind: 'down', t: T0, server: '198.51.100.10', since: T0, cause: 'icmp-unreachable', outage: `x@${T0}`, waitingClients: 1 }, ''));
      await w.outbox.settled();
      assert.equal(w.events.map((e) => e.type), [...expected], JSON.stringify(answers));
      if (answers[0] === 'silence') {
        const retry = w.events[1];
        assert.match(retry.type === 'retry' ? retry.detail : '', /no complete answer from .* within 1 s/);
      }
      if (answers[0] === 'redirect') {
        const gave = w.events[1];
        assert.match(gave.type === 'given-up' ? gave.detail : '', /redirects are not followed; set option url to the final address/);
      }
    } finally {
      await w.close();
      await r.close();
    }
  }
});

test('a receiver that is not listening yet: connection refused is retried until it is', async () => {
  const r = await receiver([200]);
  const url = r.url;
  await r.close(); // the port is free now: connection refused
  const hook: WebhookConfig = { url, secret: SECRET, events: ['down'], timeout: 2 };
  const w = await wire([hook]);
  try {
    await queueOutbound(w.outbox, webhookMessages([hook], { kind: 'down', t: T0, server: '198.51.100.10', since: T0, cause: 'arp-silence', outage: `y@${T0}`, waitingClients: 0 }, ''));
    for (let i = 0; w.events.filter((e) => e.type === 'retry').length < 2; i++) {
      if (i > 200) throw new Error(JSON.stringify(w.events));
      await new Promise((res) => setTimeout(res, 20));
    }
    const retry = w.events.find((e) => e.type === 'retry');
    assert.match(retry?.type === 'retry' ? retry.detail : '', /ECONNREFUSED/);
    // bring a receiver up on that very port
    const port = Number(new URL(url).port);
    const seen: string[] = [];
    const again = http.createServer((req, res) => { seen.push(req.headers['x-backsoon-event'] as string); res.writeHead(200).end(); });
    await new Promise<void>((res) => again.listen(port, '127.0.0.1', res));
    try {
      await w.outbox.settled();
      assert.equal(seen, ['down']);
      assert.is(w.outbox.stats().sent, 1);
    } finally {
      again.closeAllConnections();
      await new Promise<void>((res) => again.close(() => res()));
    }
  } finally {
    await w.close();
  }
});

test('a webhook removed from the configuration is given up; each webhook gets its own copy', async () => {
  const a = await receiver([200]);
  const b = await receiver([200]);
  const hooks: WebhookConfig[] = [
    { url: a.url, secret: SECRET, events: ['recovered', 'notify'], timeout: 5 },
    { url: b.url, secret: null, events: ['recovered'], timeout: 5 },
  ];
  const w = await wire(hooks.slice(0, 1));
  try {
    assert.equal(await queueOutbound(w.outbox, webhookMessages(hooks, recovered, 'www')), { queued: 3, duplicate: 0, problems: [] });
    await w.outbox.settled();
    assert.equal(a.received.map((r) => r.headers['x-backsoon-event']).sort(), ['notify', 'recovered']);
    assert.is(JSON.parse(a.received.find((r) => r.headers['x-backsoon-event'] === 'notify')!.body.toString()).client.mail, 'alice@example.test');
    assert.is(b.received.length, 0, 'b is not in the running configuration');
    assert.is(w.outbox.stats().failed, 1);
  } finally {
    await w.close();
    await a.close();
    await b.close();
  }
});

test('as the daemon wires it: engine decisions -> OutageDispatcher -> attached webhook channel', async () => {
  const r = await receiver([200]);
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-hook-outbox-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const config: DispatchConfig = {
    servers: [], mail: null, snmpOut: null,
    webhooks: [{ url: r.url, secret: SECRET, events: ['down', 'recovered'], timeout: 5 }],
  };
  const dispatcher = new OutageDispatcher({ outbox: () => outbox, config: () => config, log: () => {}, userAgent: 'backsoon/0.1.0' });
  try {
    dispatcher.attach(outbox);
    const engine = new Engine({ ...defaultEngineOptions, routerAddresses: [{ address: ipFromV4(parseIPv4('192.0.2.1')!), mac: 0 }] }, (d) => dispatcher.push(d));
    engine.icmpUnreachable(T0, parseIPv4('192.0.2.1')!, 0, parseIPv4('192.0.2.7')!, parseIPv4('198.51.100.10')!, 1, 6, 40000, 80);
    engine.recoverySignal(T0 + 60, ipFromV4(parseIPv4('198.51.100.10')!), 'trap');
    await dispatcher.settle();
    await outbox.settled();
    assert.equal(r.received.map((q) => q.headers['x-backsoon-event']).sort(), ['down', 'recovered']);
    assert.ok(r.received.every((q) => q.genuine && q.headers['user-agent'] === 'backsoon/0.1.0'));
    const down = JSON.parse(r.received.find((q) => q.headers['x-backsoon-event'] === 'down')!.body.toString());
    assert.is(down.waitingClients, 1);
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
    await r.close();
  }
});

test.run();
