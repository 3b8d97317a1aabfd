// The stand-in in the lab, end to end: the router (bs-RUN-st-r) runs the daemon with its
// stand-in input (standin-driver.ts: the daemon's own wiring and state snapshots, with outages
// ordered instead of captured) and backsoon's real nftables table; a headless Chromium runs
// inside the client namespaces; the server (bs-RUN-st-s) runs the lab's "real server" page.
//   - while the server is gone, the client gets the page at the server's own address (P11, P12),
//     in its language, registers through the form, and HTTPS is reset at once;
//   - when the server is back, the open page reloads itself and shows the real server;
//   - attacks through the redirect (markup, forged posts, CR/LF, floods, huge, slow and
//     garbage requests) are refused and counted, and nothing crashes;
//   - after SIGKILL and restart the table matches the saved state; after stop it is gone.
// Root: namespaces bs-RUN-st-{c,c1,c2,r,s}; Debian packages chromium, fonts-noto-cjk, conntrack.
// STANDIN_SCREENSHOTS=DIR saves the pages as PNG there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab, type Role } from './lab';
import { LineDriver, type DriverLine } from './line-driver';
import { PageTrace } from './page-trace';
import type { RawReply, Reply } from '../unit/standin-http';
import type { ProbePlan, ProbeStep } from './standin-probe';

interface FloodResult { statuses: Record<string, number>; refusal: string }

const TAG = 'st';
const SERVER_URL = 'http://198.51.100.10';
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

const tmp = mkdtempSync(join(tmpdir(), 'bs-st-lab-'));
const stateDir = join(tmp, 'state');
const stateFile = join(stateDir, 'state.json');
const configFile = join(tmp, 'backsoon');
writeFileSync(configFile, `config backsoon 'main'
\toption state_dir '${stateDir}'
\toption control_socket '${join(tmp, 'backsoon.sock')}'
\toption snapshot_interval '5'

config server 'web'
\toption address '198.51.100.10'
\toption name 'www.example.test'
\toption standin '1'

config standin
\toption listen_port '8480'
\toption listen_ports '8'
\toption header_timeout '2'
\toption request_timeout '4'
`);
const shots = process.env.STANDIN_SCREENSHOTS ? resolve(process.env.STANDIN_SCREENSHOTS) : join(tmp, 'screenshots');
mkdirSync(shots, { recursive: true });
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** The stand-in driver inside the router namespace, spoken to over its stdin/stdout. */
class Driver extends LineDriver {
  static async start(lab: Lab): Promise<Driver> {
    const child = lab.spawn('r', ['node', '--import', 'tsx', 'test/lab/standin-driver.ts', configFile],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    const d = new Driver(child);
    const ready = await d.next((l) => l.event === 'ready' || l.event === 'error');
    assert.is(ready.event, 'ready', `the driver did not start: ${JSON.stringify(ready)}\n${d.stderr}`);
    return d;
  }

  /** Sends an order; resolves with the driver's answer to it. */
  order(what: 'down' | 'recover' | 'stats' | 'stop', extra: { ago?: number } = {}): Promise<DriverLine> {
    return this.send({ do: what, ...extra });
  }

  /** The stand-in's counters in an answer, as the status report shows them (flat keys). */
  stats(line: DriverLine): Record<string, number> {
    return line.standin as Record<string, number>;
  }

  /** Asks until the stand-in has taken over waiting connections (it does so after loading its table); returns how many. */
  async takenOver(): Promise<number> {
    for (let i = 0; ; i++) {
      const taken = this.stats(await this.order('stats')).takenOver;
      if (taken > 0 || i > 50) return taken;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Asks until the engine has `client` waiting with a contact address; returns the address and the client's MAC. */
  async registered(client: string): Promise<{ mail: string; mac: string | undefined }> {
    for (let i = 0; ; i++) {
      const done = await this.order('stats');
      const mail = (done.contacts as Record<string, string>)[client];
      const waiting = (done.outages as { clients: { client: string; mac?: string }[] }[])[0]?.clients.find((c) => c.client === client);
      if (mail !== undefined && waiting) return { mail, mac: waiting.mac };
      if (i > 100) throw new Error(`${client} never registered: ${JSON.stringify(done)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Waits until the daemon's snapshot on disk says whether the server is down, as an operator would check before pulling the plug. */
async function snapshotSays(down: boolean): Promise<void> {
  for (let i = 0; ; i++) {
    const saved = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '';
    const outages = saved === '' ? null : (JSON.parse(saved) as { outages: { server: string; state: string }[] }).outages;
    if (outages && outages.some((o) => o.server === '198.51.100.10' && o.state === 'down') === down) return;
    if (i > 150) throw new Error(`the snapshot does not say the server is ${down ? 'down' : 'up'}: ${saved.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let lab: Lab;
let driver: Driver;
const browsers = new Map<Role, Browser>();

/** Chromium inside the namespace of `role`: the launcher is `ip netns exec NS chromium`. */
async function browserIn(role: Role): Promise<Browser> {
  const running = browsers.get(role);
  if (running) return running;
  const launcher = join(tmp, `chromium-${role}`);
  writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${lab.ns(role)} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
  const browser = await chromium.launch({ executablePath: launcher, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  browsers.set(role, browser);
  return browser;
}

function nftTable(): string {
  try {
    return execFileSync('ip', ['netns', 'exec', lab.ns('r'), 'nft', 'list', 'table', 'inet', 'backsoon'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `ERROR ${(e as { stderr?: string }).stderr ?? (e as Error).message}`;
  }
}

/** Is a client's connection to the server's web port waiting for an answer (SYN_SENT)? */
function conntrackWaiting(): boolean {
  const out = execFileSync('ip', ['netns', 'exec', lab.ns('r'), 'conntrack', '-L', '-p', 'tcp', '--orig-dst', '198.51.100.10', '--dport', '80', '--state', 'SYN_SENT'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.includes('SYN_SENT');
}

async function probe(role: Role, steps: ProbeStep[]): Promise<unknown[]> {
  const plan: ProbePlan = { host: '198.51.100.10', port: 80, steps };
  const r = await lab.exec(role, ['node', '--import', 'tsx', 'test/lab/standin-probe.ts', JSON.stringify(plan)], { timeoutMs: 60_000 });
  assert.is(r.code, 0, `probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Strings, not functions: the tests are compiled without the DOM library.
const bodyText = (page: Page) => page.evaluate('document.body.innerText') as Promise<string>;
const trace = new PageTrace();
const showsRealServer = (page: Page) => trace.waitForText(page, 'real server', 20_000, () => `stand-in:\n${driver.stderr}`);

test.before(async () => {
  lab = await Lab.up(TAG, { clients: 2, http: true });
  driver = await Driver.start(lab);
});

test.after(async () => {
  for (const b of browsers.values()) await b.close().catch(() => undefined);
  await lab?.down();
});

let englishPage: Page;
let japanesePage: Page;

test('a client already connecting when the server is found down gets the page at its next retry', async () => {
  const warm = await lab.exec('c1', ['curl', '-sS', '--max-time', '10', `${SERVER_URL}/`]);
  assert.match(warm.stdout, 'real server', 'the server answers before it goes');
  await lab.serverGone('addr');
  const waiting = lab.exec('c1', ['curl', '-sS', '--max-time', '30', '-w', '\n%{http_code}', `${SERVER_URL}/early`], { timeoutMs: 40_000 });
  // Its first SYN went out (conntrack has the connection) before the server is marked down.
  for (let i = 0; i < 100 && !conntrackWaiting(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(conntrackWaiting(), 'the client\'s connection is waiting for the server');
  const done = await driver.order('down', { ago: 754 });
  assert.ok(done.down);
  assert.is(await driver.takenOver(), 1);
  const r = await waiting;
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.endsWith('\n503'), r.stdout.slice(-200));
  assert.match(r.stdout, '<title>www.example.test is not reachable</title>');
  assert.match(r.stdout, 'data-return="/early"', 'the request that was waiting is the one answered');
});

test('while the server is down the client gets the page, at the server\'s own address', async () => {
  const table = nftTable();
  assert.match(table, /198\.51\.100\.10 \. 80 : 848\d/, table);
  assert.match(table, '198.51.100.10 . 443');
  const browser = await browserIn('c');
  englishPage = trace.follow(await browser.newPage({ locale: 'en-US' }), 'en');
  const dialogs: string[] = [];
  englishPage.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  const response = await englishPage.goto(`${SERVER_URL}/docs/index.html`, { timeout: 15_000 });
  assert.is(response?.status(), 503);
  assert.is(englishPage.url(), `${SERVER_URL}/docs/index.html`, 'the address bar still shows the server (P12)');
  const text = await bodyText(englishPage);
  assert.match(text, 'www.example.test is not reachable right now');
  assert.match(text, /The server www\.example\.test \(198\.51\.100\.10\) has not been answering since \d{4}-\d\d-\d\d \d\d:\d\d \(UTC[+-]\d\d:\d\d\) \(for 12 min\)\./);
  assert.match(text, 'Your attempt to reach it from 192.0.2.10 was noticed.');
  assert.match(text, 'This page reloads by itself as soon as the server is back.', 'the script ran (CSP allows it)');
  assert.equal(dialogs, []);
  await englishPage.screenshot({ path: join(shots, 'standin-en.png'), fullPage: true });
});

test('HTTPS to the down server is reset at once instead of hanging', async () => {
  const r = await lab.exec('c', ['curl', '-sS', '-o', '/dev/null', '--max-time', '10', 'https://198.51.100.10/']);
  assert.is(r.code, 7, `curl: ${r.stderr}`);
  assert.match(r.stderr, /Couldn't connect|Connection refused/);
});

test('the form registers: the engine gets the address, client and MAC; the confirmation shows the address', async () => {
  await englishPage.fill('#mail', 'alice@example.org');
  await Promise.all([englishPage.waitForNavigation({ timeout: 15_000 }), englishPage.click('button[value=yes]')]);
  assert.is(englishPage.url(), `${SERVER_URL}/.backsoon/register`, 'the form was posted to the server\'s address (P12)');
  const text = await bodyText(englishPage);
  assert.match(text, 'When www.example.test is back, a notice goes to:');
  assert.match(text, 'alice@example.org');
  assert.equal(await driver.registered('192.0.2.10'), { mail: 'alice@example.org', mac: lab.mac('c') });
  await englishPage.screenshot({ path: join(shots, 'standin-en-confirm.png'), fullPage: true });
});

test('a Japanese browser gets the page in Japanese, and can register too', async () => {
  const browser = await browserIn('c1');
  japanesePage = trace.follow(await browser.newPage({ locale: 'ja-JP' }), 'ja');
  await japanesePage.goto(`${SERVER_URL}/`, { timeout: 15_000 });
  const text = await bodyText(japanesePage);
  assert.match(text, 'www.example.test は現在応答していません');
  assert.match(text, '192.0.2.11 からのアクセスは記録されました。');
  await japanesePage.screenshot({ path: join(shots, 'standin-ja.png'), fullPage: true });
  await japanesePage.fill('#mail', 'hanako@example.jp');
  await Promise.all([japanesePage.waitForNavigation({ timeout: 15_000 }), japanesePage.click('button[value=yes]')]);
  assert.match(await bodyText(japanesePage), 'www.example.test が復旧したら、次のアドレスにお知らせします：');
  assert.match(await bodyText(japanesePage), 'hanako@example.jp');
  await japanesePage.screenshot({ path: join(shots, 'standin-ja-confirm.png'), fullPage: true });
  assert.is((await driver.registered('192.0.2.11')).mail, 'hanako@example.jp');
});

test('when the server is back the open pages reload themselves and show the real server', async () => {
  await lab.serverBack();
  const done = await driver.order('recover');
  assert.not.ok(done.down);
  assert.not.match(nftTable(), 'elements', 'the redirect and the reset are gone');
  await showsRealServer(englishPage);
  assert.is(englishPage.url(), `${SERVER_URL}/docs/index.html`);
  assert.match(await bodyText(englishPage), '198.51.100.10 port 80 answered GET /docs/index.html from 192.0.2.10');
  await showsRealServer(japanesePage);
  assert.match(await bodyText(japanesePage), 'answered GET / from 192.0.2.11');
  assert.ok(driver.stats(done).backEvents >= 2 || driver.stats(await driver.order('stats')).backEvents >= 2);
});

test('a browser never runs markup sent in the path or the form', async () => {
  await lab.serverGone('addr');
  await driver.order('down');
  const page = await (await browserIn('c')).newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(`${SERVER_URL}/"><img src=x onerror=alert(document.domain)><script>alert(1)</script>`, { timeout: 15_000 });
  const typed = '"><img src=x onerror=alert(3)>@example.org';
  // This client's address is known, so the form sits behind "Use another address".
  await page.click('summary');
  // Past the browser's own check of type=email, so the stand-in's check is what answers.
  await page.evaluate('document.querySelector("form").noValidate = true');
  await page.fill('#mail', typed);
  await Promise.all([page.waitForNavigation({ timeout: 15_000 }), page.click('button[value=yes]')]);
  assert.match(await bodyText(page), 'This is not a mail address we can send to.');
  assert.is(await page.inputValue('#mail'), typed, 'the markup came back as the field\'s text');
  assert.equal(dialogs, []);
  await page.close();
});

const PAYLOAD = '<script>alert(1)</script>';
/** The page itself has no <img> and no script starting "alert": any of these came from the attacker. */
const RAW_TAGS = ['<script>alert', '<img', '</title><script'];

test('attacks through the redirect are refused and counted; nothing crashes', async () => {
  const hostile = { host: PAYLOAD.replace(/[^\x21-\x7e]/g, ''), 'user-agent': PAYLOAD, 'accept-language': `${PAYLOAD},ja`, referer: PAYLOAD };
  const [page, xssForm, noToken, crlf, tooLarge, slow, garbage, flood, after] = (await probe('c2', [
    { kind: 'get', path: `/${PAYLOAD}"><img%20src=x%20onerror=alert(2)>`, headers: hostile },
    { kind: 'register', fields: { mail: `${PAYLOAD}@example.org`, return: `/${PAYLOAD}`, lang: PAYLOAD, choice: 'yes' }, headers: hostile },
    { kind: 'post', body: 'mail=bob%40example.org&choice=yes' },
    { kind: 'register', fields: { mail: 'victim@example.org\r\nBcc: everyone@example.org', choice: 'yes' } },
    { kind: 'post', body: `mail=a%40b.example&pad=${'x'.repeat(8000)}` },
    { kind: 'raw', chunks: ['GET / HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 30 }, (_, i) => `X-${i}: 1\r\n`)], gapMs: 300, giveUpMs: 15_000 },
    { kind: 'raw', chunks: ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n'] },
    { kind: 'flood', n: 1000 },
    { kind: 'get', path: '/' },
  ])) as [Reply, Reply, Reply, Reply, Reply, RawReply, RawReply, FloodResult, Reply];
  for (const [name, r] of [['get', page], ['form', xssForm]] as const) {
    for (const tag of RAW_TAGS) assert.not.ok(r.body.includes(tag), `${name}: ${tag} unescaped`);
  }
  assert.is(page.status, 503);
  assert.is(noToken.status, 403);
  assert.is(crlf.status, 400);
  assert.is(tooLarge.status, 413);
  assert.ok(slow.closedByServer, 'slow headers: the stand-in closed the connection');
  assert.match(slow.text, /^HTTP\/1\.1 408 /);
  assert.match(garbage.text, /^HTTP\/1\.1 400 Bad Request/);
  // c2 used 4 of its 10 posts above (xss form, no token, CR/LF, too large).
  assert.equal(flood.statuses, { 200: 6, 429: 994 });
  assert.match(flood.refusal, 'Too many forms were sent from your computer.');
  assert.is(after.status, 503, 'the stand-in still answers');
  const stats = driver.stats(await driver.order('stats'));
  assert.is(stats['listener.notHttp'], 1);
  assert.is(stats['listener.timeouts'], 1);
  assert.is(stats['refused.csrf'], 1);
  assert.is(stats['refused.badMail'], 3, 'the browser\'s markup address, the probe\'s, and the CR/LF one');
  assert.is(stats.tooLarge, 1);
  assert.is(stats['refused.clientRate'], 994);
  assert.is(stats.internalErrors, 0);
  const contacts = (await driver.order('stats')).contacts as Record<string, string>;
  assert.not.ok(Object.values(contacts).some((mail) => /[\r\n]/.test(mail)), `no address with a line break reached the engine: ${JSON.stringify(contacts)}`);
});

test('after SIGKILL and restart the table matches the saved state; after stop it is gone', async () => {
  const before = nftTable();
  assert.match(before, /198\.51\.100\.10 \. 80 : 848\d/);
  await snapshotSays(true);
  driver.child.kill('SIGKILL');
  await new Promise((r) => driver.child.once('exit', r));
  assert.match(nftTable(), '198.51.100.10 . 80', 'a killed driver leaves its table behind');
  const dead = await lab.exec('c', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `${SERVER_URL}/`]);
  assert.is.not(dead.stdout, '503', 'nobody answers for the server meanwhile');
  driver = await Driver.start(lab);
  const after = nftTable();
  assert.match(after, /198\.51\.100\.10 \. 80 : 848\d/, after);
  assert.is((after.match(/table inet backsoon/g) ?? []).length, 1);
  const page = await lab.exec('c', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `${SERVER_URL}/`]);
  assert.is(page.stdout, '503', 'the restarted stand-in answers again');
  // Recovery while the driver is dead: the restart finds the server up and intercepts nothing.
  await lab.serverBack();
  await driver.order('recover');
  await snapshotSays(false);
  driver.child.kill('SIGKILL');
  await new Promise((r) => driver.child.once('exit', r));
  driver = await Driver.start(lab);
  assert.not.match(nftTable(), 'elements');
  const real = await lab.exec('c', ['curl', '-sS', '--max-time', '10', `${SERVER_URL}/`]);
  assert.match(real.stdout, 'real server');
  const stopped = await driver.order('stop');
  assert.is(stopped.event, 'stopped');
  assert.match(nftTable(), /^ERROR .*No such file or directory/);
});

test.run();
