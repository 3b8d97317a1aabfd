// Forged SNMP traps against the real daemon: a LAN client needs no IP spoofing to send a v1
// trap whose agent-addr field names the server, with the community everybody guesses. Neither
// may end an outage; the server's own trap does, once a probe has seen it answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { counterEntries, type TrapStatus } from '../../src/control/status';
import { withDaemonLab } from './daemon-lab';

const SERVER = '198.51.100.10';
const ROUTER_CLIENT_SIDE = '192.0.2.1';
const ROUTER_SERVER_SIDE = '198.51.100.1';
const NET_SNMP_ENTERPRISE = '1.3.6.1.4.1.8072.3.2.10';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** snmptrap -v1 coldStart to the router at `to`, community `community`, agent-addr `agent`. */
const v1ColdStart = (community: string, to: string, agent: string) =>
  ['-v', '1', '-c', community, to, NET_SNMP_ENTERPRISE, agent, '0', '0', ''];

/** The trap counters of `backsoon status --json`, changed since `before`. */
function trapChanges(beforeSection: TrapStatus, afterSection: TrapStatus): Record<string, number> {
  const before = Object.fromEntries(counterEntries(beforeSection));
  const out: Record<string, number> = {};
  for (const [k, v] of counterEntries(afterSection)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

test('a v1 trap from a client naming the server in agent-addr (community public, set explicitly) recovers nothing and mails nobody', async () => {
  await withDaemonLab('tf-agent', { clients: 1, serverSide: false, serverOptions: "\tlist probe 'tcp:80'", mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c', 5);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    await lab.lab.serverBack(); // back, so a believed trap would mail at once
    const before = (await lab.status()).traps!;

    const sent = await lab.trap(v1ColdStart('public', ROUTER_CLIENT_SIDE, SERVER), 'c1');
    assert.is(sent.code, 0, sent.stderr);
    await sleep(1500);
    const s = await lab.status();
    assert.is(s.outages.length, 1, 'the server is still down for backsoon');
    assert.is(s.waitingClients, 1);
    assert.equal((await lab.exim.messages()).length, 0, 'no mail at the MTA');
    assert.equal(trapChanges(before, s.traps!), { received: 1, 'ignored.unknownSource': 1, rejected: 1 });
    assert.match(lab.log, /trap ignored \(unknownSource\): coldStart trap \(SNMPv1, community 'public'\) from 192\.0\.2\.11, agent-addr 198\.51\.100\.10/);
  });
});

test('with the default configuration (no community) the same trap is refused for its community', async () => {
  await withDaemonLab('tf-default', { clients: 1, serverSide: false, communities: [], mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curl('c', 5);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    await lab.lab.serverBack();
    const before = (await lab.status()).traps!;
    const sent = await lab.trap(v1ColdStart('public', ROUTER_CLIENT_SIDE, SERVER), 'c1');
    assert.is(sent.code, 0, sent.stderr);
    await sleep(1500);
    const s = await lab.status();
    assert.is(s.outages.length, 1);
    assert.equal((await lab.exim.messages()).length, 0);
    assert.equal(trapChanges(before, s.traps!), { received: 1, 'ignored.badCommunity': 1, rejected: 1 });
  });
});

test('the server\'s own v1 trap with the configured community: believed only once a probe sees the service answer', async () => {
  await withDaemonLab('tf-confirm', { serverSide: false, communities: ['lab-community'], serverOptions: "\tlist probe 'tcp:80'", mainOptions: { probe_interval: '600' } }, async (lab) => {
    // The host stays up (a host-level outage would end on its first sign of life); its web
    // service drops SYNs, so the outage is the service's and only the service's answer ends it.
    await lab.start();
    await lab.lab.serverSilent(80);
    assert.is((await lab.curl('c', 12)).code, 28, 'curl times out');
    await lab.waitForLog(/server 198\.51\.100\.10 is down \(syn-timeout\)/, 10_000);
    let before = (await lab.status()).traps!;
    let mark = lab.log.length;
    assert.is((await lab.trap(v1ColdStart('lab-community', ROUTER_SERVER_SIDE, SERVER))).code, 0);
    await lab.waitForLog(/the probe found the server still down/, 10_000, mark);
    let s = await lab.status();
    assert.is(s.outages.length, 1, 'still down: the probe did not confirm');
    assert.equal(trapChanges(before, s.traps!), { received: 1, accepted: 1, 'ignored.confirmFailed': 1, rejected: 1 });
    assert.equal((await lab.exim.messages()).length, 0);

    await lab.lab.serverAnswering(80);
    before = s.traps!;
    mark = lab.log.length;
    assert.is((await lab.trap(v1ColdStart('lab-community', ROUTER_SERVER_SIDE, SERVER))).code, 0);
    await lab.waitForLog(/server 198\.51\.100\.10 is back \(trap\)/, 10_000, mark);
    assert.match(lab.log.slice(mark), /probe tcp:80 of 198\.51\.100\.10 succeeded[\s\S]*is back \(trap\)/, 'the probe came first');
    s = await lab.status();
    assert.equal(trapChanges(before, s.traps!), { received: 1, accepted: 1, confirmed: 1 });
    const mails = await lab.exim.waitFor(1, 20_000);
    assert.is(mails[0].recipient, 'alice@example.test');
  });
});

test.run();
