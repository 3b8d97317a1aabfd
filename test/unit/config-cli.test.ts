// `backsoon config show|check`, run as an admin runs it: a separate process, exit code, output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'bs-config-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// test/run sets NO_COLOR and FORCE_COLOR together, and node warns about that on stderr
const { FORCE_COLOR: _ignored, ...ENV } = process.env;

function backsoon(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npx', ['tsx', 'src/main.ts', ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const GOOD = `config backsoon 'main'
	list interface 'br-lan'

config server 'web'
	option address '198.51.100.10'

config server
	option address '198.51.100.11'

config contact
	option client '192.0.2.5'
	option mail 'a@example.org'

config contact
	option client '192.0.2.6'
	option mail 'b@example.org'

config contact
	option mac '02:00:5e:10:00:01'
	option mail 'c@example.org'

config mail
	option host 'smtp.example'
`;

test('check: a valid file exits 0 with a one-line summary', () => {
  const r = backsoon('config', 'check', file('good', GOOD));
  assert.is(r.stdout, 'ok: 2 servers, 3 contacts, mail via smtp.example:25\n');
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
});

test('check: every error is printed, with warnings, in line order, and the exit code is 2', () => {
  const path = file('bad', `config backsoon 'main'
	list interface 'br-lan'
	option syn_timeout '0'
	option confirm 'perhaps'
	option syn_timout '5'

config server 'web'
	option address '198.51.100.10'

config server 'copy'
	option address '198.51.100.10'

config contact
	option mail 'nobody'
`);
  const r = backsoon('config', 'check', path);
  assert.is(r.stdout, '');
  assert.is(r.stderr, [
    `${path}:3: option syn_timeout '0' in section 'main': must be a whole number of seconds from 1 to 86400`,
    `${path}:4: option confirm 'perhaps' in section 'main': must be 1 or 0 (yes/no, on/off, true/false and enabled/disabled are read too)`,
    `${path}:5: warning: unknown option syn_timout in section 'main' (config backsoon) is ignored; did you mean syn_timeout?`,
    `${path}:11: option address '198.51.100.10' in section 'copy': section 'web' at line 8 has the same address; give each server one section`,
    `${path}:13: section @contact[0] (config contact): give option client (the client's IPv4 address) or option mac`,
    `${path}:13: warning: contacts are configured but there is no config mail section, so no notice is mailed`,
    `${path}:14: option mail 'nobody' in section @contact[0]: must be a mail address such as admin@example.org: it has no '@'`,
    `${path}: 5 errors`,
    '',
  ].join('\n'));
  assert.is(r.code, 2);
});

test('check and show: a missing file is one clear message and exit 2', () => {
  const missing = join(dir, 'absent');
  for (const sub of ['check', 'show']) {
    const r = backsoon('config', sub, missing);
    assert.is(r.stderr, `backsoon: ${missing}: cannot read the configuration: no such file\n`);
    assert.is(r.stdout, '');
    assert.is(r.code, 2);
  }
});

test('show: prints the file as uci show does; a syntax error exits 2', () => {
  const r = backsoon('config', 'show', file('show', GOOD));
  assert.is(r.code, 0);
  assert.is(r.stdout.split('\n').slice(0, 8).join('\n'), [
    'backsoon.main=backsoon',
    "backsoon.main.interface='br-lan'",
    'backsoon.web=server',
    "backsoon.web.address='198.51.100.10'",
    'backsoon.@server[1]=server',
    "backsoon.@server[1].address='198.51.100.11'",
    'backsoon.@contact[0]=contact',
    "backsoon.@contact[0].client='192.0.2.5'",
  ].join('\n'));
  const broken = file('broken', "config backsoon 'main'\n\toption enabled '1\n");
  const b = backsoon('config', 'show', broken);
  assert.is(b.stderr, `${broken}:2: unterminated ' : the quoted value opened on this line never ends; add the closing '\n`);
  assert.is(b.code, 2);
});

test('the default configuration shipped for OpenWrt passes check', () => {
  const r = backsoon('config', 'check', 'board/openwrt/files/etc/config/backsoon');
  assert.is(r.stderr, '', 'no warning either');
  assert.is(r.stdout, 'ok: 0 servers, 0 contacts, no mail\n');
  assert.is(r.code, 0);
});

test('--help exits 0; a wrong subcommand or option exits 2 with the usage', () => {
  const help = backsoon('config', '--help');
  assert.is(help.code, 0);
  assert.ok(help.stdout.includes('usage: backsoon config show [FILE]'));
  assert.ok(help.stdout.includes('/etc/config/backsoon'));
  const wrong = backsoon('config', 'frobnicate');
  assert.is(wrong.code, 2);
  assert.ok(wrong.stderr.startsWith("backsoon config: unknown subcommand 'frobnicate'"));
  const flag = backsoon('config', 'check', '--strict');
  assert.is(flag.code, 2);
  assert.ok(flag.stderr.startsWith("backsoon config: unknown option '--strict'"));
  assert.is(backsoon('config').code, 2);
});

test.run();
