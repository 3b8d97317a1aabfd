// The ubus object `backsoon` and its events, without a bus: what each method answers, how a
// report too large for one ubus message is cut, and which decisions become which events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StatusReport } from '../../src/control/status';
import type { Decision } from '../../src/engine/decisions';
import type { ReloadOutcome } from '../../src/daemon/reload';
import { backsoonObject, METHODS, OBJECT_PATH } from '../../src/ubus/backsoon-object';
import { encodeTable } from '../../src/ubus/blobmsg';
import type { MethodReply, UbusObjectSpec } from '../../src/ubus/client';
import { DecisionEvents, type BacksoonEvent } from '../../src/ubus/events';
import { sampleReport } from './board-helpers';

const call = async (o: UbusObjectSpec, method: string): Promise<MethodReply> => {
  const m = o.methods.find((x) => x.name === method);
  assert.ok(m, `no method ${method}`);
  return m.handle({}, { object: o.path, method, peer: 1 });
};

const control = (report: StatusReport, outcome: ReloadOutcome = { ok: true, config: '/etc/config/backsoon', outagesKept: 2, warnings: [] }) =>
  ({ status: () => report, reload: async () => outcome });

test('object backsoon: status, outages and reload, none with arguments', () => {
  const o = backsoonObject(control(sampleReport()));
  assert.is(o.path, OBJECT_PATH);
  assert.equal(o.methods.map((m) => [m.name, m.args ?? {}]), METHODS.map((m) => [m, {}]));
});

test('status answers the report as `backsoon status --json` has it; outages the servers, the count and the time', async () => {
  const r = sampleReport();
  const o = backsoonObject(control(r));
  assert.equal(await call(o, 'status'), { data: r });
  assert.equal(await call(o, 'outages'), { data: { outages: r.outages, waitingClients: r.waitingClients, now: r.now } });
});

test('reload: a new configuration answers ok with the outages kept; a refused one status 9 with every error', async () => {
  assert.equal(await call(backsoonObject(control(sampleReport())), 'reload'),
    { data: { reloaded: true, config: '/etc/config/backsoon', outagesKept: 2, warnings: [] } });
  const errors = ['/etc/config/backsoon:12: option syn_timeout \'x\': not a number of seconds; write it as 30 or 30s'];
  assert.equal(await call(backsoonObject(control(sampleReport(), { ok: false, config: '/etc/config/backsoon', errors })), 'reload'),
    { status: 9, data: { reloaded: false, config: '/etc/config/backsoon', errors } });
});

/** A report with `servers` down servers of `clients` waiting clients each. */
function crowded(servers: number, clients: number): StatusReport {
  const r = sampleReport();
  r.outages = Array.from({ length: servers }, (_, s) => ({
    server: `198.51.${100 + (s >> 8)}.${s & 255}`, state: 'down' as const, since: r.now - 60, cause: 'syn-timeout' as const,
    clients: Array.from({ length: clients }, (_, c) => ({ client: `10.${c >> 16}.${(c >> 8) & 255}.${c & 255}`, firstAttempt: r.now - 50, lastAttempt: r.now - 40 })),
  }));
  r.waitingClients = servers * clients;
  return r;
}

test('a report larger than a ubus message: each server\'s list cut to the same length, the rest counted', async () => {
  const limit = 64 * 1024;
  const r = crowded(3, 2000);
  r.outages[0].clients.length = 10; // a short list stays whole
  r.waitingClients = 4010;
  const o = backsoonObject(control(r), limit);
  for (const method of ['status', 'outages']) {
    const { data } = await call(o, method) as { data: { outages: (StatusReport['outages'][number] & { clientsOmitted?: number })[]; waitingClients: number } };
    const size = encodeTable(data).length;
    assert.ok(size <= limit && size > limit * 0.7, `${method}: ${size} bytes for a limit of ${limit}`);
    const [short, a, b] = data.outages;
    assert.is(short.clients.length, 10);
    assert.is(short.clientsOmitted, undefined);
    assert.is(a.clients.length, b.clients.length);
    assert.is(a.clients.length + (a.clientsOmitted ?? 0), 2000);
    assert.equal(a.clients[0], r.outages[1].clients[0], 'the first clients are kept');
    assert.is(data.waitingClients, 4010);
  }
});

test('too many servers for one message: the list of servers is cut too, and counted', async () => {
  const limit = 16 * 1024;
  const { data } = await call(backsoonObject(control(crowded(500, 3)), limit), 'outages') as { data: { outages: { clients: unknown[]; clientsOmitted?: number }[]; outagesOmitted: number } };
  assert.ok(encodeTable(data).length <= limit);
  assert.is(data.outages.length + data.outagesOmitted, 500);
  assert.ok(data.outages.length > 0);
  for (const o of data.outages) assert.equal([o.clients.length, o.clientsOmitted], [0, 3]);
});

// ---- events ----------------------------------------------------------------------------------

const T = 1_750_000_000;

async function eventsOf(decisions: Decision[]): Promise<BacksoonEvent[]> {
  const sent: BacksoonEvent[] = [];
  const events = new DecisionEvents({ serverName: (s) => (s === '198.51.100.10' ? 'web' : undefined) }, (e) => sent.push(e));
  for (const d of decisions) events.push(d);
  assert.equal(sent, [], 'nothing goes out before the engine is done with its turn');
  await Promise.resolve();
  return sent;
}

test('events: a down server, with the name of its config section and whether it flapped', async () => {
  assert.equal(await eventsOf([
    { t: T, event: 'down', server: '198.51.100.10', cause: 'syn-timeout', since: T - 30, flap: false },
    { t: T, event: 'attempt', server: '198.51.100.10', client: '192.0.2.5' },
    { t: T + 9, event: 'down', server: '2001:db8::10', cause: 'nd-silence', since: T - 30, flap: true },
  ]), [
    { id: 'backsoon.down', data: { server: '198.51.100.10', name: 'web', cause: 'syn-timeout', flap: false, since: T - 30, time: T } },
    { id: 'backsoon.down', data: { server: '2001:db8::10', cause: 'nd-silence', flap: true, since: T - 30, time: T + 9 } },
  ]);
});

test('events: a recovery counts the clients told and the stale ones; each told client has its notice, without its mail address', async () => {
  const outage = `198.51.100.10@${T - 100}`;
  assert.equal(await eventsOf([
    { t: T, event: 'recovered', server: '198.51.100.10', cause: 'trap', since: T - 100, outage },
    { t: T, event: 'expired', server: '198.51.100.10', client: '192.0.2.4', cause: 'stale-at-recovery' },
    { t: T, event: 'notify', server: '198.51.100.10', client: '192.0.2.5', addresses: ['192.0.2.5', '2001:db8::5'], contact: 'user@example.org', since: T - 100, firstAttempt: T - 90, lastAttempt: T - 70, outage, mac: '02:00:5e:10:00:05' },
    { t: T, event: 'notify', server: '198.51.100.10', client: '2001:db8::6', addresses: ['2001:db8::6'], since: T - 100, firstAttempt: T - 70, lastAttempt: T - 70, outage },
  ]), [
    { id: 'backsoon.recovered', data: { server: '198.51.100.10', name: 'web', cause: 'trap', since: T - 100, time: T, downFor: 100, told: 2, stale: 1 } },
    { id: 'backsoon.notice', data: { server: '198.51.100.10', name: 'web', client: '192.0.2.5', addresses: ['192.0.2.5', '2001:db8::5'], mac: '02:00:5e:10:00:05', contact: true, since: T - 100, firstAttempt: T - 90, lastAttempt: T - 70, time: T } },
    { id: 'backsoon.notice', data: { server: '198.51.100.10', name: 'web', client: '2001:db8::6', contact: false, since: T - 100, firstAttempt: T - 70, lastAttempt: T - 70, time: T } },
  ]);
});

test('events: attempts and expiries outside a recovery send nothing; a later turn starts its counts afresh', async () => {
  assert.equal(await eventsOf([
    { t: T, event: 'attempt', server: '198.51.100.10', client: '192.0.2.5' },
    { t: T, event: 'expired', server: '198.51.100.10', client: '192.0.2.5', cause: 'max-attempt-age' },
  ]), []);
  const sent: BacksoonEvent[] = [];
  const events = new DecisionEvents({ serverName: () => undefined }, (e) => sent.push(e));
  const outage = `198.51.100.20@${T - 5}`;
  events.push({ t: T, event: 'recovered', server: '198.51.100.20', cause: 'probe', since: T - 5, outage });
  await Promise.resolve();
  events.push({ t: T + 1, event: 'notify', server: '198.51.100.20', client: '192.0.2.9', addresses: ['192.0.2.9'], since: T - 5, firstAttempt: T - 4, lastAttempt: T - 4, outage });
  await Promise.resolve();
  assert.equal(sent.map((e) => [e.id, (e.data as { told?: number }).told]), [['backsoon.recovered', 0], ['backsoon.notice', undefined]]);
});

test('events: an outage forgotten to make room ends with backsoon.expired; a client\'s expiry sends nothing', async () => {
  assert.equal(await eventsOf([
    { t: T, event: 'expired', server: '198.51.100.10', cause: 'evicted', since: T - 60, outage: `198.51.100.10@${T - 60}` },
    { t: T, event: 'expired', server: '198.51.100.20', client: '192.0.2.5', cause: 'table-full' },
  ]), [
    { id: 'backsoon.expired', data: { server: '198.51.100.10', name: 'web', cause: 'evicted', since: T - 60, time: T } },
  ]);
});

test.run();
