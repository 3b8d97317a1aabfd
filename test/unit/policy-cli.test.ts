// `backsoon policy test FILE --sample`, run as the operator runs it (through src/main.ts).
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { policyFiles } from './policy-files';

const files = policyFiles();
test.after(() => files.cleanup());

const root = join(__dirname, '..', '..');
// test/run sets both; Node then warns on stderr about NO_COLOR being ignored.
const env = { ...process.env };
delete env.FORCE_COLOR;

function backsoon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/main.ts'), ...args], { cwd: root, env, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      });
  });
}

test('a good policy: every hook runs on the samples, results printed, exit 0', async () => {
  const file = files.write('good.js', `
    function contactFor(client) { return client.hostname === 'anna-laptop' ? 'anna@example.com' : null; }
    function shouldNotify(outage) { return outage.durationSeconds >= 120; }
    function render(notice) { return notice.kind === 'standin' ? { pageText: 'Back soon.' } : {}; }`);
  const { code, stdout } = await backsoon(['policy', 'test', file, '--sample']);
  assert.is(code, 0, stdout);
  assert.match(stdout, /defines contactFor, shouldNotify, render/);
  assert.match(stdout, /"hostname":"anna-laptop"\}\)\n {2}-> "anna@example\.com"/);
  assert.match(stdout, /"durationSeconds":45,.*\n.*\n {2}-> false/);
  assert.match(stdout, /"durationSeconds":600,.*\n.*\n {2}-> true/);
  assert.match(stdout, /-> \{"pageText":"Back soon\."\}/);
  assert.match(stdout, /9 calls, 9 ran, 0 failed/);
});

test('a failing hook: the error with its line, the default named, exit 1', async () => {
  const file = files.write('failing.js', [
    'function contactFor(client) {',
    '  return client.hostname.toLowerCase() + "@example.com";',
    '}',
    'function render(notice) {',
    '  return { subject: "Back\\r\\nBcc: all@example.com" };',
    '}',
  ].join('\n'));
  const { code, stdout } = await backsoon(['policy', 'test', file]);
  assert.is(code, 1, stdout);
  assert.match(stdout, new RegExp(`!! contactFor threw TypeError: .* at ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+ \\(in contactFor\\); the default applies`));
  assert.match(stdout, /"hostname":"anna-laptop"\}\)\n {2}-> "anna-laptop@example\.com"/);
  assert.match(stdout, /!! render returned a subject that contains a control character/);
  assert.match(stdout, /shouldNotify: not defined; the daemon uses its default/);
  assert.match(stdout, /5 calls, 2 ran, 3 failed/);
});

test('a file that does not load: file:line on stderr, exit 1', async () => {
  const file = files.write('broken.js', 'function render(notice) {\n  return {;\n}\n');
  const { code, stdout, stderr } = await backsoon(['policy', 'test', file, '--sample']);
  assert.is(code, 1);
  assert.is(stdout, '');
  assert.ok(stderr.startsWith(`backsoon policy: ${file}:2:`), stderr);
});

test('a reader that stops early (| head): the command ends quietly, exit 0, no EPIPE trace', async () => {
  const file = files.write('long.js', `function render(notice) { return { text: 'a long line of text\\n'.repeat(20000) }; }`);
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/main.ts'), 'policy', 'test', file], { cwd: root, env });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  // the first line read, the reader goes away with most of the output still to come
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.is(stderr, '');
  assert.is(code, 0);
});

test('usage errors exit 2', async () => {
  const cases = [['policy'], ['policy', 'run'], ['policy', 'test'], ['policy', 'test', 'a.js', '--timeout', 'x'], ['policy', 'test', 'a.js', '--bogus']];
  const [help, ...results] = await Promise.all([backsoon(['policy', '--help']), ...cases.map(backsoon)]);
  results.forEach(({ code, stderr }, i) => {
    assert.is(code, 2, cases[i].join(' '));
    assert.match(stderr, /usage: backsoon policy test FILE/);
  });
  assert.is(help.code, 0);
  assert.match(help.stdout, /Exit status/);
});

test.run();
