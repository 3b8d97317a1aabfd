// The stand-in faces whatever the client network sends: markup in every field, forged or
// missing tokens, header injection through the address, floods, huge or slow requests, bytes
// that are not HTTP. Each is refused in a way a user understands, counted, and nothing crashes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { networkOf } from '../../src/standin/connection-gate';
import {
  fetchPage, form, FORM_HEADERS, raw, register, tokenOf, up, type Harness,
} from './standin-harness';

async function withHarness(fn: (h: Harness) => Promise<void>, opts: Parameters<typeof up>[0] = {}): Promise<void> {
  const h = await up(opts);
  try {
    await fn(h);
    // Whatever was thrown at it, the stand-in still serves the page.
    assert.is((await fetchPage(h.port())).status, 503, 'the stand-in still answers');
    assert.is(h.standin.stats().internalErrors, 0);
  } finally {
    await h.close();
  }
}

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  '</title><script>alert(4)</script>',
];
/** Tags of the payloads: any of them in a page, as sent, would be markup the attacker wrote. */
const RAW = ['<script>alert', '<img src=x', '<svg onload', '</title><script'];

function assertNoRawPayload(body: string, where: string): void {
  for (const r of RAW) assert.not.ok(body.includes(r), `${where}: '${r}' appears unescaped`);
}

test('markup in Host, User-Agent, Accept-Language, Referer, Cookie and the path never appears unescaped', () => withHarness(async (h) => {
  for (const p of PAYLOADS) {
    const path = '/' + encodeURI(p).replace(/%3C/g, '<').replace(/%3E/g, '>').replace(/%22/g, '"').replace(/%20/g, '');
    const r = await fetchPage(h.port(), {
      path,
      headers: { host: p.replace(/[^\x21-\x7e]/g, ''), 'user-agent': p, 'accept-language': `${p},ja`, referer: p, cookie: `a=${p}` },
    });
    assert.is(r.status, 503);
    assertNoRawPayload(r.body, `GET ${path}`);
  }
}));

test('markup in every form field never appears unescaped', () => withHarness(async (h) => {
  for (const p of PAYLOADS) {
    for (const fields of <Record<string, string>[]>[
      { mail: p, choice: 'yes', return: p, lang: p },
      { mail: `${p}@example.org`, choice: p, return: `/${p}` },
      { mail: 'ok@example.org', choice: 'yes', return: `/${p}`, lang: 'ja' },
      { mail: p, csrf: p, choice: 'yes' },
    ]) {
      const r = await register(h.port(), fields, undefined, { 'accept-language': p });
      assertNoRawPayload(r.body, JSON.stringify(fields));
    }
    const bare = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS, body: form({ mail: p, csrf: p, return: p }) });
    assertNoRawPayload(bare.body, 'post with a forged token');
  }
}, { settings: { clientPosts: 1000, addressRegistrations: 1000 } }));

test('a post without a token, or with another client\'s token, is refused and stores nothing', () => withHarness(async (h) => {
  const none = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS, body: form({ mail: 'a@example.org', choice: 'yes' }) });
  assert.is(none.status, 403);
  assert.match(none.body, 'The form had expired. Please send it again.');
  assert.match(none.body, 'value="a@example.org"', 'what was typed is kept for the second try');
  const theirs = tokenOf((await fetchPage(h.port(), { from: '127.0.0.2' })).body);
  const stolen = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS, body: form({ csrf: theirs, mail: 'a@example.org' }) });
  assert.is(stolen.status, 403);
  assert.is(h.registrations.length, 0);
  assert.is(h.engine.contacts.size, 0);
  assert.is(h.standin.stats().refused.csrf, 2);
  // A fresh token from the refusal page works.
  const retry = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS, body: form({ csrf: tokenOf(none.body), mail: 'a@example.org' }) });
  assert.is(retry.status, 200);
}));

test('CR/LF in the address is refused and nothing reaches the engine', () => withHarness(async (h) => {
  for (const mail of ['victim@example.org\r\nBcc: all@example.org', 'victim@example.org\n', '\rvictim@example.org', 'a@b.example\r\n\r\nbody']) {
    const r = await register(h.port(), { mail, choice: 'yes' });
    assert.is(r.status, 400, JSON.stringify(mail));
    assert.match(r.body, 'This is not a mail address we can send to.');
    assert.match(r.body, /required value="">/, 'an address with control characters is not shown again');
  }
  assert.is(h.registrations.length, 0);
  assert.is(h.standin.stats().refused.badMail, 4);
}));

test('a body over max_body gets 413, declared or chunked', () => withHarness(async (h) => {
  const page = await fetchPage(h.port());
  const big = form({ csrf: tokenOf(page.body), mail: 'a@example.org', pad: 'x'.repeat(5000) });
  const declared = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS, body: big });
  assert.is(declared.status, 413);
  assert.match(declared.body, 'The form was too large to be read.');
  const chunked = await raw(h.port(), [
    'POST /.backsoon/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n',
    ...Array.from({ length: 6 }, () => `400\r\n${'y'.repeat(1024)}\r\n`),
    '0\r\n\r\n',
  ]);
  assert.match(chunked.text, /^HTTP\/1\.1 413 /);
  assert.is(h.standin.stats().tooLarge, 2);
  assert.is(h.registrations.length, 0);
}));

test('slow headers are cut off (slowloris), and counted', () => withHarness(async (h) => {
  const drip = ['GET / HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
  const r = await raw(h.port(), drip, 250, 15_000);
  assert.ok(r.closedByServer, 'the server closed the connection before the client gave up');
  assert.match(r.text, /^HTTP\/1\.1 408 /);
  assert.is(h.standin.stats().listener.timeouts, 1);
}, { settings: { headersTimeout: 1, requestTimeout: 2 } }));

test('1,000 posts from one client: the first few are taken, the rest refused with a clear message', () => withHarness(async (h) => {
  const token = tokenOf((await fetchPage(h.port())).body);
  const statuses = new Map<number, number>();
  let refusal = '';
  for (let i = 0; i < 1000; i++) {
    const r = await fetchPage(h.port(), { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS,
      body: form({ csrf: token, mail: `victim+${i}@example.org`, choice: 'yes' }) });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status === 429) refusal = r.body;
  }
  assert.equal([...statuses].sort(), [[200, 10], [429, 990]]);
  assert.match(refusal, 'Too many forms were sent from your computer. Please try again in 10 minutes.');
  assert.is(h.registrations.length, 10);
  assert.is(h.standin.stats().refused.clientRate, 990);
}));

test('one address registered from many clients is capped (no mail-bombing through the form)', () => withHarness(async (h) => {
  const results: number[] = [];
  for (let n = 2; n <= 7; n++) results.push((await register(h.port(), { mail: 'Victim@Example.org', choice: 'yes' }, `127.0.0.${n}`)).status);
  assert.equal(results, [200, 200, 200, 429, 429, 429]);
  const r = await register(h.port(), { mail: 'victim@example.org', choice: 'yes' }, '127.0.0.8');
  assert.is(r.status, 429, 'case does not make another address');
  assert.match(r.body, 'This mail address was given too often. Please try again in 24 hours.');
  assert.is(h.registrations.length, 3);
}));

test('bytes that are not HTTP get 400 and are counted', () => withHarness(async (h) => {
  const garbage = [
    Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), // a TLS ClientHello on port 80
    Buffer.from('\x00\x01\x02\x03\xff\xfe\r\n\r\n', 'latin1'),
    Buffer.from('GET / HTTP/1.1\r\nBad Header Line\r\n\r\n'),
    Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'),
  ];
  for (const g of garbage) {
    const r = await raw(h.port(), [g]);
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request/, g.toString('latin1'));
  }
  assert.is(h.standin.stats().listener.notHttp, 4);
}));

test('oversized headers get 431; CONNECT is refused', () => withHarness(async (h) => {
  const big = await raw(h.port(), [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`]);
  assert.match(big.text, /^HTTP\/1\.1 431 /);
  const connect = await raw(h.port(), ['CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n']);
  assert.match(connect.text, /^HTTP\/1\.1 405 /);
  assert.is(h.standin.stats().listener.headersTooLarge, 1);
}));

test('one client cannot hold more than its share of connections', () => withHarness(async (h) => {
  const { connect } = await import('node:net');
  const sockets = Array.from({ length: 6 }, () => connect({ host: '127.0.0.1', port: h.port(), localAddress: '127.0.0.3' }));
  const closed = sockets.map((s) => new Promise<boolean>((r) => { s.on('close', () => r(true)); s.on('error', () => undefined); }));
  await Promise.all(sockets.map((s) => new Promise((r) => s.on('connect', r))));
  // Two of six are cut: the cap is 4 for one address.
  const cut = await Promise.race([Promise.all(closed.slice(4)), new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
  assert.equal(cut, [true, true]);
  assert.is(h.standin.stats().listener.connectionsRefused, 2);
  assert.is((await fetchPage(h.port(), { from: '127.0.0.4' })).status, 503, 'other clients still get in');
  for (const s of sockets) s.destroy();
}, { settings: { maxClientConnections: 4 } }));

/** `n` connections from `from` that send half a request and then nothing (slowloris). */
async function slowConnections(port: number, from: string, n: number) {
  const { connect } = await import('node:net');
  const sockets = Array.from({ length: n }, () => connect({ host: '127.0.0.1', port, localAddress: from }));
  const closed = sockets.map((s) => new Promise<true>((r) => { s.on('close', () => r(true)); s.on('error', () => undefined); }));
  await Promise.all(sockets.map((s) => new Promise((r) => s.on('connect', r))));
  for (const s of sockets) s.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 100)); // admitted by the listener
  return { sockets, closed, open: () => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length };
}

test('every slot held by slow clients: an honest client is served, the oldest slow one of the heaviest is closed', () => withHarness(async (h) => {
  const first = await slowConnections(h.port(), '127.0.0.5', 6);
  const second = await slowConnections(h.port(), '127.0.0.6', 2);
  for (let i = 0; i < 5; i++) assert.is((await fetchPage(h.port(), { from: '127.0.0.7' })).status, 503, `honest request ${i + 1} served`);
  // The first request made its room by closing the heaviest client's oldest slow connection; the
  // slot it left (the page closes its connection) served the other four.
  assert.is(await first.closed[0], true);
  assert.is(first.open(), 5);
  assert.is(h.standin.stats().listener.connectionsEvicted, 1);
  assert.is(h.standin.stats().listener.connectionsRefused, 0);
  assert.is(second.open(), 2, 'the lighter slow client was not touched');
  for (const s of [...first.sockets, ...second.sockets]) s.destroy();
}, { settings: { maxConnections: 8, maxClientConnections: 8 } }));

test('a client as heavy as the others gets no room: two equal clients do not evict each other', () => withHarness(async (h) => {
  const a = await slowConnections(h.port(), '127.0.0.8', 4);
  const b = await slowConnections(h.port(), '127.0.0.9', 4);
  const more = await slowConnections(h.port(), '127.0.0.8', 1);
  assert.is(await more.closed[0], true, 'refused');
  assert.is(a.open() + b.open(), 8);
  assert.is(h.standin.stats().listener.connectionsRefused, 1);
  assert.is(h.standin.stats().listener.connectionsEvicted, 0);
  for (const s of [...a.sockets, ...b.sockets]) s.destroy();
}, { settings: { maxConnections: 8, maxClientConnections: 8 } }));

test('one /24 holds at most its share; another network is not affected, the same network makes room from its heaviest', () => withHarness(async (h) => {
  const hog = await slowConnections(h.port(), '127.0.1.2', 4);
  const extra = await slowConnections(h.port(), '127.0.1.2', 1);
  assert.is(await extra.closed[0], true, 'the network is full and its own heaviest client gets no room');
  assert.is((await fetchPage(h.port(), { from: '127.0.1.3' })).status, 503, 'a light client of the same network is served');
  assert.is((await fetchPage(h.port(), { from: '127.0.2.3' })).status, 503, 'another network is served');
  assert.is(hog.open(), 3);
  for (const s of hog.sockets) s.destroy();
}, { settings: { maxConnections: 100, maxClientConnections: 8, maxNetworkConnections: 4 } }));

test('the network of a client: /24 for IPv4 (dual-stack form too), /64 for IPv6', () => {
  assert.is(networkOf('192.0.2.10'), '192.0.2.0/24');
  assert.is(networkOf('::ffff:192.0.2.77'), '192.0.2.0/24');
  assert.is(networkOf('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.is(networkOf('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.is(networkOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.is(networkOf('::1'), '0:0:0:0::/64');
});

test.run();
