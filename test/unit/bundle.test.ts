// The shipped form: dist/ as `make build` leaves it, copied to a folder without node_modules,
// must run on its own (the pcap addon and quickjs.wasm beside the bundle).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const DIST = join(__dirname, '..', '..', 'dist');
const FIXTURE = join(__dirname, '..', 'fixtures', 'outage-client-side.pcap');
let dir = '';

test.before(() => {
  assert.ok(existsSync(join(DIST, 'backsoon.js')), "dist/backsoon.js is missing: 'make test' builds it first");
  dir = mkdtempSync(join(tmpdir(), 'bs-bundle-'));
  cpSync(DIST, dir, { recursive: true });
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [join(dir, 'backsoon.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });

test('the command line, the daemon\'s bundle and their companions are all there is to ship', () => {
  for (const f of ['backsoon.js', 'backsoon-daemon.js', 'backsoon-snmp.js', 'pcap_binding.node', 'quickjs.wasm', 'backsoon-core.js']) assert.ok(existsSync(join(dir, f)), f);
});

test('net-snmp is a bundle of its own, which the shipped folder loads without node_modules; the daemon\'s bundle does not hold it', () => {
  assert.not.match(readFileSync(join(dir, 'backsoon-daemon.js'), 'utf8'), /node_modules\/net-snmp\//);
  const r = spawnSync(process.execPath, ['-e', "const s = require('./backsoon-snmp.js'); console.log(typeof s.createReceiver, typeof s.SecurityLevel.authPriv)"], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'function number\n');
});

test('status and --version do not load the daemon\'s modules: without its bundle they still answer', () => {
  const bare = mkdtempSync(join(tmpdir(), 'bs-bundle-cli-'));
  try {
    cpSync(join(dir, 'backsoon.js'), join(bare, 'backsoon.js'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(bare, 'backsoon.js'), ...args], { cwd: bare, encoding: 'utf8', timeout: 30_000 });
    assert.match(cli('--version').stdout, /^backsoon \d/);
    const status = cli('status', '--socket', join(bare, 'none.sock'));
    assert.is(status.status, 1);
    assert.match(status.stderr, /^backsoon status: cannot reach the daemon at .*none\.sock/);
    assert.match(cli('metrics', '--socket', join(bare, 'none.sock')).stderr, /^backsoon metrics: /);
    const run = cli('run', '--help');
    assert.is(run.status, 1, 'run needs the daemon\'s bundle');
    assert.match(run.stderr, /backsoon-daemon\.js/);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test('--help lists the commands; an unknown command says so and exits 2', () => {
  const help = run('--help');
  assert.is(help.status, 0);
  for (const c of ['run', 'status', 'replay', 'config', 'metrics', 'policy', 'agent']) assert.match(help.stdout, new RegExp(`\\n  ${c} `));
  const bad = run('frobnicate');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});

test("--version prints package.json's version, written into the bundle when it was built", () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  const r = run('--version');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `backsoon ${pkg.version}\n`);
});

test("status, metrics and --version load neither the parts' configuration code nor node's crypto; config check knows every part's sections", () => {
  // What node loaded, written at exit by a preload (process.moduleLoadList: built-ins and bindings).
  const loads = join(dir, 'loads.txt');
  const preload = join(dir, 'loads.js');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loads)}, process.moduleLoadList.join('\\n')));`);
  const loaded = (...args: string[]) => {
    spawnSync(process.execPath, ['-r', preload, join(dir, 'backsoon.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    return readFileSync(loads, 'utf8');
  };
  for (const args of [['--version'], ['status', '--socket', join(dir, 'none.sock')], ['metrics', '--socket', join(dir, 'none.sock')]]) {
    assert.not.match(loaded(...args), /NativeModule crypto/, args.join(' '));
  }
  const conf = join(dir, 'parts.conf');
  writeFileSync(conf, "config backsoon 'main'\n\tlist interface 'br-lan'\n\nconfig mail\n\toption from 'router@example.test'\n\toption host '192.0.2.25'\n\nconfig snmp\n\toption enabled '1'\n\toption community 'pub1ic'\n\nconfig server 'web'\n\toption address '198.51.100.10'\n\toption standin '1'\n\nconfig frobnicate\n");
  const check = run('config', 'check', conf);
  assert.is(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout + check.stderr, /unknown section type 'frobnicate'/);
  assert.not.match(check.stdout + check.stderr, /unknown section type '(mail|snmp)'/);
});

test('replay works from the bundle alone', () => {
  const r = run('replay', FIXTURE, '--router', '192.0.2.1');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /"event":"notify"/);
});

test('the policy runs on its own thread from the bundle alone: a hook stuck in a built-in is ended, the next one answers', () => {
  const policy = join(dir, 'policy.js');
  writeFileSync(policy, `function contactFor(client) {
  if (!client.hostname) new Array(1e9).join('');
  return client.hostname ? client.hostname + '@example.com' : null;
}
`);
  const r = run('policy', 'test', policy, '--sample');
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /!! contactFor ran longer than 50 ms inside a built-in the sandbox cannot interrupt; its thread was ended/);
  assert.match(r.stdout, /-> "anna-laptop@example\.com"/, 'the call after it ran on a new thread');
});

test('run: a missing interface is one clear message and exit code 2', () => {
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, `config backsoon 'main'\n\tlist interface 'bs-nosuch0'\n\toption state_dir '${dir}/state'\n\toption control_socket '${dir}/s.sock'\n`);
  const r = run('run', '--config', conf);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /bs-nosuch0/);
  assert.ok(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length === 1, r.stderr);
});

test('run: a config with errors is refused with every error and exit code 2', () => {
  const conf = join(dir, 'worse.conf');
  writeFileSync(conf, "config backsoon 'main'\n\toption syn_timeout '0'\n\toption arp_retries 'x'\n");
  const r = run('run', '--config', conf);
  assert.is(r.status, 2);
  assert.match(r.stderr, /worse\.conf:2: .*syn_timeout/);
  assert.match(r.stderr, /worse\.conf:3: .*arp_retries/);
});

test.run();
