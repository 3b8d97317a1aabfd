// Page registrations between two state files (src/control/registration-journal.ts): on disk
// before they are confirmed, replayed on top of the state file at start, gone once a state file
// holds them; merging them into the state is idempotent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrationJournal, withRegistrations, type Registration } from '../../src/control/registration-journal';
import { defaultEngineOptions, Engine } from '../../src/engine/engine';
import { importState, type EngineState } from '../../src/engine/state';
import { ipFromV4 } from '../../src/net/ip';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bs-ut-journal-'));
  dirs.push(d);
  return d;
}
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const T = 1_800_000_000;
const reg = (client: string, mail: string, t = T): Omit<Registration, 'cause'> =>
  ({ t, server: '198.51.100.10', since: T - 300, client, mac: '02:00:00:00:00:09', mail });

test('a saved registration is on disk at once, replayed at the next start, and gone once a state file holds it', async () => {
  const dir = tempDir();
  let journal = new RegistrationJournal(dir, () => {});
  assert.equal(await journal.open(-1), []);
  journal.outageStarted('198.51.100.10', 'syn-timeout');
  assert.ok(await journal.save(reg('192.0.2.10', 'a@example.test')));
  assert.ok(await journal.save(reg('192.0.2.11', 'b@example.test')));
  assert.equal(readdirSync(dir), ['registrations.0.jsonl']);
  appendFileSync(join(dir, 'registrations.0.jsonl'), '{"t":1,"serv'); // a crash mid-append: never confirmed

  // a restart with no state file since: both come back
  journal = new RegistrationJournal(dir, () => {});
  const records = await journal.open(-1);
  assert.equal(records.map((r) => [r.client, r.mail, r.cause]), [['192.0.2.10', 'a@example.test', 'syn-timeout'], ['192.0.2.11', 'b@example.test', 'syn-timeout']]);
  // a state file is produced (cut), then a registration comes, then the file is on disk
  const cut = journal.cut();
  assert.ok(await journal.save(reg('192.0.2.12', 'c@example.test')));
  await journal.written(cut);
  assert.equal(readdirSync(dir), ['registrations.2.jsonl']);
  const again = await new RegistrationJournal(dir, () => {}).open(cut);
  assert.equal(again.map((r) => r.client), ['192.0.2.12']);
  assert.equal(journal.status(), { saved: 1, notSaved: 0, error: null }); // this instance's
});

test('a journal that cannot be written says so once, refuses, and recovers', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const journal = new RegistrationJournal(join(dir, 'missing'), (level, msg) => logs.push(`${level}: ${msg}`));
  await journal.open(-1);
  assert.not.ok(await journal.save(reg('192.0.2.10', 'a@example.test')));
  assert.not.ok(await journal.save(reg('192.0.2.11', 'b@example.test')));
  assert.equal(journal.status(), { saved: 0, notSaved: 2, error: 'ENOENT' });
  assert.is(logs.length, 1);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'missing'));
  assert.ok(await journal.save(reg('192.0.2.12', 'c@example.test')));
  assert.is(journal.status().error, null);
  assert.match(logs[1], /^info: stand-in registrations are saved again/);
  assert.match(readFileSync(join(dir, 'missing', 'registrations.0.jsonl'), 'utf8'), /c@example\.test/);
});

test('merged into the state file: contact and link, the outage when it is missing, nothing twice', () => {
  const engine = new Engine({ ...defaultEngineOptions, servers: [], networks: [] }, () => {});
  const state: EngineState = {
    version: 1, savedAt: T - 10, contacts: [],
    outages: [{ server: '198.51.100.20', state: 'down', since: T - 600, cause: 'icmp-unreachable', clients: [{ client: '192.0.2.5', firstAttempt: T - 500, lastAttempt: T - 400 }] }],
  };
  const records: Registration[] = [
    { ...reg('192.0.2.5', 'old@example.test'), server: '198.51.100.20', cause: null },
    { ...reg('192.0.2.5', 'new@example.test', T + 1), server: '198.51.100.20', cause: null },
    { ...reg('192.0.2.10', 'a@example.test'), cause: 'syn-timeout' },
    { ...reg('192.0.2.10', 'a@example.test'), cause: 'syn-timeout' },
    { ...reg('192.0.2.11', 'b@example.test'), server: '198.51.100.30', cause: null }, // outage unknown: the address stays
  ];
  const merged = withRegistrations(state, records, T)!;
  const { restored, skipped } = importState(engine, merged, T);
  assert.equal([restored, skipped], [2, []]);
  const outages = engine.outageList().map((o) => [o.server, o.cause, o.since, o.clients.map((c) => c.client)]);
  assert.equal(outages.sort(), [
    ['198.51.100.10', 'syn-timeout', T - 300, ['192.0.2.10']],
    ['198.51.100.20', 'icmp-unreachable', T - 600, ['192.0.2.5']],
  ]);
  assert.equal(engine.contacts.lookup(ipFromV4(0xc0000205), 0)?.mail, 'new@example.test');
  assert.equal(engine.contacts.lookup(ipFromV4(0xc000020b), 0)?.mail, 'b@example.test');
  assert.is(withRegistrations(null, [], T), null);
  assert.equal(withRegistrations(merged, records, T), merged, 'replaying the same records changes nothing');
});

test('the journal keeps the MAC a registration came from: after a restart another device still cannot take the address', () => {
  const engine = new Engine({ ...defaultEngineOptions, servers: [], networks: [] }, () => {});
  const records: Registration[] = [
    { ...reg('192.0.2.10', 'carol@example.test'), mac: '02:00:00:00:00:0a', cause: 'syn-timeout' },
    // kept beside it (registration_conflict 'keep_both' accepted it), so by its own MAC
    { ...reg('192.0.2.10', 'erin@example.test', T + 1), mac: '02:00:00:00:00:0b', cause: 'syn-timeout' },
  ];
  const merged = withRegistrations(null, records, T)!;
  assert.equal(merged.contacts.map((c) => [c.client, c.mac, c.device, c.mail]), [
    ['192.0.2.10', undefined, '02:00:00:00:00:0a', 'carol@example.test'],
    [undefined, '02:00:00:00:00:0b', '02:00:00:00:00:0b', 'erin@example.test'],
  ]);
  importState(engine, merged, T);
  assert.is(engine.contacts.lookup(ipFromV4(0xc000020a), 0)?.mail, 'carol@example.test');
  assert.is(engine.contacts.registerFromPage(ipFromV4(0xc000020a), 0x02000000000c, 0, 'mallory@example.test', T + 5, 'refuse'), 'other-device');
  assert.equal(withRegistrations(merged, records, T), merged, 'replaying the same records changes nothing');
});

test.run();
