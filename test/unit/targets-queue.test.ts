// Who gets a recovery's list of clients (list notify 'server' / 'nms'), and that it goes into
// the durable outbox once per mailbox and outage.
import { ipFromV4 } from '../../src/net/ip';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailConfig, ServerConfig } from '../../src/config/types';
import { parseMessage } from '../../src/agent/message';
import { Outbox } from '../../src/notify/outbox/outbox';
import type { ServerRecoveredEvent } from '../../src/notify/outbound-edges';
import { parseTargetsText } from '../../src/notify/targets-format';
import { queueOutbound } from '../../src/notify/outbound';
import { delegationMessages, delegationRecipients } from '../../src/notify/targets-queue';

/** The delegation mails of one recovery into the outbox, as the daemon's dispatcher queues them. */
function queueDelegation(outbox: Outbox, ...args: Parameters<typeof delegationMessages>) {
  const { messages, problems } = delegationMessages(...args);
  return queueOutbound(outbox, messages, problems);
}

const mail: MailConfig = {
  host: '127.0.0.1', port: 25, tls: 'none', user: null, password: null,
  from: 'backsoon@router.example.test', heloName: null, nms: 'nms@example.test',
};
const server = (notify: ServerConfig['notify'], mailbox: string | null = 'notify@www.example.test'): ServerConfig => ({
  section: 'www', name: 'www.example.test', address: ipFromV4(0xc6336450), agentAddresses: [], notify, mailbox,
  probe: [], standin: false, standinPorts: [80],
});
const T0 = 1_795_000_000;
const event: ServerRecoveredEvent = {
  kind: 'recovered', t: T0 + 723, server: '198.51.100.80', since: T0, cause: 'trap', outage: `198.51.100.80@${T0}`, stale: 0,
  clients: [
    { client: '192.0.2.7', addresses: ['192.0.2.7'], firstAttempt: T0 + 1, lastAttempt: T0 + 5, contact: 'alice@example.test' },
    { client: '192.0.2.8', addresses: ['192.0.2.8'], firstAttempt: T0 + 2, lastAttempt: T0 + 2, mac: '02:00:5e:10:00:01' },
  ],
};

test('recipients: server -> option mailbox (table 75), nms -> option nms of config mail, direct -> none', () => {
  assert.equal(delegationRecipients(server(['direct']), mail), { recipients: [], problems: [] });
  assert.equal(delegationRecipients(server(['server', 'nms']), mail).recipients,
    [{ via: 'server', to: 'notify@www.example.test' }, { via: 'nms', to: 'nms@example.test' }]);
  assert.equal(delegationRecipients(server(['nms']), { ...mail, nms: null }).problems,
    ["server www.example.test: list notify 'nms' needs option nms in config mail"]);
  assert.match(delegationRecipients(server(['server']), null).problems.join(), /no config mail section/);
  assert.equal(delegationRecipients(undefined, mail).recipients, [], 'an unconfigured server is told directly');
});

test('one targets mail per mailbox into the outbox; again for the same outage is a duplicate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-outbox-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  try {
    // no transport is registered: the messages stay on disk, where this test reads them
    const first = await queueDelegation(outbox, event, server(['direct', 'server', 'nms']), mail, { date: T0 + 724 });
    assert.equal(first, { queued: 2, duplicate: 0, problems: [] });
    const again = await queueDelegation(outbox, event, server(['direct', 'server', 'nms']), mail, { date: T0 + 999 });
    assert.equal(again, { queued: 0, duplicate: 2, problems: [] });
    assert.is(outbox.stats().channels.mail?.queued, 2);

    const queue = join(dir, 'queue');
    // one JSON line per message in the outbox's batch files
    const stored = readdirSync(queue).flatMap((f) => readFileSync(join(queue, f), 'utf8').trim().split('\n'))
      .map((line) => JSON.parse(line) as { payload: { to: string; raw: string } });
    assert.equal(stored.map((m) => m.payload.to).sort(), ['nms@example.test', 'notify@www.example.test']);
    for (const m of stored) {
      const read = parseTargetsText(parseMessage(Buffer.from(m.payload.raw)).text);
      assert.ok(read.ok);
      if (!read.ok) continue;
      assert.equal(read.targets.clients.map((c) => c.client), ['192.0.2.7', '192.0.2.8']);
      assert.is(read.targets.server.name, 'www.example.test');
      assert.ok(!m.payload.raw.includes('alice@example.test'), "the router's own contacts stay on the router");
    }
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing is sent for a recovery nobody waited for, or without config mail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-dl-outbox-'));
  const outbox = await Outbox.open({ dir, log: () => {} });
  try {
    assert.equal(await queueDelegation(outbox, { ...event, clients: [] }, server(['server']), mail), { queued: 0, duplicate: 0, problems: [] });
    const none = await queueDelegation(outbox, event, server(['server']), null);
    assert.is(none.queued, 0);
    assert.is(none.problems.length, 1);
    assert.is(outbox.stats().queued, 0);
  } finally {
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
