// The policy on its own thread: answers as the in-process sandbox does; a call stuck in a long
// built-in ends the thread, gets its default, and the next call runs on a new thread; a caller
// that will not wait gets the default; a policy that keeps overrunning is given up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PolicyBudgets } from '../../src/daemon/policy-budget';
import { IsolatedPolicy } from '../../src/policy/isolated';
import { policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

// Line 1 is the empty first line.
const SOURCE = `
function contactFor(client) {
  if (client.hostname === 'stuck') new Array(1e9).join('');
  if (client.hostname === 'throw') throw new Error('directory unreachable');
  return client.hostname ? client.hostname + '@example.com' : null;
}
function shouldNotify(outage, client) { for (;;) {} }
`;

async function load(source = SOURCE) {
  const logs: string[] = [];
  const file = files.write(`p${Math.random().toString(36).slice(2)}.js`, source);
  const policy = await IsolatedPolicy.load(file, { log: (level, message) => logs.push(`${level} ${message}`) });
  return { policy, logs, file };
}

const outage = { server: '198.51.100.10', name: 'www', since: 1, now: 2 };

test('hooks answer from the thread; a failure inside the sandbox keeps its line; absent hooks give the default', async () => {
  const { policy, logs, file } = await load();
  try {
    assert.equal(policy.hooks, ['contactFor', 'shouldNotify']);
    assert.is(await policy.contactFor({ address: '192.0.2.10', hostname: 'anna' }), 'anna@example.com');
    const thrown = await policy.call('contactFor', [{ address: '192.0.2.10', hostname: 'throw' }]);
    assert.is(thrown.value, null);
    assert.equal([thrown.failure?.kind, thrown.failure?.location?.line], ['threw', 4]);
    assert.ok(logs.some((l) => l.startsWith('warn policy: contactFor threw Error: directory unreachable') && l.includes(`${file}:4:`)), logs.join('\n'));
    // The sandbox's own deadline stops the loop; the thread stays.
    assert.is(await policy.shouldNotify(outage, { address: '192.0.2.10' }), true);
    assert.equal(await policy.render({ kind: 'standin', outage, client: { address: '192.0.2.10' }, defaults: {} }), {});
    const s = policy.stats();
    assert.equal([s.calls, s.errors, s.timeouts, s.threadRestarts], [3, 2, 1, 0]);
  } finally {
    policy.dispose();
  }
});

test('a call stuck in a long built-in ends the thread and gets the default; the next call runs on a new thread', async () => {
  const { policy, logs } = await load();
  try {
    const stuck = await policy.call('contactFor', [{ address: '192.0.2.10', hostname: 'stuck' }]);
    assert.equal([stuck.value, stuck.failure?.kind], [null, 'timeout']);
    assert.match(stuck.failure?.message ?? '', /inside a built-in the sandbox cannot interrupt; its thread was ended/);
    assert.is(await policy.contactFor({ address: '192.0.2.11', hostname: 'bob' }), 'bob@example.com');
    assert.is(policy.stats().threadRestarts, 1);
    assert.ok(logs.some((l) => l.startsWith('warn policy: contactFor ran longer than 50 ms inside a built-in')), logs.join('\n'));
  } finally {
    policy.dispose();
  }
});

test('a caller that waits no longer than its turn gets the default, and the call is never run', async () => {
  const { policy, logs } = await load();
  try {
    const first = policy.shouldNotify(outage, { address: '192.0.2.10' }); // runs to its 50 ms deadline
    const second = policy.call('contactFor', [{ address: '192.0.2.11', hostname: 'bob' }], { waitMs: 1 });
    assert.equal(await second, {
      value: null,
      failure: { hook: 'contactFor', kind: 'unavailable', message: 'was not run: it waited 1 ms while the policy thread answered earlier calls' },
    });
    assert.is(await first, true);
    assert.ok(logs.some((l) => l.startsWith('debug policy: contactFor was not run')), 'logged at debug level only');
  } finally {
    policy.dispose();
  }
});

test('a file that does not load is refused with its line; dispose gives waiting calls their defaults', async () => {
  const refused = await load('function render( {\n').then(() => null, (err: Error) => err);
  assert.match(refused?.message ?? '', /\.js:\d+:\d+: SyntaxError/);
  const { policy } = await load();
  const pending = policy.shouldNotify(outage, { address: '192.0.2.10' });
  policy.dispose();
  assert.is(await pending, true);
  assert.is(await policy.contactFor({ address: '192.0.2.10', hostname: 'anna' }), null, 'after dispose: the default');
});

test('a policy whose thread keeps overrunning is given up: every hook gets its default at once', async () => {
  const { policy, logs } = await load();
  try {
    for (let i = 0; i < 11; i++) await policy.contactFor({ address: '192.0.2.10', hostname: 'stuck' });
    assert.ok(logs.some((l) => l.startsWith('error policy ') && l.includes('ended 11 times within a minute')), logs.join('\n'));
    const after = await policy.call('contactFor', [{ address: '192.0.2.11', hostname: 'bob' }]);
    assert.equal([after.value, after.failure?.kind], [null, 'unavailable']);
  } finally {
    policy.dispose();
  }
});

test('the budget of a recovery starts at its first call, runs out once, and is its own for each recovery', () => {
  const spent: string[] = [];
  const budgets = new PolicyBudgets(() => 5000, (server) => spent.push(server));
  assert.is(budgets.left('198.51.100.10', 100, 1_000_000), 5000);
  assert.is(budgets.left('198.51.100.10', 100, 1_003_000), 2000);
  assert.is(budgets.left('198.51.100.20', 100, 1_003_000), 5000, 'another server');
  assert.is(budgets.left('198.51.100.10', 200, 1_003_000), 5000, 'a later recovery of the same server');
  assert.is(budgets.left('198.51.100.10', 100, 1_005_000), 0);
  assert.is(budgets.left('198.51.100.10', 100, 1_006_000), 0);
  assert.equal(spent, ['198.51.100.10']);
});

test.run();
