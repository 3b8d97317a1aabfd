// A client that takes over another's address (ARP spoofing) must not take over its contact:
// a page registration never replaces one from the configuration, and is bound to the MAC it
// was posted from, so another device's registration of the address is refused (or kept beside
// it, by option), and the notice still goes to the device that waited.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RegistrationConflict } from '../../src/engine/contacts';
import type { Decision } from '../../src/engine/decisions';
import { Engine, defaultEngineOptions } from '../../src/engine/engine';
import { exportState, importState } from '../../src/engine/state';
import { parseIp } from '../../src/net/ip';
import { parseIPv4 } from '../../src/net/ipv4';
import { engineCallbacks } from '../../src/standin/engine-callbacks';
import { only } from './decision-summary';
import { register, up } from './standin-harness';
import { fetchPage, form, FORM_HEADERS, tokenOf } from './standin-http';

const SERVER = parseIPv4('198.51.100.10')!;
const VICTIM = parseIPv4('192.0.2.10')!;
const ROUTER = parseIPv4('192.0.2.1')!;
const VICTIM_MAC = 0x02000000000a;
const ATTACKER_MAC = 0x02000000000b;
const T = 1_800_000_000;
const ip = (s: string) => parseIp(s)!;

/** An engine with the server down and the stand-in's register callback over it. */
function setup(onConflict: RegistrationConflict = 'refuse') {
  const decisions: Decision[] = [];
  const engine = new Engine({ ...defaultEngineOptions, maxLinks: 64, maxServers: 8, maxContacts: 64 }, (d) => decisions.push(d));
  engine.markDown(T, ip('198.51.100.10'), 'neigh-failed');
  const callbacks = engineCallbacks(engine, { serverName: () => 'www', now: () => T, log: () => undefined, registrationConflict: onConflict });
  const post = (mac: number, mail: string, t = T + 10) => callbacks.register(ip('198.51.100.10'), ip('192.0.2.10'), mac, mail, t);
  /** What the page finds for the victim's address, seen from `mac`. */
  const shown = (mac: number) => callbacks.lookupContact(ip('198.51.100.10'), ip('192.0.2.10'), mac);
  /** The victim's SYN to the server, seen with `mac`: the engine's attempt record. */
  const tries = (mac: number, t = T + 5) => engine.syn(t, VICTIM, SERVER, 40000, 80, 1, mac);
  const recover = () => { engine.arpReply(T + 600, SERVER, 0x0200c633640a); return only(decisions, 'notify'); };
  return { engine, post, tries, recover, shown };
}

test('a contact from config contact (by address) is never replaced by the page', () => {
  const { engine, post, recover, tries } = setup();
  engine.contacts.set({ client: ip('192.0.2.10') }, { mail: 'alice@example.test', registeredAt: T, source: 'config' });
  tries(VICTIM_MAC);
  assert.is(post(ATTACKER_MAC, 'mallory@example.test'), 'configured');
  assert.is(post(VICTIM_MAC, 'alice-home@example.test'), 'configured', 'not even from the device itself: the operator\'s word wins');
  assert.is(engine.contacts.lookup(ip('192.0.2.10'), 0)?.mail, 'alice@example.test');
  const told = recover();
  assert.equal(told.map((d) => [d.client, d.contact, d.mac]), [['192.0.2.10', 'alice@example.test', '02:00:00:00:00:0a']]);
});

test('a contact from config contact by MAC: refused for the device with that MAC, and for an address it waited from', () => {
  const { engine, post, tries, recover, shown } = setup();
  engine.contacts.set({ mac: VICTIM_MAC }, { mail: 'alice@example.test', registeredAt: T, source: 'config' });
  assert.is(post(VICTIM_MAC, 'other@example.test'), 'configured', 'the configured device itself');
  tries(VICTIM_MAC);
  assert.is(post(ATTACKER_MAC, 'mallory@example.test'), 'configured', 'the device waiting at this address is configured');
  // The page offers what register allows: the operator's contact, so no form, from either device.
  assert.equal([shown(VICTIM_MAC), shown(0), shown(ATTACKER_MAC)].map((c) => [c?.mail, c?.source]),
    [['alice@example.test', 'config'], ['alice@example.test', 'config'], ['alice@example.test', 'config']]);
  assert.equal(recover().map((d) => d.contact), ['alice@example.test']);
});

test('a registration bound to one MAC is refused from another; the same MAC may change its address', () => {
  const { engine, post, recover } = setup();
  assert.is(post(VICTIM_MAC, 'carol@example.test'), 'registered');
  assert.is(post(ATTACKER_MAC, 'mallory@example.test'), 'other-device');
  assert.is(post(0, 'mallory@example.test'), 'other-device', 'an unknown MAC cannot prove it is the same device');
  assert.is(engine.contacts.lookup(ip('192.0.2.10'), 0)?.mail, 'carol@example.test');
  assert.is(post(VICTIM_MAC, 'carol-new@example.test'), 'registered');
  assert.equal(engine.contacts.lookup(ip('192.0.2.10'), 0), { mail: 'carol-new@example.test', registeredAt: T + 10, source: 'page', deviceMac: VICTIM_MAC });
  assert.equal(recover().map((d) => [d.contact, d.mac]), [['carol-new@example.test', '02:00:00:00:00:0a']]);
});

test('an address seen waiting with one MAC cannot be registered from another; an unknown MAC (not on the link) can', () => {
  const a = setup();
  a.tries(VICTIM_MAC);
  assert.is(a.post(ATTACKER_MAC, 'mallory@example.test'), 'other-device', 'the attacker does not register first');
  assert.is(a.post(VICTIM_MAC, 'carol@example.test'), 'registered', 'and the victim still can');
  const b = setup();
  b.tries(0x0200c0000001); // behind a hop: the frames carry the router's MAC, the neighbour table has no entry
  assert.is(b.post(0, 'dave@example.test'), 'registered');
});

test("keep_both: another device's registration of the address stays; the new one is kept by its MAC; the waiting device is told", () => {
  // The address moved to another device (a DHCP lease given again): the new device registers.
  const { engine, post, recover } = setup('keep_both');
  assert.is(post(VICTIM_MAC, 'carol@example.test', T + 1), 'registered');
  assert.is(post(ATTACKER_MAC, 'erin@example.test', T + 2), 'registered');
  assert.is(post(0, 'nobody@example.test', T + 3), 'other-device', 'nothing to keep it by');
  assert.is(engine.contacts.lookup(ip('192.0.2.10'), VICTIM_MAC)?.mail, 'carol@example.test');
  assert.is(engine.contacts.lookup(ip('192.0.2.10'), ATTACKER_MAC)?.mail, 'erin@example.test');
  assert.equal(recover().map((d) => [d.contact, d.mac]), [['carol@example.test', '02:00:00:00:00:0a']], 'the device that waited (registered first) is told');
});

test("refuse (default): the attacker's frames from the victim's address change neither the record nor who is told", () => {
  const { engine, post, tries, recover } = setup();
  assert.is(post(VICTIM_MAC, 'carol@example.test', T + 1), 'registered');
  tries(ATTACKER_MAC, T + 2);
  assert.is(post(ATTACKER_MAC, 'mallory@example.test', T + 3), 'other-device');
  assert.is(engine.waitingMac(ip('198.51.100.10'), ip('192.0.2.10')), VICTIM_MAC, 'the MAC first seen waiting');
  assert.equal(recover().map((d) => d.contact), ['carol@example.test']);
});

test('the MAC a registration is bound to survives the state file', () => {
  const { engine, post } = setup();
  assert.is(post(VICTIM_MAC, 'carol@example.test'), 'registered');
  const saved = exportState(engine, T + 20);
  assert.equal(saved.contacts, [{ client: '192.0.2.10', device: '02:00:00:00:00:0a', mail: 'carol@example.test', registeredAt: T + 10, source: 'page' }]);
  const restarted = setup();
  importState(restarted.engine, JSON.parse(JSON.stringify(saved)), T + 30);
  assert.is(restarted.post(ATTACKER_MAC, 'mallory@example.test'), 'other-device', 'the guard holds after a restart');
  assert.is(restarted.engine.contacts.lookup(ip('192.0.2.10'), 0)?.mail, 'carol@example.test');
});

test('the page refuses politely, in the client\'s language, and changes nothing', async () => {
  const OFFICE_MAC = 0x02000000000c;
  const macs = new Map([['127.0.0.9', OFFICE_MAC], ['127.0.0.10', ATTACKER_MAC]]);
  const h = await up({ callbacks: { macOf: (client) => macs.get(client.text) ?? 0 } });
  try {
    // A form shown before the operator named the device (config contact by MAC): its post is
    // refused. The page at the device's address, with no contact for the address itself, then
    // offers no form, as for an address the operator named.
    const visible = (html: string) => html.replace(/<style>.*?<\/style>|<script>.*?<\/script>/gs, '').replace(/<[^>]+>/g, '');
    const before = await fetchPage(h.port(), { from: '127.0.0.9' });
    assert.match(before.body, '<form');
    h.engine.contacts.set({ mac: OFFICE_MAC }, { mail: 'alice@example.test', registeredAt: T, source: 'config' });
    const named = await fetchPage(h.port(), { from: '127.0.0.9' });
    assert.match(visible(named.body), 'administrator set this address; it cannot be changed here.');
    assert.not.match(named.body, '<form');
    const en = await fetchPage(h.port(), {
      method: 'POST', path: '/.backsoon/register', from: '127.0.0.9', headers: FORM_HEADERS,
      body: form({ csrf: tokenOf(before.body), mail: 'mallory@example.test', choice: 'yes', return: '/shop' }),
    });
    assert.is(en.status, 409);
    assert.match(visible(en.body), 'This device already has a mail address set by the network');
    assert.match(en.body, '<a href="/shop">');
    const ja = await fetchPage(h.port(), {
      method: 'POST', path: '/.backsoon/register', from: '127.0.0.9', headers: FORM_HEADERS,
      body: form({ csrf: tokenOf(before.body), mail: 'mallory@example.test', choice: 'yes', lang: 'ja' }),
    });
    assert.match(visible(ja.body), 'ネットワーク管理者が設定したメールアドレスがすでにあり');
    assert.is(h.engine.contacts.lookup(ip('127.0.0.9'), OFFICE_MAC)?.mail, 'alice@example.test');

    // Named by address: the page offers no form, and a post with another address's token is
    // refused without handing out one.
    h.engine.contacts.set({ client: ip('127.0.0.11') }, { mail: 'bob@example.test', registeredAt: T, source: 'config' });
    const page = await fetchPage(h.port(), { from: '127.0.0.11' });
    assert.match(visible(page.body), 'administrator set this address; it cannot be changed here.');
    assert.not.match(page.body, '<form');
    const forged = await fetchPage(h.port(), {
      method: 'POST', path: '/.backsoon/register', from: '127.0.0.11', headers: FORM_HEADERS,
      body: form({ csrf: tokenOf((await fetchPage(h.port(), { from: '127.0.0.12' })).body), mail: 'mallory@example.test', choice: 'yes' }),
    });
    assert.is(forged.status, 403);
    assert.not.match(forged.body, '<form', 'no fresh token for the address either');
    assert.is(h.engine.contacts.lookup(ip('127.0.0.11'), 0)?.mail, 'bob@example.test');

    macs.set('127.0.0.10', VICTIM_MAC);
    assert.is((await register(h.port(), { mail: 'carol@example.test', choice: 'yes' }, '127.0.0.10')).status, 200);
    macs.set('127.0.0.10', ATTACKER_MAC); // the address taken over: the neighbour table shows the attacker
    const other = await register(h.port(), { mail: 'mallory@example.test', choice: 'yes' }, '127.0.0.10');
    assert.is(other.status, 409);
    assert.match(visible(other.body), 'This address was registered from another device, so it cannot be changed here.');
    assert.is(h.engine.contacts.lookup(ip('127.0.0.10'), 0)?.mail, 'carol@example.test');
    const s = h.standin.stats();
    assert.equal([s.refused.configured, s.refused.otherDevice, s.refused.csrf, s.registrations], [2, 1, 1, 1]);
    assert.ok(h.logs.some((l) => /registration from 127\.0\.0\.10 \(MAC 02:00:00:00:00:0b\) .* refused: the address is registered from another device/.test(l)));
  } finally {
    await h.close();
  }
});

test.run();
