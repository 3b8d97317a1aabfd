// Every way a hook can misbehave: it is stopped, logged with its line, the default applies,
// and the next good call works. Each bad hook is guarded by the client's address so the same
// file also holds a good path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Policy } from '../../src/policy/policy';
import { newQuickJSInstance, WASM_MAX_PAGES, WASM_PAGE_BYTES } from '../../src/policy/quickjs';
import { Sandbox } from '../../src/policy/sandbox';
import type { PolicyClient } from '../../src/policy/types';
import { policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

// Line numbers below refer to this file as written (line 1 is the empty first line).
const SOURCE = `
var kept = [];
function contactFor(client) {
  switch (client.hostname) {
    case 'loop': for (;;) { Math.max(1, 2); }
    case 'throw': throw new Error('directory unreachable');
    case 'throw-string': throw 'plain string';
    case 'null-deref': return client.missing.field;
    case 'recurse': return deep(0);
    case 'repeat': return 'x'.repeat(1e9);
    case 'arrays': { const a = []; for (;;) a.push(new Array(100000).fill(7)); }
    case 'kept': for (;;) kept.push('y'.repeat(1e6) + kept.length);
    case 'nested-json': return JSON.parse('['.repeat(200000) + ']'.repeat(200000));
    case 'async': return (async () => 'late@example.com')();
    case 'pending': Promise.resolve().then(() => {}); return 'soon@example.com';
    case 'huge': return 'a'.repeat(300000) + '@example.com';
    case 'function': return function () {};
    case 'cyclic': { const o = {}; o.self = o; return o; }
    case 'spin': while (true) {}
    default: return 'ok-' + kept.length + '@example.com';
  }
}
function deep(n) {
  return deep(n + 1) + 1;
}
`;

let policy: Policy;
let logs: string[];
let file: string;

test.before(async () => {
  ({ policy, logs, file } = await files.load('limits.js', SOURCE, { timeoutMs: 200 }));
});
test.after(() => policy.dispose());
// The daemon's calls are spread out in time; here each case starts with the spare sandbox
// prepared, as it would be (the case with no spare at hand has its own test).
test.before.each(async () => {
  await policy.settled();
  logs.length = 0;
});

const good: PolicyClient = { address: '192.0.2.10' };
const bad = (hostname: string): PolicyClient => ({ address: '192.0.2.66', hostname });

/** Runs the bad case, checks failure kind and line, then that a good call still answers. */
function expectFailure(hostname: string, kind: string, line: number | null, message: RegExp): void {
  assert.is(policy.contactFor(bad(hostname)), null, `${hostname}: default applies`);
  const failure = policy.lastFailure();
  assert.ok(failure, `${hostname}: a failure is recorded`);
  assert.is(failure!.kind, kind, `${hostname}: kind`);
  assert.match(failure!.message, message);
  if (line === null) assert.is(failure!.location, undefined);
  else assert.is(failure!.location?.line, line, `${hostname}: line`);
  assert.is(logs.length, 1, `${hostname}: logged once`);
  if (line !== null) assert.ok(logs[0].includes(`${file}:${line}:`), `${hostname}: log names ${file}:${line}: ${logs[0]}`);
  assert.match(logs[0], /the default applies/);
  assert.is(policy.contactFor(good), 'ok-0@example.com', `${hostname}: the next good call works`);
  assert.is(policy.lastFailure(), null);
}

test('an endless loop is stopped at the deadline and reported at its line', () => {
  const before = policy.stats().timeouts;
  expectFailure('loop', 'timeout', 5, /ran longer than 200 ms and was stopped/);
  assert.is(policy.stats().timeouts, before + 1);
});

test('an empty loop records no position of its own: the report names its function', () => {
  assert.is(policy.contactFor(bad('spin')), null);
  const failure = policy.lastFailure()!;
  assert.is(failure.kind, 'timeout');
  assert.is(failure.location?.functionName, 'contactFor');
  // QuickJS reports the last position it recorded before the loop, inside contactFor.
  assert.ok(failure.location!.line >= 3 && failure.location!.line <= 21, `line ${failure.location!.line}`);
  assert.is(policy.contactFor(good), 'ok-0@example.com');
});

test('a throw is reported with its line and function', () => {
  expectFailure('throw', 'threw', 6, /threw Error: directory unreachable/);
  assert.is(policy.lastFailure(), null);
  policy.contactFor(bad('throw'));
  assert.is(policy.lastFailure()!.location!.functionName, 'contactFor');
});

test('a TypeError from a missing field is reported with its line', () => {
  expectFailure('null-deref', 'threw', 8, /threw TypeError: cannot read property 'field' of undefined/);
});

test('throwing a non-Error value is reported, without a line to give', () => {
  expectFailure('throw-string', 'threw', null, /"plain string"/);
});

test('endless recursion hits the stack limit, reported at the recursing line', () => {
  expectFailure('recurse', 'stack', 24, /recursed too deep/);
});

test("'x'.repeat(1e9) runs out of memory and the sandbox is rebuilt", () => {
  const rebuilds = policy.stats().rebuilds;
  expectFailure('repeat', 'memory', 10, /ran out of memory/);
  assert.is(policy.stats().rebuilds, rebuilds + 1);
});

test('a growing array runs out of memory; the next call works', () => {
  expectFailure('arrays', 'memory', 11, /ran out of memory/);
});

test('memory kept in a global is released by the rebuild', () => {
  expectFailure('kept', 'memory', 12, /ran out of memory/);
  // The good call above answered 'ok-0': the rebuilt sandbox starts from the file again.
  assert.ok(policy.stats().outOfMemory >= 2);
});

test('JSON nested so deep that the engine itself overflows: a spare sandbox takes over', () => {
  expectFailure('nested-json', 'crashed', null, /crashed the engine/);
});

test('an async hook is refused (hooks are synchronous), and its promise jobs are discarded', () => {
  expectFailure('async', 'invalid', null, /returned a Promise/);
});

test('a hook that leaves promise jobs behind still answers; the jobs are dropped by a rebuild', () => {
  const rebuilds = policy.stats().rebuilds;
  assert.is(policy.contactFor(bad('pending')), 'soon@example.com');
  assert.is(policy.stats().rebuilds, rebuilds + 1);
  assert.is(policy.contactFor(good), 'ok-0@example.com');
});

test('an oversize result is refused before it is copied out', () => {
  expectFailure('huge', 'invalid', null, /characters of JSON/);
});

test('a function as result is refused', () => {
  expectFailure('function', 'invalid', null, /returned a function/);
});

test('a result that cannot become JSON is reported as a throw', () => {
  expectFailure('cyclic', 'threw', null, /TypeError.*circular/);
});

test('two crashes in a row: calls get the default until the next spare is ready, then work', async () => {
  policy.contactFor(bad('nested-json'));
  policy.contactFor(bad('nested-json'));
  assert.is(policy.lastFailure()!.kind, 'crashed');
  let answer: string | null = null;
  for (let i = 0; i < 200 && answer === null; i++) {
    answer = policy.contactFor(good);
    if (answer === null) {
      assert.is(policy.lastFailure()!.kind, 'unavailable');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  assert.is(answer, 'ok-0@example.com');
  assert.ok(policy.stats().unavailable >= 1);
});

test('two out-of-memory in a row: the second rebuild reuses the instance at once, then moves to a fresh one', async () => {
  const rebuilds = policy.stats().rebuilds;
  assert.is(policy.contactFor(bad('kept')), null);
  assert.is(policy.contactFor(bad('kept')), null);
  assert.is(policy.lastFailure()!.kind, 'memory');
  assert.is(policy.stats().rebuilds, rebuilds + 2);
  assert.is(policy.contactFor(good), 'ok-0@example.com');
  // The reused instance's memory grew to the cap and wasm memory never shrinks: once a fresh
  // instance is ready the sandbox moves there.
  await policy.settled();
  assert.is(policy.stats().rebuilds, rebuilds + 3);
  assert.is(policy.contactFor(good), 'ok-0@example.com');
});

test('the wasm memory never grows past its cap, whatever the guest allocates', async () => {
  const instance = await newQuickJSInstance();
  // No QuickJS heap limit at all: only the wasm memory cap holds the guest.
  const sandbox = Sandbox.create(instance, SOURCE, 'cap.js', { timeoutMs: 5000, loadTimeoutMs: 1000, memoryLimitBytes: 2 ** 31 });
  for (const hostname of ['arrays', 'kept']) {
    const result = sandbox.call('contactFor', [bad(hostname)]);
    assert.is(result.status, 'failed', hostname);
    assert.ok(instance.memory.buffer.byteLength <= WASM_MAX_PAGES * WASM_PAGE_BYTES, `${hostname}: ${instance.memory.buffer.byteLength} bytes`);
  }
  sandbox.dispose();
});

test.run();
