// The stand-in for an IPv6 server and an IPv6 client, in this process on ::1 (the kernel's part,
// the ip6 redirect, is in test/lab/standin-nft.test.ts): the page, the form's registration in
// the engine, the page's reload when the server is back, and the stand-in's own replies kept
// from the engine by the 16 bytes of the server's address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseIp } from '../../src/net/ip';
import { eventStream, fetchPage, register, up, type Harness } from './standin-harness';

const SERVER6 = parseIp('2001:db8:0:1::80')!;
const CLIENT6 = '::1';

async function withHarness(run: (h: Harness, at: { host: string; port: number }) => Promise<void>): Promise<void> {
  const h = await up({ server: SERVER6, settings: { listenAddress: '::1' } });
  try {
    await run(h, { host: '::1', port: h.port() });
  } finally {
    await h.close();
  }
}

test('an IPv6 client gets the page of an IPv6 server, with both addresses as they are', () => withHarness(async (h, at) => {
  const r = await fetchPage(at, { path: '/shop' });
  assert.is(r.status, 503);
  assert.match(r.body, 'www.example.test');
  assert.match(r.body, '2001:db8:0:1::80');
  assert.match(r.body, '<form');
  // the attempt is the engine's, from the IPv6 client
  assert.equal(h.engine.outageList()[0].clients.map((c) => c.client), [CLIENT6]);
  assert.equal(h.standin.stats().active.map((a) => a.server), ['2001:db8:0:1::80']);
}));

test('the form registers an IPv6 client: the engine holds its contact and links it to the server', () => withHarness(async (h, at) => {
  const r = await register(at, { mail: 'alice@example.org', choice: 'yes', return: '/shop' });
  assert.is(r.status, 200);
  assert.match(r.body, '<p class="mail">alice@example.org</p>');
  assert.equal(h.registrations.map((x) => [x.server.text, x.client.text, x.mail]), [['2001:db8:0:1::80', CLIENT6, 'alice@example.org']]);
  assert.equal(h.engine.contacts.lookup(parseIp(CLIENT6)!, 0)?.mail, 'alice@example.org');
  const outage = h.engine.outageList()[0];
  assert.is(outage.server, '2001:db8:0:1::80');
  assert.equal(outage.clients.map((c) => c.client), [CLIENT6]);
  // a page shown again knows the address (masked)
  assert.match((await fetchPage(at)).body, 'a***@example.org');
}));

test('posts from an IPv6 client are refused past client_posts (counted against its /64)', async () => {
  const h = await up({ server: SERVER6, settings: { listenAddress: '::1', clientPosts: 2 } });
  try {
    const at = { host: '::1', port: h.port() };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await register(at, { mail: `a${i}@example.org`, choice: 'yes', return: '/' })).status);
    assert.equal(statuses, [200, 200, 429]);
    assert.is(h.standin.stats().refused.clientRate, 1);
  } finally {
    await h.close();
  }
});

test('when the IPv6 server is back the open page is told to reload, and its redirect goes', () => withHarness(async (h, at) => {
  const stream = eventStream(at);
  assert.is((await stream.opened).status, 200);
  h.engine.recoverySignal(h.clock.t, SERVER6, 'probe');
  assert.match(await stream.ended, 'event: back\ndata: {}\n\n');
  await h.standin.sync();
  assert.equal(h.standin.stats().active, []);
  assert.not.match(h.nftScripts[h.nftScripts.length - 1], '2001:db8:0:1::80');
}));

test('the redirect of an IPv6 server is in the ip6 map; its SYN/ACKs and resets are the stand-in\'s own', () => withHarness(async (h) => {
  assert.match(h.nftScripts[h.nftScripts.length - 1], /map standin_port6 \{\n\t\ttype ipv6_addr \. inet_service : inet_service\n\t\telements = \{ 2001:db8:0:1::80 \. 80 : \d+ \}/);
  const packet = new Uint8Array(40);
  packet.set(SERVER6.bytes, 8); // an IPv6 header's source address
  assert.ok(h.standin.intercepts6(packet, 8, 80));
  assert.ok(h.standin.intercepts6(packet, 8, 443), 'the reset of HTTPS');
  assert.not.ok(h.standin.intercepts6(packet, 8, 22));
  packet[23] = 0x81;
  assert.not.ok(h.standin.intercepts6(packet, 8, 80), 'another server');
  assert.not.ok(h.standin.interceptsV4(0xc633640a, 80), 'no IPv4 server is stood in for');
}));

test.run();
