// Delegation (P13, P14) with real peers, all on 127.0.0.1 and free high ports:
//   router (real engine, outbox, mail channel) --SMTP--> exim "notifier.test" --> Maildir
//   Maildir <--POP3-- Dovecot <--POP3-- `backsoon agent --once` (a real process, its own outbox)
//   agent --SMTP--> exim "example.test" (the clients' mail) ; agent --DNS PTR--> dnsmasq
// Checked as a user would: who got which notice, that the targets mail left the mailbox, that
// a malformed one stays and sends nothing, and that TLS is verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pop3Client } from '../../src/agent/pop3-client';
import type { MailConfig, ServerConfig } from '../../src/config/types';
import { parseIPv4 } from '../../src/net/ipv4';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { createMailTransport } from '../../src/notify/mail';
import { OutageEventCollector, type ServerRecoveredEvent } from '../../src/notify/outbound-edges';
import { renderTargetsMail } from '../../src/notify/targets-mail';
import { queueOutbound } from '../../src/notify/outbound';
import { delegationMessages, targetsFromEvent } from '../../src/notify/targets-queue';
import { Dnsmasq } from './delegation-dns';
import { Dovecot } from './delegation-dovecot';
import { Exim } from './exim';
import { mailConfig, wire } from './mail-helpers';
import { ipFromV4 } from '../../src/net/ip';

const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ip = (s: string) => parseIPv4(s)!;
const T0 = 1_795_000_000;
const MAILBOX = 'notify@notifier.test';
const POP3_USER = 'notify';
const POP3_PASSWORD = 'pop3 secret';

let notifierMta: Exim; // the server's mail domain: targets mails land in its Maildir
let clientMta: Exim;   // the clients' mail domain: the notices land here
let pop3: Dovecot;
let dns: Dnsmasq;
let work: string;

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'bs-dl-deleg-'));
  notifierMta = await Exim.start({ domain: 'notifier.test' });
  clientMta = await Exim.start({ domain: 'example.test' });
  const uid = Number(execFileSync('id', ['-u', 'Debian-exim']).toString());
  const gid = Number(execFileSync('id', ['-g', 'Debian-exim']).toString());
  pop3 = await Dovecot.start({ maildir: join(notifierMta.dir, 'Maildir'), user: POP3_USER, password: POP3_PASSWORD, uid, gid, tls: true });
  dns = await Dnsmasq.start({ '198.51.100.80': 'www.example.test' });
});
test.after(async () => {
  dns?.stop();
  await pop3?.dispose();
  await notifierMta?.dispose();
  await clientMta?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const server = (name: string, address: string): ServerConfig => ({
  section: name, name, address: ipFromV4(ip(address)), agentAddresses: [], notify: ['server'], mailbox: MAILBOX,
  probe: [], standin: false, standinPorts: [80],
});

/** The real engine through one outage of `address`; returns the recovery event the daemon gets. */
function recovery(address: string, clients: [string, number][], start: number): ServerRecoveredEvent {
  const events: ServerRecoveredEvent[] = [];
  const collector = new OutageEventCollector((e) => { if (e.kind === 'recovered') events.push(e); }, (err) => { throw err; }, () => {});
  const engine = new Engine({ ...defaultEngineOptions }, (d) => collector.push(d));
  clients.forEach(([client, mac], i) => engine.syn(start + i, ip(client), ip(address), 40000 + i, 80, 1000 + i, mac));
  engine.tick(start + 31);
  engine.recoverySignal(start + 723, ipFromV4(ip(address)), 'trap');
  collector.flush();
  return events[0];
}

/** The router's side: queues the targets mail and waits until exim has put it into the Maildir. */
async function routerSends(event: ServerRecoveredEvent, config: ServerConfig): Promise<void> {
  const before = (await notifierMta.messages()).length;
  const w = await wire(notifierMta);
  try {
    const { messages, problems } = delegationMessages(event, config, { ...mailConfig(notifierMta), nms: null }, { date: event.t + 1 });
    const r = await queueOutbound(w.outbox, messages, problems);
    assert.equal(r, { queued: 1, duplicate: 0, problems: [] });
    await w.outbox.settled();
    assert.is(w.outbox.stats().sent, 1);
  } finally {
    await w.close();
  }
  await notifierMta.waitFor(before + 1, 10_000);
}

interface AgentRun { code: number; stderr: string }

/** Writes the agent's configuration file for the Dovecot and exim of this test. */
function agentConf(options: { tls?: 'none' | 'starttls' | 'tls'; ca?: boolean; stateDir?: string; pollInterval?: number } = {}): string {
  const tls = options.tls ?? 'none';
  const conf = join(work, `agent-${tls}-${options.ca ? 'ca' : 'noca'}.conf`);
  const map = join(work, 'contacts');
  writeFileSync(map, '# clients known by MAC only\n02:00:5e:10:00:08 bob@example.test\n');
  writeFileSync(conf, `
config agent
	option pop3_host '127.0.0.1'
	option pop3_port '${tls === 'tls' ? pop3.tlsPort : pop3.port}'
	option pop3_tls '${tls}'
	option pop3_user '${POP3_USER}'
	option pop3_password '${POP3_PASSWORD}'
	${options.ca ? `option pop3_ca '${pop3.certFile}'` : ''}
	option state_dir '${options.stateDir ?? join(work, 'agent-state')}'
	option map_file '${map}'
	list dns_server '${dns.server}'
	option poll_interval '${options.pollInterval ?? 60}'

config mail
	option host '127.0.0.1'
	option port '${clientMta.port}'
	option from 'notifier@notifier.test'

config contact
	option client '192.0.2.7'
	option mail 'alice@example.test'
`);
  return conf;
}

/** `backsoon agent --config FILE --once`, as an admin would run it from cron. */
function agentOnce(options: { tls?: 'none' | 'starttls' | 'tls'; ca?: boolean; stateDir?: string } = {}): Promise<AgentRun> {
  const conf = agentConf(options);
  return new Promise((resolveRun) => {
    execFile(TSX, [join(ROOT, 'src/main.ts'), 'agent', '--config', conf, '--once'], { cwd: ROOT, timeout: 60_000 }, (error, _stdout, stderr) => {
      resolveRun({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
    });
  });
}

async function mailboxCount(): Promise<number> {
  const c = await Pop3Client.connect({ host: '127.0.0.1', port: pop3.port, tls: 'none', user: POP3_USER, password: POP3_PASSWORD, timeoutMs: 5000 });
  try {
    return (await c.list()).length;
  } finally {
    await c.quit();
  }
}

test('P13/P14: the router mails the list, the agent fetches it by POP3, mails each known client, and deletes it', async () => {
  // 192.0.2.7 is known by address (config contact), 192.0.2.8 by MAC (map_file), 192.0.2.9 not at all
  const web = recovery('198.51.100.80', [['192.0.2.7', 0], ['192.0.2.8', 0x02005e100008], ['192.0.2.9', 0]], T0);
  // a second server without a PTR record: its notice falls back to the name the router sent
  const db = recovery('198.51.100.81', [['192.0.2.7', 0]], T0 + 5000);
  await routerSends(web, server('web-configured-name', '198.51.100.80'));
  await routerSends(db, server('db.example.test', '198.51.100.81'));
  assert.is(await mailboxCount(), 2);
  const before = (await clientMta.messages()).length;

  const run = await agentOnce();
  assert.is(run.code, 0, run.stderr);
  const notices = (await clientMta.waitFor(before + 3, 10_000)).slice(before);
  assert.is(notices.length, 3, notices.map((n) => `${n.recipient} ${n.subject}`).join('\n'));
  const to = (who: string, address: string) => notices.find((n) => n.recipient === who && n.subject.includes(`(${address})`));
  const alice = to('alice@example.test', '198.51.100.80');
  const bob = to('bob@example.test', '198.51.100.80');
  const aliceDb = to('alice@example.test', '198.51.100.81');
  assert.ok(alice && bob && aliceDb);
  // P14: the name by reverse DNS, not the router's configured one
  assert.is(alice!.subject, 'Server failure recovery notice: www.example.test (198.51.100.80)');
  assert.is(aliceDb!.subject, 'Server failure recovery notice: db.example.test (198.51.100.81)');
  assert.is(alice!.headers.from, 'notifier@notifier.test');
  assert.match(alice!.body, /  Your address:    192\.0\.2\.7\n/);
  assert.match(bob!.body, /  Your address:    192\.0\.2\.8\n/);
  assert.match(alice!.body, /  Outage duration: 12 min 3 s\n/);
  assert.ok(!notices.some((n) => n.body.includes('192.0.2.9')), 'an unknown client is not told');
  assert.match(run.stderr, /client 192\.0\.2\.9 waited for 198\.51\.100\.80 but has no address/);

  // the targets mails are gone from the server's mailbox, as POP3 and as files
  assert.is(await mailboxCount(), 0);
  const maildir = join(notifierMta.dir, 'Maildir');
  assert.equal([...readdirSync(join(maildir, 'new')), ...readdirSync(join(maildir, 'cur'))], []);

  // a second look finds nothing and sends nothing
  const again = await agentOnce();
  assert.is(again.code, 0, again.stderr);
  await clientMta.settle(5000);
  assert.is((await clientMta.messages()).length, before + 3);
});

test('a malformed targets mail is reported and kept, and nothing is sent for it', async () => {
  const event = recovery('198.51.100.80', [['192.0.2.7', 0]], T0 + 10_000);
  // rendered as the router renders it, then a client line cut out: the count no longer matches
  const raw = renderTargetsMail(targetsFromEvent(event, 'web'), MAILBOX, 'backsoon <backsoon@router.example.test>')
    .raw.replace(/client: 192\.0\.2\.7 [^\r]*\r\n/, '');
  const before = (await notifierMta.messages()).length;
  const transport = createMailTransport({ ...mailConfig(notifierMta), nms: null } as MailConfig);
  try {
    assert.is((await transport.send({ from: 'backsoon@router.example.test', to: MAILBOX, raw })).status, 'sent');
  } finally {
    transport.close();
  }
  await notifierMta.waitFor(before + 1, 10_000);
  const sentBefore = (await clientMta.messages()).length;

  const run = await agentOnce();
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /malformed targets mail \S+ \(from 'backsoon <backsoon@router\.example\.test>', subject 'Server failure recovery notification targets: web \(198\.51\.100\.80\)'\): clients says 1 but the block has 0 client line\(s\)/);
  assert.match(run.stderr, /left in the mailbox, nothing sent/);
  assert.is(await mailboxCount(), 1, 'kept on the server');
  await clientMta.settle(5000);
  assert.is((await clientMta.messages()).length, sentBefore, 'nothing sent');
  // leave the mailbox empty for the next test
  const c = await Pop3Client.connect({ host: '127.0.0.1', port: pop3.port, tls: 'none', user: POP3_USER, password: POP3_PASSWORD });
  for (const m of await c.list()) await c.delete(m.n);
  await c.quit();
});

test('TLS: the certificate is verified (pop3_ca), over STLS and over TLS from the start', async () => {
  const untrusted = await agentOnce({ tls: 'starttls' });
  assert.is(untrusted.code, 1);
  assert.match(untrusted.stderr, /TLS certificate is not trusted .*give the CA that signed it as option pop3_ca/);

  const event = recovery('198.51.100.80', [['192.0.2.7', 0]], T0 + 20_000);
  await routerSends(event, server('web', '198.51.100.80'));
  const before = (await clientMta.messages()).length;
  const starttls = await agentOnce({ tls: 'starttls', ca: true });
  assert.is(starttls.code, 0, starttls.stderr);
  assert.is((await clientMta.waitFor(before + 1, 10_000)).length, before + 1);
  assert.is(await mailboxCount(), 0);
  assert.match(pop3.log(), /pop3-login: Info: Login: user=<notify>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS/);

  const tls = await agentOnce({ tls: 'tls', ca: true });
  assert.is(tls.code, 0, tls.stderr);
});

test('as a service: it looks again every poll_interval, and stops cleanly on SIGTERM', async () => {
  const conf = agentConf({ pollInterval: 5, stateDir: join(work, 'service-state') });
  const child = spawn(TSX, [join(ROOT, 'src/main.ts'), 'agent', '--config', conf], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    for (let i = 0; !/agent: notify@127\.0\.0\.1/.test(stderr); i++) {
      if (i > 300) throw new Error(`the agent did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // the first look has found an empty mailbox; this mail is for a later one
    const before = (await clientMta.messages()).length;
    await routerSends(recovery('198.51.100.80', [['192.0.2.7', 0]], T0 + 30_000), server('web', '198.51.100.80'));
    const notices = (await clientMta.waitFor(before + 1, 20_000)).slice(before);
    assert.equal(notices.map((n) => n.recipient), ['alice@example.test']);
    child.kill('SIGTERM');
    assert.is(await exited, 0, stderr);
    assert.match(stderr, /stopping/);
    assert.is(await mailboxCount(), 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('clear errors: a wrong password, a server without STLS, a configuration without config mail', async () => {
  const wrong = await Pop3Client.connect({ host: '127.0.0.1', port: pop3.port, tls: 'none', user: POP3_USER, password: 'wrong' })
    .then(() => 'connected', (err: Error) => err.message);
  assert.match(wrong, /POP3 server 127\.0\.0\.1:\d+ refused user 'notify': -ERR \[AUTH\] Authentication failed\.; check pop3_user and pop3_password/);

  const plainOnly = await Dovecot.start({ maildir: join(work, 'empty-maildir'), user: 'u', password: 'p', uid: 0, gid: 0 });
  try {
    const noStls = await Pop3Client.connect({ host: '127.0.0.1', port: plainOnly.port, tls: 'starttls', user: 'u', password: 'p' })
      .then(() => 'connected', (err: Error) => err.message);
    assert.match(noStls, /does not offer STLS; set pop3_tls 'tls'/);
  } finally {
    await plainOnly.dispose();
  }

  const conf = join(work, 'no-mail.conf');
  writeFileSync(conf, "config agent\n\toption pop3_host '127.0.0.1'\n\toption pop3_user 'u'\n\toption pop3_password 'p'\n");
  const run = await new Promise<AgentRun>((r) => execFile(TSX, [join(ROOT, 'src/main.ts'), 'agent', '--config', conf, '--once'], { cwd: ROOT },
    (error, _o, stderr) => r({ code: error === null ? 0 : Number(error.code), stderr })));
  assert.is(run.code, 2);
  assert.match(run.stderr, /no-mail\.conf: there is no config mail section: the agent needs one to send the notices/);
});

test.run();
