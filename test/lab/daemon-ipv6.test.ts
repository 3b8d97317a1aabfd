// backsoon on a dual-stack namespace router (lib.sh LAB_IPV6=1: client 2001:db8:1::10, router
// 2001:db8:1::1 / 2001:db8:2::1, server 2001:db8:2::10; addresses without DAD, no route out):
// the live daemon over IPv6, as an admin and the clients would see it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withDaemonLab as withLab, type DaemonLab } from './daemon-lab';

const SERVER6 = '2001:db8:2::10';

const IPV6_CONFIG = `
config server 'web6'
	option address '${SERVER6}'
	option name 'www6.example.test'

config contact
	option mac '02:00:c0:00:02:0a'
	option mail 'alice@example.test'
`;

/** curl from client c to the IPv6 server (from `source` when given); its exit code and timing. */
async function curl6(lab: DaemonLab, seconds: number, source?: string) {
  const argv = ['curl', '-6', '-g', '-sSv', '-o', '/dev/null', '--connect-timeout', String(seconds), '-m', String(seconds + 2),
    ...(source ? ['--interface', source] : []), `http://[${SERVER6}]/`];
  const started = Date.now();
  const r = await lab.lab.exec('c', argv, { timeoutMs: (seconds + 5) * 1000 });
  return { ...r, started };
}

/** Milliseconds from `since` until the log holds `re` (polled every 50 ms). */
async function msUntilLog(lab: DaemonLab, re: RegExp, since: number, timeoutMs: number): Promise<number> {
  await lab.waitForLog(re, timeoutMs);
  return Date.now() - since;
}

test('a silent IPv6 service (SYNs dropped, ND fine) is down after syn_timeout; the SYN/ACK over IPv6 ends it and brings the mail', async () => {
  await withLab('d6-syn', { ipv6: true, extraConfig: IPV6_CONFIG, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.start();
    await lab.lab.serverSilent(80);
    const r = await curl6(lab, 12);
    assert.is(r.code, 28, 'curl times out');
    const detected = await msUntilLog(lab, /server 2001:db8:2::10 is down \(syn-timeout\)/, r.started, 10_000);
    console.log(`  IPv6 syn-timeout: down logged ${detected} ms after the client's first SYN (syn_timeout 10 s)`);
    await lab.lab.serverAnswering(80);
    assert.is((await curl6(lab, 8)).code, 0);
    await lab.waitForLog(/server 2001:db8:2::10 is back \(syn-ack\)/, 5_000);
    const mails = await lab.exim.waitFor(1, 20_000);
    assert.is(mails[0].recipient, 'alice@example.test');
    assert.match(mails[0].subject, /\(2001:db8:2::10\)/);
  });
});

test('a gone IPv6 server (neighbour discovery fails): the router\'s ICMPv6 address unreachable marks it down with the client; back by SYN/ACK, mail', async () => {
  await withLab('d6-gone', { ipv6: true, extraConfig: IPV6_CONFIG, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.start();
    await lab.lab.serverGone('addr');
    // The router solicits the server three times, then answers the client's SYN with ICMPv6
    // destination unreachable, code 3 (address unreachable): curl fails fast (exit 7), no timeout.
    const r = await curl6(lab, 12);
    assert.is(r.code, 7, `curl cannot connect: ${r.stderr}`);
    await lab.waitForLog(/server 2001:db8:2::10 is down \((icmp-unreachable|nd-silence)\)/, 10_000);
    const s = await lab.statusWhen((x) => x.outages.some((o) => o.server === SERVER6 && o.clients.length > 0), 'the client registered', 10_000);
    const outage = s.outages.find((o) => o.server === SERVER6)!;
    assert.equal(outage.clients.map((c) => c.client), ['2001:db8:1::10'], 'the client that tried waits');
    assert.is(s.engine.icmpForged.address + s.engine.icmpForged.mac, 0, 'the router\'s own ICMPv6 is not taken for forged');
    await lab.lab.serverBack();
    await lab.lab.serverAnswering(80);
    assert.is((await curl6(lab, 8)).code, 0);
    await lab.waitForLog(/server 2001:db8:2::10 is back/, 10_000);
    const mail = await lab.exim.waitForRecipient('alice@example.test', 20_000);
    assert.match(mail.subject, /\(2001:db8:2::10\)/);
    assert.match(mail.body, /2001:db8:1::10/, 'the mail names the address the client tried from');
  });
});

/** The lab's server at both its addresses, one server by name (a dual-stack host). */
const DUAL_STACK_CONFIG = `
config server 'web6'
	option address '${SERVER6}'
	option name 'www.example.test'

config contact
	option mac '02:00:c0:00:02:0a'
	option mail 'alice@example.test'
`;

test('dual-stack story: one laptop tries the silent server over IPv4 and IPv6; the server is back; one mail names both addresses', async () => {
  await withLab('d6-dual', { ipv6: true, extraConfig: DUAL_STACK_CONFIG, mainOptions: { probe_interval: '600', syn_timeout: '5' } }, async (lab) => {
    await lab.start();
    await lab.lab.serverSilent(80);
    // IPv4 first, by a second: the device is known by the address that tried first.
    const tryV4 = lab.curl('c', 3);
    await new Promise((r) => setTimeout(r, 1000));
    const [v4, v6] = await Promise.all([tryV4, curl6(lab, 3)]);
    assert.equal([v4.code, v6.code], [28, 28], 'both tries time out');
    const down = await lab.statusWhen((x) => x.outages.length === 2 && x.outages.every((o) => o.clients.length === 1), 'both addresses down, the laptop waiting at each', 15_000);
    assert.equal(down.outages.map((o) => `${o.server} ${o.clients[0].client}`).sort(), ['198.51.100.10 192.0.2.10', `${SERVER6} 2001:db8:1::10`]);
    await lab.lab.serverAnswering(80);
    assert.is((await lab.curl('c')).code, 0, 'the server answers over IPv4');
    await lab.waitForLog(/server 198\.51\.100\.10 is back \(syn-ack\)/, 10_000);
    await lab.waitForLog(/server 2001:db8:2::10 is back \(syn-ack\)/, 10_000);
    const mail = await lab.exim.waitForRecipient('alice@example.test', 20_000);
    assert.match(mail.body, /Your address: +192\.0\.2\.10\n/);
    assert.match(mail.body, /Also tried from: 2001:db8:1::10\n/);
    const idle = await lab.outboxIdle();
    assert.is(idle.outages.length, 0, 'no outage left');
    assert.is((await lab.exim.messages()).length, 1, 'one mail for the laptop, not one per address');
  });
});

test('a client prefix that arrives after the start (as a delegated IPv6 prefix does) is a client network from then on', async () => {
  await withLab('d6-late', { ipv6: true, extraConfig: IPV6_CONFIG, mainOptions: { probe_interval: '600', syn_timeout: '5' } }, async (lab) => {
    await lab.start();
    // The router gets 2001:db8:7::/64 on its client side only now; the client takes an address in it.
    await lab.lab.exec('r', ['ip', '-6', 'addr', 'add', '2001:db8:7::1/64', 'dev', 'br0', 'nodad']);
    await lab.lab.exec('c', ['ip', '-6', 'addr', 'add', '2001:db8:7::10/64', 'dev', 'eth0', 'nodad']);
    await lab.waitForLog(/client networks \(the client devices' own\): .*2001:db8:7::\/64/, 10_000);
    await lab.lab.serverSilent(80);
    const r = await curl6(lab, 8, '2001:db8:7::10');
    assert.is(r.code, 28, 'curl times out');
    const s = await lab.statusWhen((x) => x.outages.some((o) => o.server === SERVER6), 'the IPv6 server down', 10_000);
    const clients = s.outages.find((o) => o.server === SERVER6)!.clients.map((c) => c.client);
    assert.ok(clients.includes('2001:db8:7::10'), `the client of the new prefix waits: ${clients.join(', ')}`);
    assert.is(s.engine.refusedOffNetwork, 0, 'nothing refused as off-network');
  });
});

test.run();
