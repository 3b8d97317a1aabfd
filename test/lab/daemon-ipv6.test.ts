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
