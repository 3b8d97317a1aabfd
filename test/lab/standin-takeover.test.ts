// ARP spoofing against the stand-in's registrations, on the real daemon: client c
// (192.0.2.10, alice@ from config contact) and client c2 (192.0.2.12, carol@ from the page)
// wait for the down server; the attacker c1 takes each of their addresses in turn (adds it to
// its interface and makes the router's neighbour entry point at its own MAC) and posts the form
// with its own mail address (at alice's, the operator's, the page offers no form at all). The
// page must refuse both, and at recovery the MTA's Maildir must
// hold the notices for alice and carol, naming their devices, and nothing for the attacker.
// A second lab: a device the configuration names by MAC (dave, c2) gets no form at its address,
// nor does the attacker at that address, and dave alone is told.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DaemonLab } from './daemon-lab';
import { withDaemonLab } from './daemon-lab';

const ATTACKER_MAIL = 'mallory@example.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The page's text as a reader sees it: no head, no tags, the apostrophe unescaped. */
const shown = (html: string) => html.replace(/^[\s\S]*?<main>/, '').replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

/**
 * The attacker (c1) takes `victim`'s address: adds it to its interface, forgets its neighbours
 * and sends from it, so its ARP request for the router carries (victim, attacker's MAC) and the
 * router's entry for `victim` is overwritten (as a gratuitous ARP would). Resolves once the
 * router's neighbour table shows the attacker's MAC for `victim`.
 */
async function takeOver(lab: DaemonLab, victim: string): Promise<void> {
  const attacker = lab.lab.interfaces.find((i) => i.role === 'c1')!;
  const r = await lab.lab.exec('c1', ['ip', 'addr', 'add', `${victim}/24`, 'dev', attacker.ifname]);
  assert.is(r.code, 0, r.stderr);
  for (let i = 0; i < 20; i++) {
    await lab.lab.exec('c1', ['ip', 'neigh', 'flush', 'dev', attacker.ifname]);
    await lab.lab.exec('c1', ['ping', '-c', '1', '-W', '1', '-I', victim, lab.lab.ip('r')]);
    const neigh = await lab.lab.exec('r', ['ip', 'neigh', 'show', victim]);
    if (neigh.stdout.toLowerCase().includes(attacker.mac.toLowerCase())) return;
    await sleep(500); // the kernel ignores a new address within locktime (1 s) of the last update
  }
  throw new Error(`the router's neighbour entry for ${victim} never showed the attacker's MAC ${attacker.mac}`);
}

async function giveBack(lab: DaemonLab, victim: string): Promise<void> {
  const attacker = lab.lab.interfaces.find((i) => i.role === 'c1')!;
  await lab.lab.exec('c1', ['ip', 'addr', 'del', `${victim}/24`, 'dev', attacker.ifname]);
}

test('a client that takes over another\'s address cannot replace its configured or page contact, nor receive its notice', async () => {
  await withDaemonLab('takeover', { clients: 2, serverSide: false, serverOptions: "\toption standin '1'", mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c', 5);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 15_000);
    const carol = await lab.registerOnPage('c2', 'carol@example.test');
    assert.is(carol?.code, '200', `carol registers: ${carol?.body.slice(0, 300)}`);
    // Alice's first try ended in the router's ICMP error, which carries no MAC of hers; her retry
    // reaches the page, and its SYN tells the engine her device.
    assert.is((await lab.curl('c', 5)).code, 0);

    await takeOver(lab, '192.0.2.10');
    // Alice's address is the operator's: the page at it offers no form, so no token for it.
    const page = await lab.lab.exec('c1', ['curl', '-sS', '-m', '10', '--interface', '192.0.2.10', '-H', 'Accept-Language: en', 'http://198.51.100.10/']);
    assert.match(page.stdout, 'administrator set this address; it cannot be changed here', 'the attacker got the page at the victim\'s address');
    assert.not.match(page.stdout, 'name="csrf"');
    assert.is(await lab.registerOnPage('c1', ATTACKER_MAIL, '192.0.2.10'), null, 'nothing to post');
    // A post with a token another address was given (carol's page) is refused, and hands out none.
    const own = await lab.lab.exec('c2', ['curl', '-sS', '-m', '10', 'http://198.51.100.10/']);
    const token = /name="csrf" value="([^"]+)"/.exec(own.stdout)?.[1];
    assert.ok(token, own.stdout.slice(0, 400));
    const forged = await lab.lab.exec('c1', ['curl', '-sS', '-m', '10', '--interface', '192.0.2.10', '-w', '\n%{http_code}',
      '--data-urlencode', `csrf=${token}`, '--data-urlencode', `mail=${ATTACKER_MAIL}`, '--data-urlencode', 'choice=yes',
      'http://198.51.100.10/.backsoon/register']);
    assert.match(forged.stdout, /\n403$/, forged.stdout.slice(0, 400));
    assert.not.match(forged.stdout, 'name="csrf"');
    await giveBack(lab, '192.0.2.10');

    await takeOver(lab, '192.0.2.12');
    const other = await lab.registerOnPage('c1', ATTACKER_MAIL, '192.0.2.12');
    assert.ok(other);
    assert.is(other.code, '409', other.body.slice(0, 400));
    assert.match(other.body, 'This address was registered from another device');
    await giveBack(lab, '192.0.2.12');

    const s = await lab.status();
    assert.equal([s.standin?.refused.configured, s.standin?.refused.otherDevice, s.standin?.refused.csrf], [0, 1, 1]);

    await lab.lab.serverBack();
    const trap = await lab.trap();
    assert.is(trap.code, 0, trap.stderr);
    const mails = await lab.exim.waitFor(2, 30_000);
    await sleep(2000); // anything more would come now
    const all = await lab.exim.messages();
    assert.equal(all.map((m) => m.recipient).sort(), ['alice@example.test', 'carol@example.test'], 'the victims are told, the attacker is not');
    const alice = mails.find((m) => m.recipient === 'alice@example.test')!;
    const carolMail = mails.find((m) => m.recipient === 'carol@example.test')!;
    assert.match(alice.body, `Your device:     MAC ${lab.lab.mac('c')}`);
    assert.match(carolMail.body, `Your device:     MAC ${lab.lab.mac('c2')}`);
    assert.match(carolMail.body, 'Your address:    192.0.2.12');
  });
});

test('a device the configuration names by MAC gets no form at its address, nor does a client that takes that address', async () => {
  // c2 (192.0.2.12) has no contact by address; the operator named its MAC (02:00 + its address in hex).
  const daveMac = '02:00:c0:00:02:0c';
  await withDaemonLab('takeover-mac', {
    clients: 2, serverSide: false, serverOptions: "\toption standin '1'", mainOptions: { probe_interval: '600' },
    extraConfig: `\nconfig contact\n\toption mac '${daveMac}'\n\toption mail 'dave@example.test'\n`,
  }, async (lab) => {
    assert.is(lab.lab.mac('c2'), daveMac, 'the lab\'s MAC scheme');
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c2', 5);
    await lab.waitForLog(/client 192\.0\.2\.12 tried/, 15_000);
    // Its retry reaches the page, and its SYN tells the engine its device.
    const own = await lab.lab.exec('c2', ['curl', '-sS', '-m', '10', '-H', 'Accept-Language: en', 'http://198.51.100.10/']);
    assert.match(shown(own.stdout), "We will tell you at d***@example.test when it is back. The network's administrator set this address; " +
      'it cannot be changed here.');
    assert.not.match(own.stdout, 'name="csrf"', 'no form for the configured device');

    // The attacker at the device's address (its MAC now in the router's neighbour entry) gets no form either:
    // the device seen waiting there is the configured one.
    await takeOver(lab, '192.0.2.12');
    const page = await lab.lab.exec('c1', ['curl', '-sS', '-m', '10', '--interface', '192.0.2.12', '-H', 'Accept-Language: en', 'http://198.51.100.10/']);
    assert.match(shown(page.stdout), "We will tell you at d***@example.test when it is back. The network's administrator set this address; " +
      'it cannot be changed here.');
    assert.is(await lab.registerOnPage('c1', ATTACKER_MAIL, '192.0.2.12'), null, 'nothing to post');
    await giveBack(lab, '192.0.2.12');

    await lab.lab.serverBack();
    const trap = await lab.trap();
    assert.is(trap.code, 0, trap.stderr);
    const mails = await lab.exim.waitFor(1, 30_000);
    await sleep(2000); // anything more would come now
    assert.equal((await lab.exim.messages()).map((m) => m.recipient), ['dave@example.test'], 'the device is told, the attacker is not');
    assert.match(mails[0].body, `Your device:     MAC ${daveMac}`);
  });
});

test.run();
