// `backsoon agent` without a network: its configuration, its address table, how it reads
// mails, and what it deletes or keeps. The mailbox here is MailboxMock, an in-memory stand-in
// for a POP3 session (unit tests run without root, where Dovecot cannot start); the real POP3
// server is in test/lab/delegation.test.ts. The outbox is the real one, in a temp dir.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelegationAgent, type MailboxSession } from '../../src/agent/agent';
import { agentConfigFromText } from '../../src/agent/config';
import { AgentContacts, loadContacts, MapFileError } from '../../src/agent/contacts';
import { parseMessage } from '../../src/agent/message';
import type { Pop3Listing } from '../../src/agent/pop3-client';
import { serverNameLookup } from '../../src/agent/server-name';
import { ConfigError } from '../../src/config/diagnostics';
import { Outbox } from '../../src/notify/outbox/outbox';
import type { RecoveryTargets } from '../../src/notify/targets-format';
import { renderTargetsMail } from '../../src/notify/targets-mail';

const T0 = 1_795_000_000;
const targets: RecoveryTargets = {
  server: { name: 'www.example.test', address: '198.51.100.80' },
  outage: '198.51.100.80@1795000000', outageStart: T0, recoveredAt: T0 + 723,
  clients: [
    { client: '192.0.2.7', firstAttempt: T0 + 1, lastAttempt: T0 + 5 },
    { client: '192.0.2.8', firstAttempt: T0 + 2, lastAttempt: T0 + 2, mac: '02:00:5e:10:00:08' },
    { client: '192.0.2.9', firstAttempt: T0 + 3, lastAttempt: T0 + 3 },
  ],
};
const targetsRaw = renderTargetsMail(targets, 'notify@www.example.test', 'backsoon@router.example.test', { date: T0 + 724 }).raw;

// ---- configuration ----

const AGENT_CONF = `
config agent
	option pop3_host 'mail.example.test'
	option pop3_user 'notify'
	option pop3_password 'secret'

config mail
	option host '127.0.0.1'
	option from 'notifier@www.example.test'

config contact
	option client '192.0.2.7'
	option mail 'alice@example.test'
`;

test('agent configuration: defaults, the mail section and contacts, no daemon warnings', () => {
  const setup = agentConfigFromText(AGENT_CONF, '/etc/config/backsoon', { hostname: 'www' });
  assert.equal(setup.agent, {
    pop3Host: 'mail.example.test', pop3Port: 110, pop3Tls: 'starttls', pop3User: 'notify', pop3Password: 'secret', pop3Ca: null,
    pollInterval: 60, stateDir: '/var/lib/backsoon-agent', mapFile: null, resolveNames: true, dnsServers: [],
  });
  assert.is(setup.mail.from, 'notifier@www.example.test');
  assert.is(setup.contacts.length, 1);
  assert.equal(setup.warnings, []);
  const tls = agentConfigFromText(AGENT_CONF.replace("'notify'", "'notify'\n\toption pop3_tls 'tls'"), 'f', { hostname: 'www' });
  assert.is(tls.agent.pop3Port, 995);
});

test('agent configuration: every error with its line, and what is missing', () => {
  const errors = (text: string) => {
    try {
      agentConfigFromText(text, 'agent.conf', { hostname: 'www' });
    } catch (err) {
      assert.instance(err, ConfigError);
      return (err as ConfigError).errors;
    }
    return [];
  };
  assert.equal(errors("config mail\n\toption host 'x'\n"), [
    'agent.conf: there is no config agent section: add one with option pop3_host, pop3_user and pop3_password (docs/DELEGATION.md)',
  ]);
  assert.equal(errors("config agent\n\toption pop3_host 'x'\n\toption pop3_user 'u'\n\toption pop3_password 'p'\n"), [
    'agent.conf: there is no config mail section: the agent needs one to send the notices (option host, and from)',
  ]);
  assert.equal(errors(AGENT_CONF.replace("option pop3_user 'notify'", "list dns_server '1.2.3'")), [
    "agent.conf:2: section @agent[0] (config agent): option pop3_user is required: POP3 user name.",
    "agent.conf:4: list dns_server '1.2.3' in section @agent[0]: must be ADDRESS or ADDRESS:PORT, such as 192.0.2.53 or 127.0.0.1:5353",
  ]);
});

// ---- address table ----

test('map file: IPv4 and MAC keys, comments; every bad line reported with file:line', () => {
  const contacts = new AgentContacts([{ client: 0xc0000207, mac: null, mail: 'alice@example.test' }], {
    file: 'map', text: '# clients of the web server\n192.0.2.8   bob@example.test\n02:00:5E:10:00:09 carol@example.test # by MAC\n',
  });
  assert.is(contacts.lookup('192.0.2.7'), 'alice@example.test');
  assert.is(contacts.lookup('192.0.2.8'), 'bob@example.test');
  assert.is(contacts.lookup('192.0.2.99', '02:00:5e:10:00:09'), 'carol@example.test');
  assert.is(contacts.lookup('192.0.2.99'), undefined);
  try {
    new AgentContacts([{ client: 0xc0000207, mac: null, mail: 'alice@example.test' }], {
      file: 'map', text: '192.0.2.8 bob@example.test\n192.0.2.8 bob2@example.test\n192.0.2.7 a@example.test\nwww x@example.test\n192.0.2.10 no-at-sign\n192.0.2.11\n',
    });
    assert.unreachable('expected MapFileError');
  } catch (err) {
    assert.instance(err, MapFileError);
    assert.equal((err as MapFileError).problems, [
      'map:2: 192.0.2.8 is already given at line 1; one line per client',
      'map:3: 192.0.2.7 also has a config contact section; give it in one place',
      "map:4: 'www' is neither an IPv4 address (192.0.2.7) nor a MAC address (02:00:5e:10:00:01)",
      "map:5: mail address 'no-at-sign' has no local part before '@'",
      "map:6: write one 'ADDRESS MAIL' pair per line, such as '192.0.2.7 alice@example.org'",
    ]);
  }
  assert.throws(() => loadContacts([], '/nonexistent/backsoon-map'), /cannot read the map file \(option map_file\): no such file/);
});

// ---- reading mails ----

test('mails: a forwarded (multipart) or quoted-printable targets mail is still read', () => {
  const inner = targetsRaw.slice(targetsRaw.indexOf('\r\n\r\n') + 4);
  const multipart = Buffer.from([
    'From: admin@example.test', 'Subject: Fwd: targets', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
    'preamble', '--b1', 'Content-Type: text/plain', '', 'See below.', '--b1', 'Content-Type: text/plain; charset=us-ascii', '',
    inner.replace(/\r\n$/, ''), '--b1--', '',
  ].join('\r\n'));
  assert.match(parseMessage(multipart).text, /client: 192\.0\.2\.9 /);
  const qp = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${
    inner.replace(/client: 192\.0\.2\.7 /, 'client: 192.0.2=\r\n.7 ').replace(/: /g, ':=20')}`);
  assert.match(parseMessage(qp).text, /client: 192\.0\.2\.7 2026/);
});

// ---- the agent ----

class MailboxMock {
  readonly messages = new Map<string, Buffer>();
  readonly deleted: string[] = [];
  sessions = 0;
  quits = 0;
  failRetrieve = false;

  add(uid: string, raw: string): void {
    this.messages.set(uid, Buffer.from(raw));
  }

  connect(): Promise<MailboxSession> {
    this.sessions++;
    const listing: Pop3Listing[] = [...this.messages].map(([uid, raw], i) => ({ n: i + 1, size: raw.length, uid }));
    const marked = new Set<string>();
    return Promise.resolve({
      list: async () => listing,
      retrieve: async (n: number) => {
        if (this.failRetrieve) throw new Error('connection reset');
        return this.messages.get(listing[n - 1].uid!)!;
      },
      delete: async (n: number) => { marked.add(listing[n - 1].uid!); },
      // POP3: deletions take effect at QUIT only
      quit: async () => { this.quits++; for (const uid of marked) { this.messages.delete(uid); this.deleted.push(uid); } },
      destroy: () => {},
    });
  }
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-agent-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  const mailbox = new MailboxMock();
  const logs: string[] = [];
  const contacts = new AgentContacts([], { file: 'map', text: '192.0.2.7 alice@example.test\n02:00:5e:10:00:08 bob@example.test\n' });
  const agent = new DelegationAgent({
    connect: () => mailbox.connect(), outbox, contacts, serverName: serverNameLookup({ enabled: false, servers: [] }),
    from: 'notifier@www.example.test', log: (level, m) => logs.push(`${level}: ${m}`), now: () => T0 + 800,
  });
  const queued = () => readdirSync(join(dir, 'queue')).map((f) => JSON.parse(readFileSync(join(dir, 'queue', f), 'utf8')) as { key: string; payload: { to: string; raw: string } });
  return { dir, outbox, mailbox, logs, agent, queued, done: async () => { await outbox.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('a targets mail: one notice per client with an address (IP or MAC), then the mail is deleted', async () => {
  const s = await setup();
  try {
    s.mailbox.add('uid-1', targetsRaw);
    const report = await s.agent.pollOnce();
    assert.equal(report, { messages: 1, deleted: 1, kept: 0, notices: { queued: 2, duplicate: 0, noContact: 1, unsendable: 0 }, failure: null });
    assert.equal(s.mailbox.deleted, ['uid-1']);
    const q = s.queued();
    assert.equal(q.map((m) => m.payload.to).sort(), ['alice@example.test', 'bob@example.test']);
    const alice = q.find((m) => m.payload.to === 'alice@example.test')!;
    assert.is(alice.key, 'mail:alice@example.test|198.51.100.80@1795000000');
    assert.match(alice.payload.raw, /Subject: Server failure recovery notice: www\.example\.test \(198\.51\.100\.80\)/);
    assert.match(alice.payload.raw, /Your address:    192\.0\.2\.7/);
    assert.ok(s.logs.some((l) => /client 192\.0\.2\.9 .* no address in this agent's table/.test(l)));
  } finally {
    await s.done();
  }
});

test('the same targets mail again (a QUIT that was lost): duplicates, nothing sent twice, deleted', async () => {
  const s = await setup();
  try {
    s.mailbox.add('uid-1', targetsRaw);
    await s.agent.pollOnce();
    s.mailbox.add('uid-2', targetsRaw);
    const report = await s.agent.pollOnce();
    assert.equal(report.notices, { queued: 0, duplicate: 2, noContact: 1, unsendable: 0 });
    assert.equal(s.mailbox.deleted, ['uid-1', 'uid-2']);
    assert.is(s.queued().length, 2);
  } finally {
    await s.done();
  }
});

test('a malformed targets mail and a stray mail are kept, reported once, and nothing is sent', async () => {
  const s = await setup();
  try {
    s.mailbox.add('bad', targetsRaw.replace('clients: 3', 'clients: 4'));
    s.mailbox.add('stray', 'From: someone@example.test\r\nSubject: hello\r\n\r\nHi!\r\n');
    for (let i = 0; i < 3; i++) {
      const report = await s.agent.pollOnce();
      assert.equal({ ...report, notices: report.notices.queued }, { messages: 2, deleted: 0, kept: 2, notices: 0, failure: null });
    }
    assert.equal(s.mailbox.deleted, []);
    assert.is(s.queued().length, 0);
    const warns = s.logs.filter((l) => l.startsWith('warn:'));
    assert.equal(warns.length, 2, 'each kept mail is reported once, not at every look');
    assert.match(warns[0], /malformed targets mail bad .*clients says 4 but the block has 3.*left in the mailbox, nothing sent/);
    assert.match(warns[1], /mail stray \(from 'someone@example\.test', subject 'hello'\) is not a targets mail/);
  } finally {
    await s.done();
  }
});

test('when the outbox cannot take a notice, the targets mail stays for the next look', async () => {
  const s = await setup();
  try {
    s.mailbox.add('uid-1', targetsRaw);
    await s.outbox.close(); // enqueue now throws, as a full or read-only state_dir would make it
    const report = await s.agent.pollOnce();
    assert.equal({ deleted: report.deleted, kept: report.kept }, { deleted: 0, kept: 1 });
    assert.equal(s.mailbox.deleted, []);
    assert.ok(s.logs.some((l) => /^error: .*stays in the mailbox for the next look/.test(l)));
  } finally {
    await s.done();
  }
});

test('a session that breaks mid-way deletes nothing (no QUIT) and says why', async () => {
  const s = await setup();
  try {
    s.mailbox.add('uid-1', targetsRaw);
    s.mailbox.failRetrieve = true;
    const report = await s.agent.pollOnce();
    assert.is(report.failure, 'connection reset');
    assert.is(s.mailbox.quits, 0);
    assert.equal(s.mailbox.deleted, []);
  } finally {
    await s.done();
  }
});

test('map file from disk, as the agent loads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-map-'));
  try {
    writeFileSync(join(dir, 'map'), '192.0.2.7 alice@example.test\n');
    assert.is(loadContacts([], join(dir, 'map')).lookup('192.0.2.7'), 'alice@example.test');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
