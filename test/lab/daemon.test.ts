// backsoon itself on a namespace router: what an admin and the clients would see.
// The router's neighbour timers are shortened (lab_fast_neigh: reachable 2 s, first probe after
// 1 s, probes 500 ms apart) so that detection takes seconds; syn_timeout is 10 s here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atExit } from '../at-exit';
import { parseExposition } from '../unit/metrics-exposition';
import { BUNDLE, withDaemonLab as withLab } from './daemon-lab';

const SERVER = '198.51.100.10';

test('ICMP host unreachable on the client side (MAC not cached) names server and client; a trap brings the mail', async () => {
  await withLab('dt-icmp', { serverSide: false, mainOptions: { probe_interval: '600', metrics_listen: '127.0.0.1:9309' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c', 6);
    await lab.waitForLog(/server 198\.51\.100\.10 is down \(icmp-unreachable\)/, 10_000);
    const s = await lab.status();
    assert.equal(s.outages.map((o: any) => [o.server, o.cause, o.clients.map((c: any) => c.client)]), [[SERVER, 'icmp-unreachable', ['192.0.2.10']]]);
    await lab.lab.serverBack();
    assert.is((await lab.trap()).code, 0);
    const mails = await lab.exim.waitFor(1, 20_000);
    assert.is(mails[0].recipient, 'alice@example.test');
    assert.is(mails[0].subject, 'Server failure recovery notice: www.example.test (198.51.100.10)');
    assert.match(mails[0].body, /Server: +www\.example\.test \(198\.51\.100\.10\)/);
    assert.match(mails[0].body, /Your address: +192\.0\.2\.10/);
    // The outbox records the delivery after exim has the mail: wait for it, then scrape.
    await lab.statusWhen((s) => s.outbox.sent === 1, 'the notice counted as sent');
    // What Prometheus would scrape, read by a strict exposition-format parser.
    const m = await lab.lab.exec('r', [process.execPath, BUNDLE, 'metrics', '--socket', lab.socket]);
    assert.is(m.code, 0, m.stderr);
    const families = parseExposition(m.stdout);
    const value = (family: string, labels: Record<string, string>) =>
      families.get(family)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    assert.is(value('backsoon_detections_total', { cause: 'icmp-unreachable' }), 1);
    assert.is(value('backsoon_recoveries_total', { cause: 'trap' }), 1);
    assert.is(value('backsoon_notices_total', { channel: 'mail', result: 'sent' }), 1);
    assert.is(value('backsoon_servers_down', {}), 0);
    // The same numbers from the optional listener, as Prometheus scrapes them.
    const scrape = await lab.lab.exec('r', ['curl', '-sS', '-i', 'http://127.0.0.1:9309/metrics']);
    assert.match(scrape.stdout, /^HTTP\/1\.1 200/);
    assert.match(scrape.stdout, /content-type: text\/plain; version=0\.0\.4/i);
    const body = scrape.stdout.slice(scrape.stdout.indexOf('\r\n\r\n') + 4);
    assert.is(parseExposition(body).get('backsoon_detections_total')?.samples.find((x) => x.labels.cause === 'icmp-unreachable')?.value, 1);
  });
});

test('ICMP with the MAC cached: detected once the kernel gives up on the stale entry', async () => {
  await withLab('dt-cached', { serverSide: false, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.start();
    assert.is((await lab.curl('c')).code, 0, 'the page loads while the server is up');
    await lab.lab.serverGone('addr');
    // The stale entry is probed, fails, and the router answers the waiting SYN with ICMP.
    await lab.curlUnreachable('c', 12);
    // The kernel's own verdict (neighbour FAILED) and its ICMP come within milliseconds of each
    // other here; either may be first.
    await lab.waitForLog(/server 198\.51\.100\.10 is down \((icmp-unreachable|neigh-failed)\)/, 15_000);
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 5_000);
    const s = await lab.status();
    assert.is(s.waitingClients, 1);
    assert.ok(s.packets.icmpUnreachable >= 1, 'the router\'s ICMP host unreachable was seen');
  });
});

test('a silent service (SYNs dropped by nft, ARP fine) is down after syn_timeout; SYN/ACK ends it; the mail loads no HTTP client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dt-syn-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  // What node loaded, written at exit by a preload (process.moduleLoadList: built-ins and bindings).
  const loads = join(dir, 'loads.txt');
  const preload = join(dir, 'loads.js');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loads)}, process.moduleLoadList.join('\\n')));`);
  try {
    await withLab('dt-syn', { mainOptions: { probe_interval: '600' } }, async (lab) => {
      await lab.start(15_000, { NODE_OPTIONS: `--require ${preload}` });
      await lab.lab.serverSilent(80);
      const r = await lab.curl('c', 12);
      assert.is(r.code, 28, 'curl times out');
      await lab.waitForLog(/server 198\.51\.100\.10 is down \(syn-timeout\)/, 5_000);
      await lab.lab.serverAnswering(80);
      assert.is((await lab.curl('c')).code, 0);
      await lab.waitForLog(/server 198\.51\.100\.10 is back \(syn-ack\)/, 5_000);
      assert.is((await lab.exim.waitFor(1, 20_000))[0].recipient, 'alice@example.test');
      await lab.stopDaemon();
      // The SMTP session ran, but nodemailer's HTTP client is not in the bundle (src/bundle.mjs):
      // https and zlib stay out of a daemon that mails (docs/DECISIONS.md).
      const loaded = readFileSync(loads, 'utf8').split('\n');
      assert.ok(loaded.includes('NativeModule net'), 'the daemon wrote what it loaded');
      for (const m of ['https', 'zlib']) assert.not.ok(loaded.includes(`NativeModule ${m}`), `${m} was loaded`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
});

test('ARP silence on the server side; recovery found by probing with no client traffic at all', async () => {
  await withLab('dt-probe', { serverOptions: "\tlist probe 'tcp:80'", mainOptions: { probe_interval: '1' } }, async (lab) => {
    await lab.start();
    await lab.lab.serverGone('addr');
    await lab.curlUnreachable('c');
    await lab.waitForLog(/is down \(arp-silence\)/, 10_000);
    const atBack = await lab.status();
    const mark = lab.log.length;
    await lab.lab.serverBack();
    const back = await lab.waitForLog(/server 198\.51\.100\.10 is back \(([a-z-]+)\)/, 15_000, mark);
    // The tcp probe's connect makes the router ARP for the server: the daemon hears the answer as
    // the connect itself (probe), the ARP reply on s0 (arp-reply) or the kernel's REACHABLE
    // (neigh-reachable), whichever comes first. The probe's counters say it was the probe.
    assert.match(back, /\((probe|neigh-reachable|arp-reply)\)/);
    const s = await lab.statusWhen((x) => x.probes!.byMethod.tcp.succeeded > atBack.probes!.byMethod.tcp.succeeded, 'a succeeded tcp probe');
    assert.is(s.probes!.byMethod.tcp.succeeded, 1);
    assert.not.match(lab.log.slice(mark), /client \S+ tried/, 'no client traffic after the server came back');
    await lab.exim.waitFor(1, 20_000);
  });
});

test('traps: a forged one (wrong community, or from a client) is ignored and counted; SNMPv3 authPriv from the server counts', async () => {
  const v3 = `
config snmp_user
	option name 'agent'
	option level 'authPriv'
	option auth_protocol 'sha'
	option auth_key 'authpass123'
	option priv_protocol 'aes'
	option priv_key 'privpass123'
`;
  await withLab('dt-trap', { serverSide: false, extraConfig: v3, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c');
    await lab.waitForLog(/is down/, 10_000);
    await lab.lab.serverBack();
    await lab.lab.exec('s', ['ip', 'neigh', 'replace', '198.51.100.1', 'lladdr', lab.lab.mac('r', 's0'), 'dev', 'eth0', 'nud', 'permanent']);
    assert.is((await lab.trap(['-v', '2c', '-c', 'wrong', '198.51.100.1', '', '1.3.6.1.6.3.1.1.5.1'])).code, 0);
    const fromClient = await lab.lab.exec('c', ['env', `SNMP_PERSISTENT_DIR=${lab.dir}/snmp-c`, 'snmptrap', '-M', '', '-m', '', '-v', '2c', '-c', 'public', '192.0.2.1', '', '1.3.6.1.6.3.1.1.5.1']);
    assert.is(fromClient.code, 0, fromClient.stderr);
    let s = await lab.statusWhen((x) => x.traps!.received >= 2, 'both forged traps received');
    assert.is(s.traps!.ignored.badCommunity, 1);
    assert.is(s.traps!.ignored.unknownSource, 1);
    assert.is(s.outages.length, 1, 'still down');
    await lab.trap(['-v', '3', '-u', 'agent', '-l', 'authPriv', '-a', 'SHA', '-A', 'authpass123', '-x', 'AES', '-X', 'privpass123', '198.51.100.1', '', '1.3.6.1.6.3.1.1.5.1']);
    await lab.waitForLog(/is back \(trap\)/, 5_000);
    s = await lab.status();
    assert.is(s.traps!.accepted, 1);
    assert.is(s.outages.length, 0);
  });
});

test('the MTA is down when the server comes back: the notice waits in the outbox and arrives once when it returns', async () => {
  await withLab('dt-mta', { serverSide: false, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c');
    await lab.waitForLog(/is down/, 10_000);
    await lab.exim.stop();
    await lab.lab.serverBack();
    assert.is((await lab.trap()).code, 0);
    await lab.waitForLog(/is back/, 10_000);
    const s = await lab.statusWhen((x) => x.outbox.retries >= 1, 'a failed delivery attempt');
    assert.is(s.outbox.queued + s.outbox.sending, 1, 'the notice waits');
    assert.is((await lab.exim.messages()).length, 0);
    await lab.exim.start();
    // The first retry comes after the backoff (30 s +- jitter); SIGHUP does not hurry it, so wait.
    const mails = await lab.exim.waitFor(1, 60_000);
    assert.is(mails.length, 1);
    const settled = await lab.outboxIdle();
    assert.is(settled.outbox.sent, 1, 'sent once, nothing left to send');
    assert.is((await lab.exim.messages()).length, 1, 'exactly once');
  });
});

test('kill -9 between registration and recovery: after a restart the waiting client is still told, once', async () => {
  await withLab('dt-kill', { serverSide: false, mainOptions: { probe_interval: '600', snapshot_interval: '5' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c');
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    await lab.snapshotHolds('192.0.2.10'); // the state is on disk
    await lab.stopDaemon('SIGKILL');
    await lab.start();
    const s = await lab.status();
    assert.equal(s.outages.map((o: any) => o.clients.map((c: any) => c.client)), [['192.0.2.10']], 'restored');
    await lab.lab.serverBack();
    assert.is((await lab.trap()).code, 0);
    await lab.exim.waitFor(1, 20_000);
    // Killed again right after sending; a restart must not send it again.
    await lab.stopDaemon('SIGKILL');
    await lab.start();
    const again = await lab.outboxIdle();
    assert.is(again.outbox.sent, 0, 'the restarted daemon sent nothing');
    assert.is((await lab.exim.messages()).length, 1);
  });
});

test('SIGHUP reloads the configuration keeping state; a bad file is refused and the old one stays', async () => {
  await withLab('dt-hup', { serverSide: false, mainOptions: { probe_interval: '600' } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c');
    await lab.waitForLog(/client 192\.0\.2\.10 tried/, 10_000);
    const { writeFileSync, readFileSync } = await import('node:fs');
    const good = readFileSync(lab.configFile, 'utf8');
    writeFileSync(lab.configFile, good.replace("option syn_timeout '10'", "option syn_timeout '0'"));
    let mark = lab.log.length;
    lab.daemon!.kill('SIGHUP');
    await lab.waitForLog(/reload refused[\s\S]*syn_timeout/, 5_000, mark);
    writeFileSync(lab.configFile, good.replace("option syn_timeout '10'", "option syn_timeout '20'"));
    mark = lab.log.length;
    lab.daemon!.kill('SIGHUP');
    await lab.waitForLog(/configuration reloaded .* 1 outages kept/, 5_000, mark);
    const s = await lab.status();
    assert.is(s.waitingClients, 1);
  });
});

test('stand-in: a client reaching the down server gets the page at its address, registers an address, and is told', async () => {
  const { writeFileSync, rmSync } = await import('node:fs');
  const policy = `/tmp/bs-standin-policy-${process.pid}.js`;
  // The operator's own words on the page; the page escapes them.
  writeFileSync(policy, "function render(n) { return n.kind === 'standin' ? { pageText: 'Maintenance until 18:00 <b>CET</b>' } : {}; }\n");
  try {
  await withLab('dt-stand', { clients: 2, serverSide: false, serverOptions: "\toption standin '1'\n\tlist probe 'tcp:80'", mainOptions: { probe_interval: '600', policy } }, async (lab) => {
    await lab.lab.serverGone('addr');
    await lab.start();
    await lab.curlUnreachable('c'); // the first attempt shows the outage
    await lab.waitForLog(/is down/, 10_000);
    await lab.statusWhen((s) => s.standin?.active[0]?.listenPort !== undefined, 'the stand-in listening for the server');
    // 192.0.2.12 has no contact (192.0.2.11's configured one is never replaced from the page):
    // it leaves its address on the stand-in's form.
    const jar = `${lab.dir}/cookies`;
    const page = await lab.lab.exec('c2', ['curl', '-sS', '-c', jar, '-b', jar, '-H', 'Accept-Language: en', '-m', '10', 'http://198.51.100.10/']);
    assert.match(page.stdout, /www\.example\.test/, 'the page names the server from backsoon\'s tables');
    assert.match(page.stdout, /Maintenance until 18:00 &lt;b&gt;CET&lt;\/b&gt;/, 'the policy\'s text, escaped');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.stdout)?.[1];
    assert.ok(csrf, page.stdout.slice(0, 400));
    const post = await lab.lab.exec('c2', ['curl', '-sS', '-c', jar, '-b', jar, '-m', '10',
      '--data-urlencode', `csrf=${csrf}`, '--data-urlencode', 'mail=carol@example.test', '--data-urlencode', 'choice=yes',
      '--data-urlencode', 'return=/', '--data-urlencode', 'lang=en', 'http://198.51.100.10/.backsoon/register']);
    assert.match(post.stdout, /carol@example\.test/, 'the confirmation shows the registered address');
    const s = await lab.status();
    assert.ok(s.standin, 'stand-in counters in status');
    await lab.lab.serverBack();
    assert.is((await lab.trap()).code, 0);
    const mails = await lab.exim.waitFor(2, 20_000);
    assert.equal(mails.map((m) => m.recipient).sort(), ['alice@example.test', 'carol@example.test']);
    // The rules are gone with the outage: the real server answers again.
    const real = await lab.curl('c2', 5);
    assert.match(real.stdout, /real server/);
    await lab.stopDaemon('SIGTERM');
    const nft = await lab.lab.exec('r', ['nft', 'list', 'tables']);
    assert.not.match(nft.stdout, /backsoon/, 'the table is removed on exit');
  });
  } finally {
    rmSync(policy, { force: true });
  }
});

test('an operator policy steers the notices: a custom subject, one client left out; a broken policy leaves the defaults', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const policy = join(tmpdir(), `bs-policy-${process.pid}.js`);
  writeFileSync(policy, `
function shouldNotify(outage, client) { return client.address !== '192.0.2.11'; }
function render(notice) { return { subject: 'Back: ' + notice.outage.name + ' after ' + Math.round(notice.outage.durationSeconds) + ' s' }; }
`);
  try {
    await withLab('dt-pol', { clients: 1, serverSide: false, mainOptions: { probe_interval: '600', policy } }, async (lab) => {
      await lab.lab.serverGone('addr');
      await lab.start();
      assert.match(lab.log, /policy .*: hooks shouldNotify, render/);
      await lab.curlUnreachable('c');
      await lab.curlUnreachable('c1');
      await lab.waitForLog(/client 192\.0\.2\.11 tried/, 10_000);
      await lab.lab.serverBack();
      assert.is((await lab.trap()).code, 0);
      const mails = await lab.exim.waitFor(1, 20_000);
      await lab.statusWhen((x) => x.directNotices.policyDeclined === 1, 'bob declined by the policy');
      await lab.outboxIdle();
      assert.equal((await lab.exim.messages()).map((m) => m.recipient), ['alice@example.test'], 'bob was left out by the policy');
      assert.match(mails[0].subject, /^Back: www\.example\.test after \d+ s$/);
      const s = await lab.status();
      assert.is(s.directNotices.policyDeclined, 1);
      // A policy that does not parse: reload keeps running with the defaults.
      writeFileSync(policy, 'function render( {');
      const mark = lab.log.length;
      lab.daemon!.kill('SIGHUP');
      await lab.waitForLog(/policy not used, backsoon's defaults apply: .*:1/, 5_000, mark);
      assert.ok((await lab.status()).pid > 0, 'still running');
    });
  } finally {
    (await import('node:fs')).rmSync(policy, { force: true });
  }
});

test('a full server table forgets an idle outage the stand-in answers for: the redirect goes and a webhook hears the end', async () => {
  // A webhook receiver in the router's namespace, printing each POST as a JSON line.
  const HOOK_PORT = 18471;
  const receiver = `require('http').createServer((q, s) => { let b = ''; q.on('data', (c) => { b += c; });
    q.on('end', () => { process.stdout.write(JSON.stringify({ event: q.headers['x-backsoon-event'], body: JSON.parse(b) }) + '\\n'); s.end('ok'); });
  }).listen(${HOOK_PORT}, '127.0.0.1', () => process.stdout.write('listening\\n'));`;
  const extraConfig = `
config watch
	list network '198.51.100.0/24'

config webhook
	option url 'http://127.0.0.1:${HOOK_PORT}/hook'
	list event 'down'
	list event 'expired'
`;
  await withLab('dt-evict', {
    fastNeigh: false, serverOptions: "\toption standin '1'", extraConfig,
    mainOptions: { probe_interval: '600', max_servers: '1', arp_retries: '3' },
  }, async (lab) => {
    const hook = lab.lab.spawn('r', [process.execPath, '-e', receiver], { stdio: ['ignore', 'pipe', 'pipe'] });
    let posts = '';
    hook.stdout!.setEncoding('utf8').on('data', (d: string) => { posts += d; });
    let hookErrors = '';
    hook.stderr!.setEncoding('utf8').on('data', (d: string) => { hookErrors += d; });
    const received = () => posts.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; body: any });
    for (const deadline = Date.now() + 5000; !posts.includes('listening') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    assert.ok(posts.includes('listening'), `the webhook receiver did not start: ${hookErrors}`);
    await lab.start();
    await lab.lab.serverGone('addr');
    // The router itself asks for the server (no client tries it, so nobody waits for it).
    await lab.lab.exec('r', ['ping', '-c', '5', '-i', '1', '-W', '1', SERVER], { timeoutMs: 15_000 });
    await lab.waitForLog(/server 198\.51\.100\.10 is down \((arp-silence|neigh-failed)\)/, 10_000);
    const before = await lab.lab.exec('r', ['nft', 'list', 'table', 'inet', 'backsoon']);
    assert.match(before.stdout, /198\.51\.100\.10/, 'the stand-in redirects the server');
    // Another watched address goes silent: the one-server table makes room by forgetting the idle outage.
    await lab.lab.exec('r', ['ping', '-c', '5', '-i', '1', '-W', '1', '198.51.100.20'], { timeoutMs: 15_000 });
    await lab.waitForLog(/outage of 198\.51\.100\.10 forgotten without a recovery \(evicted/, 10_000);
    const s = await lab.status();
    assert.equal(s.outages.map((o: any) => o.server), ['198.51.100.20']);
    assert.is(s.engine.outagesEvicted, 1);
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      if (!/198\.51\.100\.10/.test((await lab.lab.exec('r', ['nft', 'list', 'table', 'inet', 'backsoon'])).stdout)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await lab.lab.exec('r', ['nft', 'list', 'table', 'inet', 'backsoon']);
    assert.not.match(after.stdout, /198\.51\.100\.10/, 'no redirect for the forgotten outage');
    // Nothing stands in any more: a client reaches the real server, not the page. (While it is
    // still away a client's attempt would be a new outage, stood in for again.)
    await lab.lab.serverBack();
    const real = await lab.curl('c', 5);
    assert.match(real.stdout, /real server/);
    assert.not.match(real.stdout, /www\.example\.test/, 'not the stand-in page');
    // The webhook heard the outage begin and end, under one id.
    for (const deadline = Date.now() + 10_000; !received().some((p) => p.event === 'expired') && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ten = received().filter((p) => p.body.server.address === SERVER);
    assert.equal(ten.map((p) => p.event), ['down', 'expired'], JSON.stringify(received()));
    assert.is(ten[1].body.outage.id, ten[0].body.outage.id);
    assert.is(ten[1].body.outage.expiryCause, 'evicted');
  });
});

test.run();
