// The page a client sees instead of a down server, served by a real StandIn on 127.0.0.1 and
// fed by a real Engine: what it says, in which language, what the form does to the engine's
// tables, and how open pages learn that the server is back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo } from 'node:net';
import { parseIp } from '../../src/net/ip';
import {
  eventStream, fetchPage, form, FORM_HEADERS, register, SERVER, SERVER_NAME, tokenOf, up, type Harness,
} from './standin-harness';

async function withHarness(fn: (h: Harness) => Promise<void>, opts: Parameters<typeof up>[0] = {}): Promise<void> {
  const h = await up(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const visible = (html: string) => html.replace(/<style>.*?<\/style>|<script>.*?<\/script>/gs, '').replace(/<[^>]+>/g, '');

test('any path and method gets the page: 503, Retry-After, Connection: close, no-store', () => withHarness(async (h) => {
  for (const [method, path] of [['GET', '/'], ['GET', '/deep/path/index.html?q=1'], ['POST', '/login'], ['PUT', '/x'], ['DELETE', '/'], ['OPTIONS', '*'], ['HEAD', '/']]) {
    const r = await fetchPage(h.port(), { method, path });
    assert.is(r.status, 503, `${method} ${path}`);
    assert.is(r.headers['retry-after'], '30');
    assert.is(r.headers.connection, 'close');
    assert.is(r.headers['cache-control'], 'no-store');
    assert.match(String(r.headers['content-security-policy']), "default-src 'none'");
    if (method !== 'HEAD') assert.match(visible(r.body), `${SERVER_NAME} is not reachable right now`, `${method} ${path}`);
  }
}));

test('the page names the server from the tables, says since when, and that the attempt was noticed', () => withHarness(async (h) => {
  const r = await fetchPage(h.port(), { path: '/', headers: { host: 'evil.example', 'user-agent': 'UA-MARKER' }, from: '127.0.0.7' });
  const text = visible(r.body);
  assert.match(text, `The server ${SERVER_NAME} (198.51.100.10) has not been answering since 2027-01-15 16:55 (UTC+09:00) (for 5 min).`);
  assert.match(text, 'Your attempt to reach it from 127.0.0.7 was noticed.');
  assert.not.match(r.body, 'evil.example');
  assert.not.match(r.body, 'UA-MARKER');
  assert.match(text, 'Would you like a mail when it is back?');
  assert.match(r.body, /<form method="post" action="\/\.backsoon\/register">/);
  const outage = h.engine.outageList()[0];
  assert.equal(outage.clients.map((c) => c.client), ['127.0.0.7'], 'the page view registered the attempt in the engine');
}));

test('Japanese for Accept-Language ja, English otherwise, and the language links switch', () => withHarness(async (h) => {
  const ja = await fetchPage(h.port(), { headers: { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' } });
  assert.match(ja.body, '<html lang="ja"');
  assert.match(visible(ja.body), `${SERVER_NAME} は現在応答していません`);
  assert.match(visible(ja.body), '復旧したときにメールでお知らせしましょうか？');
  const en = await fetchPage(h.port(), { headers: { 'accept-language': 'de-DE,en;q=0.5' } });
  assert.match(en.body, '<html lang="en"');
  const switched = await fetchPage(h.port(), { path: '/?lang=ja', headers: { 'accept-language': 'en' } });
  assert.match(switched.body, '<html lang="ja"');
  assert.match(en.body, '<a lang="ja" href="?lang=ja">日本語</a>');
}));

test('the form registers: address stored with client and time, client linked, confirmation shows it', () => withHarness(async (h) => {
  const r = await register(h.port(), { mail: 'alice@example.org', choice: 'yes', return: '/shop' }, '127.0.0.9');
  assert.is(r.status, 200);
  assert.is(r.headers.connection, 'close');
  assert.match(visible(r.body), 'When www.example.test is back, a notice goes to:');
  assert.match(r.body, '<p class="mail">alice@example.org</p>');
  assert.match(r.body, 'data-return="/shop"', 'the page goes back to what the user wanted');
  assert.equal(h.registrations.map((x) => [x.server.text, x.client.text, x.mail]), [['198.51.100.10', '127.0.0.9', 'alice@example.org']]);
  const contact = h.engine.contacts.lookup(parseIp('127.0.0.9')!, 0);
  assert.equal(contact, { mail: 'alice@example.org', registeredAt: h.clock.t, source: 'page' });
  assert.equal(h.engine.outageList()[0].clients.map((c) => c.client), ['127.0.0.9']);
  assert.is(h.standin.stats().registrations, 1);
}));

test('a registration that could not be saved is not confirmed: the page says so, in the client\'s language', () => withHarness(async (h) => {
  const r = await register(h.port(), { mail: 'alice@example.org', choice: 'yes', return: '/shop' }, '127.0.0.9');
  assert.is(r.status, 503);
  assert.is(r.headers['retry-after'], '60');
  assert.match(visible(r.body), 'Your address could not be saved: the router cannot write to its storage right now. Please try again later.');
  assert.not.match(r.body, 'a notice goes to');
  assert.match(r.body, '<a href="/shop">');
  const ja = await register(h.port(), { mail: 'alice@example.org', choice: 'yes', lang: 'ja' }, '127.0.0.9');
  assert.match(visible(ja.body), 'アドレスを保存できませんでした');
  assert.is(h.standin.stats().refused.notSaved, 2);
  assert.is(h.standin.stats().registrations, 0);
}, { callbacks: { register: async () => 'not-saved' as const } }));

test('a known address is shown masked with an offer to change it; an old one is asked for again', () => withHarness(async (h) => {
  await register(h.port(), { mail: 'alice@example.org', choice: 'yes' });
  const known = await fetchPage(h.port());
  assert.match(visible(known.body), 'We will tell you at a***@example.org when it is back.');
  assert.not.match(known.body, 'alice@example.org', 'the full address is not shown to whoever uses this client next');
  assert.match(known.body, '<summary>Use another address</summary>');
  h.clock.t += 3601;
  const stale = await fetchPage(h.port());
  assert.match(visible(stale.body), 'The address we have for you (a***@example.org) was given on 2027-01-15 17:00 (UTC+09:00).');
  assert.match(stale.body, /<input type="email"[^>]* required value="">/);
}, { settings: { reaskAfter: 3600 } }));

test('an address from the configuration is never asked for again, and no form offers to change it', () => withHarness(async (h) => {
  h.engine.contacts.set({ client: parseIp('127.0.0.1')! }, { mail: 'office@example.org', registeredAt: 0, source: 'config' });
  const r = await fetchPage(h.port());
  assert.match(visible(r.body), 'We will tell you at o***@example.org when it is back.');
  assert.match(visible(r.body), 'administrator set this address; it cannot be changed here.');
  assert.not.match(r.body, 'Use another address');
  assert.not.match(r.body, '<form', 'a form would only be refused');
  h.clock.t += 10 * 86_400;
  assert.not.match((await fetchPage(h.port())).body, '<form', 'not after reask_after either');
  const ja = await fetchPage(h.port(), { headers: { 'accept-language': 'ja' } });
  assert.match(visible(ja.body), 'このアドレスはネットワーク管理者が設定したもので、ここでは変更できません。');
}));

test('"no thanks" is remembered for this outage only and stores nothing', () => withHarness(async (h) => {
  const no = await register(h.port(), { choice: 'no', mail: 'ignored@example.org' });
  assert.is(no.status, 200);
  assert.match(visible(no.body), 'You will not be told when www.example.test is back.');
  assert.is(h.registrations.length, 0);
  assert.is(h.engine.contacts.lookup(parseIp('127.0.0.1')!, 0), undefined);
  const again = await fetchPage(h.port());
  assert.match(visible(again.body), 'You chose not to be told about this outage');
  assert.match(again.body, '<details><summary>Changed your mind?</summary>');
  // The outage ends and a new one begins: the client is asked again.
  h.engine.recoverySignal(h.clock.t, SERVER, 'probe');
  await h.standin.sync();
  h.clock.t += 60;
  h.engine.markDown(h.clock.t, SERVER, 'neigh-failed');
  await h.standin.sync();
  const next = await fetchPage(h.port());
  assert.match(visible(next.body), 'Would you like a mail when it is back?');
  assert.is(h.standin.stats().declined, 1);
}));

/**
 * nft cannot run without root: this mock records the scripts and holds back the second (the
 * removal at recovery) until release().
 */
function nftHoldingRemovalMock() {
  const m = {
    scripts: [] as string[],
    held: 0,
    release: () => undefined as void,
    nft: (script: string): Promise<void> => {
      m.scripts.push(script);
      if (m.scripts.length !== 2) return Promise.resolve();
      m.held++;
      return new Promise<void>((r) => { m.release = r; });
    },
  };
  return m;
}

test('open pages are told the server is back only after its redirect is gone', async () => {
  const mock = nftHoldingRemovalMock();
  const h = await up({ nft: mock.nft });
  try {
    const port = h.port();
    assert.match(mock.scripts[0], '198.51.100.10 . 80 : ' + port);
    const stream = eventStream(port);
    const opened = await stream.opened;
    assert.is(opened.status, 200);
    assert.is(opened.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.is(h.standin.stats().eventStreams, 1);
    let ended = false;
    void stream.ended.then(() => { ended = true; });
    h.engine.recoverySignal(h.clock.t, SERVER, 'probe');
    while (mock.held === 0) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(ended, 'no page is told while the redirect is still in place');
    mock.release();
    const body = await stream.ended;
    assert.match(body, 'event: back\ndata: {}\n\n');
    assert.not.match(mock.scripts[1], 'elements', 'the server\'s redirect and reset are gone');
    await h.standin.sync();
    assert.equal(h.standin.stats().active, []);
    assert.is(h.standin.stats().backEvents, 1);
  } finally {
    mock.release();
    await h.close();
  }
});

/** Opens a page's event stream and checks it is still open 50 ms later; `ended` is its end. */
async function waitingStream(port: number): Promise<{ ended: Promise<string> }> {
  const stream = eventStream(port);
  assert.is((await stream.opened).status, 200);
  let ended = false;
  void stream.ended.then(() => { ended = true; });
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(ended, 'no page is told while the redirect is still in place');
  return { ended: stream.ended };
}

test('a page that opens its stream after the engine\'s recovery waits until the stand-in has removed the redirect', () => withHarness(async (h) => {
  const port = h.port();
  // The engine says the server is back, but no decision has reached the stand-in yet: told now,
  // the page would reload into the redirect and get the stand-in again.
  h.forward.decisions = false;
  h.engine.recoverySignal(h.clock.t, SERVER, 'probe');
  const { ended } = await waitingStream(port);
  await h.standin.sync();
  assert.match(await ended, 'event: back');
  assert.not.match(h.nftScripts[h.nftScripts.length - 1], 'elements');
}));

test('a page asked for while the redirect is being removed says the server is back and reloads once it is gone', async () => {
  const mock = nftHoldingRemovalMock();
  const h = await up({ nft: mock.nft });
  try {
    const port = h.port();
    h.engine.recoverySignal(h.clock.t, SERVER, 'probe');
    while (mock.held === 0) await new Promise((r) => setImmediate(r));
    const page = await fetchPage(port, { path: '/shop' });
    assert.match(visible(page.body), 'is reachable again');
    assert.match(page.body, '<html lang="en" data-return="/shop">', 'the page has the reload script\'s return path');
    assert.match(page.body, '<script>');
    // Its stream (opened by the page's script) waits for the removal.
    const { ended } = await waitingStream(port);
    mock.release();
    assert.match(await ended, 'event: back');
    assert.is(h.standin.stats().backEvents, 1);
  } finally {
    mock.release();
    await h.close();
  }
});

test('a post after recovery stores nothing and links back', () => withHarness(async (h) => {
  const port = h.port();
  const page = await fetchPage(port);
  // Keep the listener: recover in the engine only.
  h.forward.decisions = false;
  h.engine.recoverySignal(h.clock.t, SERVER, 'probe');
  const r = await fetchPage(port, { method: 'POST', path: '/.backsoon/register', headers: FORM_HEADERS,
    body: form({ csrf: tokenOf(page.body), mail: 'late@example.org', choice: 'yes', return: '/a' }) });
  assert.is(r.status, 503);
  assert.match(visible(r.body), 'is reachable again');
  assert.match(r.body, '<a href="/a">');
  assert.is(h.engine.contacts.size, 0);
}));

test('the operator\'s page text appears, escaped', () => withHarness(async (h) => {
  const r = await fetchPage(h.port());
  assert.match(r.body, '<p>Maintenance until 18:00 &lt;b&gt;sorry&lt;/b&gt;</p>');
}, { callbacks: { pageText: () => 'Maintenance until 18:00 <b>sorry</b>' } }));

test('an outage the engine forgets to make room (expired, evicted) ends the stand-in as a recovery does', () => withHarness(async (h) => {
  const port = h.port();
  const before = h.nftScripts.length;
  // 16 more idle outages: the server table (16) is full and the oldest idle one, SERVER's, goes.
  for (let i = 1; i <= 16; i++) h.engine.markDown(h.clock.t + i, parseIp(`198.51.100.${100 + i}`)!, 'neigh-failed');
  assert.not.ok(h.engine.isDown(SERVER));
  for (const deadline = Date.now() + 3000; h.standin.listenPort(SERVER) !== null && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
  assert.is(h.standin.listenPort(SERVER), null, 'the redirect and its listener are gone');
  assert.is(h.nftScripts.length, before + 1, 'the rules were rewritten without the server');
  assert.not.match(h.nftScripts.at(-1)!, '198.51.100.10');
  const refused = await fetchPage(port).then(() => 'served', (err: NodeJS.ErrnoException) => err.code);
  assert.is(refused, 'ECONNREFUSED');
}, { settings: {} }));

test('servers not configured for the stand-in, or not down, get no listener', () => withHarness(async (h) => {
  const other = parseIp('198.51.100.99')!;
  h.engine.markDown(h.clock.t, other, 'neigh-failed');
  await h.standin.onDown(other);
  assert.is(h.standin.listenPort(other), null);
  await h.standin.onDown(SERVER);
  assert.is(h.standin.stats().active.length, 1, 'a repeated down changes nothing');
  assert.ok(h.standin.intercepts(SERVER, 80));
  assert.ok(h.standin.intercepts(SERVER, 443));
  assert.not.ok(h.standin.intercepts(SERVER, 22));
  assert.not.ok(h.standin.intercepts(other, 80));
}));

test('a server going down: listener, then redirect, then waiting connections sent to it', async () => {
  const h = await up({ down: false });
  try {
    h.engine.markDown(h.clock.t, SERVER, 'neigh-failed');
    await h.standin.sync();
    assert.equal(h.kernel, ['nft', 'nft', 'conntrack 198.51.100.10:80'], 'start (empty table), down (redirect), then the flush');
    assert.match(h.nftScripts[1], `198.51.100.10 . 80 : ${h.port()}`);
    assert.is(h.standin.stats().takenOver, 1);
  } finally {
    await h.close();
  }
});

test('a failing callback is logged and counted; it does not reject into the engine\'s sink', async () => {
  let broken = false;
  const h = await up({ down: false, callbacks: { isDown: () => { if (broken) throw new Error('engine exploded'); return false; } } });
  try {
    broken = true;
    await h.standin.onDown(SERVER); // would reject (and end the process from a `void` call) if passed on
    assert.is(h.standin.stats().internalErrors, 1);
    assert.match(h.logs.join('\n'), 'engine exploded');
  } finally {
    await h.close();
  }
});

test('start stands in for servers already down; stop removes the table', async () => {
  const h = await up();
  assert.is(h.nftScripts.length, 1);
  assert.match(h.nftScripts[0], 'elements = { 198.51.100.10 . 80 : ');
  await h.close();
  assert.is(h.nftScripts[1], 'table inet backsoon\ndelete table inet backsoon\n');
  const quiet = await up({ down: false });
  try {
    assert.not.match(quiet.nftScripts[0], 'elements', 'nothing down: an empty table replaces any leftover');
    assert.is(quiet.standin.listenPort(SERVER), null);
  } finally {
    await quiet.close();
  }
});

test('a port held by another process is skipped; when the range is used up the server is counted, not stood in for', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const held = (holder.address() as AddressInfo).port;
  try {
    const h = await up({ settings: { portBase: held, portCount: 1 } });
    try {
      assert.is(h.standin.listenPort(SERVER), null);
      assert.is(h.standin.stats().portBusy, 1);
      assert.is(h.standin.stats().noPort, 1);
      assert.match(h.logs.join('\n'), /no free listener port for 198\.51\.100\.10.*raise listen_ports/);
    } finally {
      await h.close();
    }
  } finally {
    holder.close();
  }
});

test.run();
