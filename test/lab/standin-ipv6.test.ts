// The stand-in over IPv6 in a dual-stack lab (Lab.up ipv6): the router (bs-RUN-s6-r) runs the
// stand-in for the IPv6 server 2001:db8:2::10 (standin6-driver.ts: a real Engine, the real
// nftables table); a headless Chromium in the client namespace (2001:db8:1::10, and IPv4)
// opens http://[2001:db8:2::10]/ while the server is down, gets the page through the ip6
// redirect, registers through the form, and reloads into the real server when it is back.
// Root: namespaces bs-RUN-s6-{c,r,s}; Debian packages chromium, nftables, conntrack.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab } from './lab';
import { LineDriver, type DriverLine } from './line-driver';
import { PageTrace } from './page-trace';

const TAG = 's6';
const SERVER6 = '2001:db8:2::10';
const CLIENT6 = '2001:db8:1::10';
const SERVER_URL = `http://[${SERVER6}]`;
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

const tmp = mkdtempSync(join(tmpdir(), 'bs-s6-lab-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

class Driver extends LineDriver {
  async order(what: 'down' | 'recover' | 'stats'): Promise<DriverLine> {
    const line = await this.send({ do: what });
    assert.is(line.event, 'done', `${JSON.stringify(line)}\n${this.stderr}`);
    return line;
  }
}

let lab: Lab;
let driver: Driver;
let browser: Browser | null = null;
let page: Page;

const trace = new PageTrace();

const bodyText = (p: Page) => p.evaluate('document.body.innerText') as Promise<string>;

function nftTable(): string {
  return execFileSync('ip', ['netns', 'exec', lab.ns('r'), 'nft', 'list', 'table', 'inet', 'backsoon'], { encoding: 'utf8' });
}

test.before(async () => {
  lab = await Lab.up(TAG, { http: true, ipv6: true });
  const child = lab.spawn('r', ['node', '--import', 'tsx', 'test/lab/standin6-driver.ts', SERVER6, CLIENT6], { stdio: ['pipe', 'pipe', 'pipe'] });
  driver = new Driver(child);
  const ready = await driver.next((l) => l.event === 'ready' || l.event === 'error');
  assert.is(ready.event, 'ready', `the driver did not start: ${JSON.stringify(ready)}\n${driver.stderr}`);
  const launcher = join(tmp, 'chromium-c');
  writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${lab.ns('c')} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
  browser = await chromium.launch({ executablePath: launcher, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
});

test.after(async () => {
  await browser?.close().catch(() => undefined);
  driver?.child.kill('SIGTERM');
  await lab?.down();
});

test('the real IPv6 server answers the client before the outage (the lab works)', async () => {
  const p = await browser!.newPage({ locale: 'en-US' });
  await p.goto(`${SERVER_URL}/`, { timeout: 15_000 });
  assert.match(await bodyText(p), 'real server');
  await p.close();
});

test('while the IPv6 server is down the client gets the page at the server\'s own address', async () => {
  const down = await driver.order('down');
  assert.equal((down.active as { server: string }[]).map((a) => a.server), [SERVER6]);
  const table = nftTable();
  assert.match(table, /2001:db8:2::10 \. 80 : 848\d/, table);
  assert.match(table, /2001:db8:2::10 \. 443/, table);
  page = trace.follow(await browser!.newPage({ locale: 'en-US' }), 'page');
  const response = await page.goto(`${SERVER_URL}/docs/index.html`, { timeout: 15_000 });
  assert.is(response?.status(), 503);
  assert.is(page.url(), `${SERVER_URL}/docs/index.html`, 'the address bar still shows the server');
  const text = await bodyText(page);
  assert.match(text, 'www6.example.test is not reachable right now');
  assert.match(text, `(${SERVER6})`);
  assert.match(text, `Your attempt to reach it from ${CLIENT6} was noticed.`);
  assert.match(text, 'This page reloads by itself as soon as the server is back.');
});

test('the form registers the IPv6 client: the engine holds its contact and the client waits for the server', async () => {
  await page.fill('#mail', 'alice@example.org');
  await Promise.all([page.waitForNavigation({ timeout: 15_000 }), page.click('button[value=yes]')]);
  assert.is(page.url(), `${SERVER_URL}/.backsoon/register`);
  assert.match(await bodyText(page), 'alice@example.org');
  const stats = await driver.order('stats');
  assert.equal(stats.contacts, { [CLIENT6]: 'alice@example.org' });
  const outages = stats.outages as { server: string; clients: { client: string }[] }[];
  assert.equal(outages.map((o) => [o.server, o.clients.map((c) => c.client)]), [[SERVER6, [CLIENT6]]]);
});

test('when the IPv6 server is back the open page reloads itself and shows the real server', async () => {
  // the page that confirmed the registration keeps its event stream open too
  await page.goto(`${SERVER_URL}/docs/index.html`, { timeout: 15_000 });
  assert.match(await bodyText(page), 'This page reloads by itself');
  const done = await driver.order('recover');
  assert.equal(done.active, []);
  assert.not.match(nftTable(), 'elements');
  await trace.waitForText(page, 'real server', 20_000, () => `stand-in:\n${driver.stderr}`);
  assert.is(page.url(), `${SERVER_URL}/docs/index.html`);
  assert.match(await bodyText(page), `answered GET /docs/index.html from ${CLIENT6}`);
});

test.run();
