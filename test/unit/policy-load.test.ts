// Loading a policy file: what makes it unusable, and how the error points at the fix.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Policy, PolicyLoadError } from '../../src/policy/policy';
import { policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

async function loadError(name: string, source: string, options = {}): Promise<{ error: PolicyLoadError; file: string }> {
  const file = files.write(name, source);
  let loaded: Policy;
  try {
    loaded = await Policy.load(file, options);
  } catch (err) {
    assert.instance(err, PolicyLoadError);
    return { error: err as PolicyLoadError, file };
  }
  loaded.dispose();
  assert.unreachable(`${name} loaded, but it should not`);
  throw new Error('unreachable');
}

test('a syntax error fails the load with file:line:column', async () => {
  const { error, file } = await loadError('syntax.js', 'function contactFor(client) {\n  return client.;\n}\n');
  assert.ok(error.message.startsWith(`${file}:2:`), error.message);
  assert.match(error.message, /SyntaxError/);
  assert.is(error.location?.line, 2);
});

test('module syntax gets a hint: policy files are plain scripts', async () => {
  const { error, file } = await loadError('export.js', '\nexport function contactFor(client) {\n  return null;\n}\n');
  assert.ok(error.message.startsWith(`${file}:2:`), error.message);
  assert.match(error.message, /plain scripts.*without export or import/);
});

test('a top-level throw fails the load at its line', async () => {
  const { error, file } = await loadError('throws.js', 'const table = {};\nnull.x;\nfunction render() {}\n');
  assert.ok(error.message.startsWith(`${file}:2:`), error.message);
  assert.match(error.message, /TypeError/);
});

test('endless top-level code is stopped by the load deadline', async () => {
  const { error } = await loadError('spin.js', 'while (true) { Math.max(1, 2); }\nfunction render() {}\n', { loadTimeoutMs: 50 });
  assert.match(error.message, /:1:.*top-level code ran longer than 50 ms/);
});

test('a hook that is not a function is named', async () => {
  const { error } = await loadError('notfn.js', 'var shouldNotify = true;\nfunction render() {}\n');
  assert.match(error.message, /shouldNotify is a boolean; define it as a function/);
});

test('a file without any hook is refused, naming the hooks', async () => {
  const { error } = await loadError('none.js', 'function contactfor(client) { return null; }\n');
  assert.match(error.message, /defines none of contactFor, shouldNotify, render/);
});

test('a missing file names the configuration option', async () => {
  try {
    await Policy.load('/nonexistent/bs-policy/policy.js');
    assert.unreachable('loaded a missing file');
  } catch (err) {
    assert.instance(err, PolicyLoadError);
    assert.match((err as Error).message, /^\/nonexistent\/bs-policy\/policy\.js: cannot read the policy file \(no such file\); check "option policy"/);
  }
});

test('hooks may be function declarations, const arrow functions or globalThis properties', async () => {
  const file = files.write('forms.js', [
    '\ufeff// a BOM at the start is fine',
    'function contactFor(client) { return null; }',
    'const shouldNotify = (outage, client) => false;',
    'globalThis.render = function (notice) { return { subject: "s" }; };',
  ].join('\n'));
  const policy = await Policy.load(file);
  assert.equal(policy.hooks, ['contactFor', 'shouldNotify', 'render']);
  assert.is(policy.shouldNotify({ server: '198.51.100.7', name: 'x', since: 0, now: 60 }, { address: '192.0.2.1' }), false);
  policy.dispose();
});

test('option values are checked', async () => {
  const file = files.write('opts.js', 'function render() {}');
  try {
    await Policy.load(file, { timeoutMs: 0 });
    assert.unreachable('accepted timeoutMs 0');
  } catch (err) {
    assert.match((err as Error).message, /timeoutMs: 0 must be a positive number/);
  }
});

test.run();
