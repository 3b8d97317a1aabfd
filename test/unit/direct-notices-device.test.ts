// The operator's policy (on its own thread) sees a waiting device as the engine tells it: one
// call per device, `address` the first that tried, `addresses` all of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/types';
import { DirectNotices } from '../../src/daemon/direct-notices';
import { outageId, type NotifyDecision } from '../../src/engine/decisions';
import { policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

const SERVER = '198.51.100.10';
const SINCE = 1_795_000_000;

function notify(addresses: string[]): NotifyDecision {
  return {
    t: SINCE + 60, event: 'notify', server: SERVER, client: addresses[0], addresses, since: SINCE,
    firstAttempt: SINCE + 1, lastAttempt: SINCE + 50, outage: outageId(SERVER, SINCE), mac: '02:00:5e:00:53:0a',
  };
}

/** No mail section: each notice ends after the policy (told: no contact; not told: declined). */
function directNotices(logs: string[]): DirectNotices {
  const config = { main: { policyBudget: 5 }, mail: null } as unknown as Config; // only these two fields are read here
  return new DirectNotices({ config: () => config, serverConfig: () => undefined, outbox: () => null, log: (_, m) => logs.push(m) });
}

test('a device of three addresses is one call of each hook, with `addresses`; a device of one address has none', async () => {
  const file = files.write('device.js', `
    function contactFor(client) { return null; }
    function shouldNotify(outage, client) {
      return client.address === '192.0.2.10' && (client.addresses || []).join(' ') === '192.0.2.10 2001:db8::a 2001:db8::b';
    }`);
  const logs: string[] = [];
  const direct = directNotices(logs);
  try {
    await direct.loadPolicy(file);
    direct.notify(notify(['192.0.2.10', '2001:db8::a', '2001:db8::b']));
    direct.notify(notify(['2001:db8::c']));
    const c = direct.counters;
    const deadline = Date.now() + 10_000;
    while (c.noContact + c.policyDeclined < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal({ noContact: c.noContact, declined: c.policyDeclined }, { noContact: 1, declined: 1 }, logs.join('\n'));
    assert.is(direct.policyStats()?.perHook.shouldNotify.calls, 2);
    assert.ok(logs.some((l) => l.includes('client 192.0.2.10 waited for 198.51.100.10')), logs.join('\n'));
  } finally {
    direct.close();
  }
});

test.run();
