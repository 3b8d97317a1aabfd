// /etc/init.d/backsoon, run off the router: busybox ash (OpenWrt's shell) with a stand-in for
// OpenWrt's functions.sh, procd.sh and rc.common (board-fixtures/fake-procd.sh) that records
// what the script asks procd for, and this tree's real `backsoon config check`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEMA, type OptionSpec } from '../../src/config/schema';
import { ENV, FILES, FIXTURES, INIT_SCRIPT, backsoonBin, busybox, requireTool, tempDir } from './board-helpers';

const dir = tempDir('init');
const bin = backsoonBin(dir);
const etc = join(dir, 'etc');
const run = join(dir, 'run');
const log = join(dir, 'procd.log');
const configFile = join(etc, 'backsoon');
const captureKeyFile = join(run, 'backsoon.capture');
mkdirSync(etc);

// OpenWrt's default loopback, a LAN bridge on the 21.02+ syntax, and an older bridge (type
// bridge: its device is br-dmz).
writeFileSync(join(etc, 'network'), `config interface 'loopback'
	option device 'lo'
	option proto 'static'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'

config interface 'dmz'
	option type 'bridge'
	option ifname 'eth2'
`);

const loIfindex = readFileSync('/sys/class/net/lo/ifindex', 'utf8').trim();

interface Call { name: string; args: string[] }
interface Outcome { calls: Call[]; status: number | null; stderr: string }

function initScript(action: 'start' | 'reload', config: string | null, opts: { running?: boolean } = {}): Outcome {
  if (config === null) rmSync(configFile, { force: true });
  else writeFileSync(configFile, config);
  writeFileSync(log, '');
  const r = spawnSync(busybox(), ['sh', '-c', '. "$1"; . "$2"; "$3"', 'sh', join(FIXTURES, 'fake-procd.sh'), INIT_SCRIPT, action], {
    env: {
      ...ENV,
      PATH: `${bin}:${ENV.PATH}`,
      UCI_CONFIG_DIR: etc,
      BACKSOON_RUN_DIR: run,
      FAKE_PROCD_LOG: log,
      FAKE_PROCD_RUNNING: opts.running ? '1' : '0',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const calls = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [name, ...args] = l.split('\t');
    return { name, args };
  });
  return { calls, status: r.status, stderr: r.stderr };
}

const params = (o: Outcome) => new Map(o.calls.filter((c) => c.name === 'set_param').map((c) => [c.args[0], c.args.slice(1)]));
const named = (o: Outcome, name: string) => o.calls.filter((c) => c.name === name);
const logged = (o: Outcome, priority: string) =>
  named(o, 'logger').filter((c) => c.args.includes(`daemon.${priority}`)).map((c) => c.args[c.args.length - 1]);
const show = (o: Outcome) => o.calls.map((c) => [c.name, ...c.args].join(' | ')).join('\n') + `\nstderr: ${o.stderr}`;

const VALID = `config backsoon 'main'
	option enabled '1'
	list interface 'lo'

config server 'www'
	option address '198.51.100.10'

config watch
	list network '198.51.100.0/24'
`;

test('start with a valid file: one instance running the bundle under procd, with respawn, logs and devices', () => {
  const o = initScript('start', VALID);
  assert.is(o.status, 0, show(o));
  assert.is(named(o, 'open_instance').length, 1, show(o));
  const p = params(o);
  assert.equal(p.get('command'), ['/usr/bin/node', '/usr/lib/backsoon/backsoon.js', 'run', '--config', configFile]);
  assert.equal(p.get('respawn'), ['3600', '5', '5']);
  assert.equal(p.get('stdout'), ['1']);
  assert.equal(p.get('stderr'), ['1']);
  assert.equal(p.get('netdev'), ['lo']);
  assert.equal(p.get('file'), [captureKeyFile]);
  assert.equal(p.get('term_timeout'), ['15']);
  assert.equal(logged(o, 'err'), []);
  assert.equal(named(o, 'start_service_returned'), [{ name: 'start_service_returned', args: ['0'] }]);
  assert.is(readFileSync(captureKeyFile, 'utf8'), `device lo ${loIfindex}\nserver 198.51.100.10\nwatch 198.51.100.0/24\n`);
});

test('the router\'s zone name (config system) reaches the daemon as TZ; without uci, none is set', () => {
  const before = params(initScript('start', VALID));
  assert.is(before.get('env'), undefined);
  const uci = join(bin, 'uci');
  writeFileSync(uci, "#!/bin/sh\n[ \"$3\" = 'system.@system[0].zonename' ] && echo 'Asia/Tokyo'\n");
  chmodSync(uci, 0o755);
  try {
    const o = initScript('start', VALID);
    assert.equal(params(o).get('env'), ['TZ=Asia/Tokyo'], show(o));
  } finally {
    rmSync(uci, { force: true });
  }
});

test('triggers: reload on a commit of backsoon, and when the network of a watched device comes up', () => {
  const o = initScript('start', VALID.replace("list interface 'lo'", "list interface 'lo'\n\tlist server_interface 'br-dmz'"));
  assert.equal(named(o, 'reload_trigger'), [{ name: 'reload_trigger', args: ['backsoon'] }]);
  // lo is the network 'loopback'; br-dmz the old-style bridge 'dmz'; br-lan is not watched.
  assert.equal(named(o, 'reload_interface_trigger').map((c) => c.args[0]), ['loopback', 'dmz']);
  // br-dmz does not exist on this host: not started, and the log says why and what follows.
  assert.is(named(o, 'open_instance').length, 0, show(o));
  assert.match(logged(o, 'warn').join('\n'), /device\(s\) br-dmz do not exist \(yet\): not starting/);
});

test("procd is given validate_data specs for every option of config backsoon 'main', as typed in the schema", () => {
  const o = initScript('start', VALID);
  const validate = named(o, 'validate');
  assert.is(validate.length, 1, show(o));
  const [pkg, type, ...specs] = validate[0].args;
  assert.is(pkg, 'backsoon');
  assert.is(type, 'backsoon');
  const main = SCHEMA.find((s) => s.type === 'backsoon');
  assert.ok(main);
  const parsed = new Map(specs.map((s) => {
    const [name, datatype, ...rest] = s.split(':');
    return [name, { datatype, default: rest.length ? rest.join(':') : undefined }];
  }));
  assert.equal([...parsed.keys()].sort(), main.options.map((opt) => opt.name).sort());
  for (const opt of main.options) {
    const spec = parsed.get(opt.name)!;
    assert.ok(acceptedDatatypes(opt).includes(spec.datatype), `${opt.name}: validate_data type '${spec.datatype}', schema kind ${opt.kind}`);
    if (typeof opt.default === 'string') assert.is(spec.default, opt.default, `${opt.name}: default`);
    else assert.is(spec.default, undefined, `${opt.name}: a list or computed default is left to the daemon`);
  }
});

/** The validate_data datatypes that check a schema option no looser and no stricter than it. */
function acceptedDatatypes(opt: OptionSpec): string[] {
  const one = ((): string[] => {
    switch (opt.kind) {
      case 'bool': return ['bool'];
      case 'uint': case 'duration': return [`range(${opt.min},${opt.max})`];
      case 'enum': return [`or(${(opt.values ?? []).map((v) => `"${v}"`).join(',')})`];
      case 'iface': return ['rangelength(1,15)'];
      case 'icmp_code': return ['range(0,15)'];
      // A policy file must exist (file); the other paths may not exist yet (string).
      case 'path': return opt.name === 'policy' ? ['file'] : ['string'];
      case 'listen': return ['string'];
      default: return [];
    }
  })();
  return opt.list ? one.map((t) => `list(${t})`) : one;
}

test('start refuses a value validate_data rejects, and says which check to run', () => {
  const o = initScript('start', VALID.replace("option enabled '1'", "option enabled '1'\n\toption syn_timeout '30s'"));
  assert.is(named(o, 'open_instance').length, 0, show(o));
  assert.equal(named(o, 'invalid'), [{ name: 'invalid', args: ['syn_timeout', '30s', 'range(1,86400)'] }]);
  assert.match(logged(o, 'err').join('\n'), /section 'main' has invalid options; run 'backsoon config check'.*Not starting/);
  assert.equal(named(o, 'start_service_returned')[0].args, ['1']);
});

test('start refuses a file `backsoon config check` rejects, with every line of the check in the log', () => {
  // Code 3 (port unreachable) passes validate_data's range(0,15) but not the daemon's check.
  const o = initScript('start', VALID.replace("list interface 'lo'", "list interface 'lo'\n\tlist icmp_code '3'"));
  assert.is(named(o, 'open_instance').length, 0, show(o));
  const errors = logged(o, 'err').join('\n');
  assert.match(errors, new RegExp(`not starting: ${configFile} has errors \\(backsoon config check\\)`));
  assert.match(errors, new RegExp(`${configFile}:4: list icmp_code '3' in section 'main': code 3 \\(port unreachable\\)`));
  assert.equal(named(o, 'start_service_returned')[0].args, ['1']);
});

test('start with option enabled 0: no instance, and a notice that says how to turn it on', () => {
  const o = initScript('start', VALID.replace("option enabled '1'", "option enabled '0'"));
  assert.is(named(o, 'open_instance').length, 0, show(o));
  assert.equal(logged(o, 'err'), []);
  assert.match(logged(o, 'notice').join('\n'), /disabled: option enabled '0' in section 'main'.*set it to 1, then \/etc\/init.d\/backsoon reload/);
  assert.equal(named(o, 'start_service_returned')[0].args, ['0']);
});

test('start without a device to watch, without the section, without the file: refused with the line to add', () => {
  const noDevice = initScript('start', VALID.replace("\tlist interface 'lo'\n", ''));
  assert.is(named(noDevice, 'open_instance').length, 0, show(noDevice));
  assert.match(logged(noDevice, 'err').join('\n'), /no device to watch: add list interface 'br-lan'/);

  for (const config of ["config server 'www'\n\toption address '198.51.100.10'\n", null]) {
    const o = initScript('start', config);
    assert.is(named(o, 'open_instance').length, 0, show(o));
    assert.match(logged(o, 'err').join('\n'), /no 'config backsoon' section \(or no file\); write config backsoon 'main'/);
    assert.equal(named(o, 'start_service_returned')[0].args, ['1']);
  }
});

test('reload of a running daemon, captures unchanged: procd is told the same instance, the daemon gets SIGHUP', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("option enabled '1'", "option enabled '1'\n\toption hold '30'"), { running: true });
  assert.is(named(o, 'open_instance').length, 1, show(o));
  assert.equal(named(o, 'send_signal'), [{ name: 'send_signal', args: ['backsoon', '*', 'HUP'] }]);
  assert.equal(named(o, 'reload_service_returned')[0].args, ['0']);
});

test('reload with another server or watched network: no SIGHUP, the capture key changes so procd restarts it', () => {
  initScript('start', VALID);
  const before = readFileSync(captureKeyFile, 'utf8');
  const o = initScript('reload', VALID.replace('198.51.100.10', '198.51.100.11'), { running: true });
  assert.is(named(o, 'open_instance').length, 1, show(o));
  assert.equal(named(o, 'send_signal'), []);
  const after = readFileSync(captureKeyFile, 'utf8');
  assert.is.not(after, before);
  assert.match(after, /^server 198\.51\.100\.11$/m);
});

test('reload with a bad file: refused before procd hears of it, so the running daemon keeps its configuration', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("list interface 'lo'", "list interface 'lo'\n\tlist icmp_code '4'"), { running: true });
  assert.equal(named(o, 'open_service'), [], show(o));
  assert.equal(named(o, 'send_signal'), []);
  assert.match(logged(o, 'err').join('\n'), /reload refused, the daemon keeps its running configuration: .* has errors/);
  assert.equal(named(o, 'reload_service_returned')[0].args, ['1']);
});

test('reload when not running starts it, and sends no signal', () => {
  const o = initScript('reload', VALID, { running: false });
  assert.is(named(o, 'open_instance').length, 1, show(o));
  assert.equal(named(o, 'send_signal'), []);
});

test('reload after option enabled 0: no instance (procd stops the daemon) and no signal', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("option enabled '1'", "option enabled '0'"), { running: true });
  assert.is(named(o, 'open_service').length, 1, show(o));
  assert.is(named(o, 'open_instance').length, 0);
  assert.equal(named(o, 'send_signal'), []);
});

test('shellcheck -s sh: the init script and the backsoon command are clean', () => {
  const shellcheck = requireTool('shellcheck', 'shellcheck', 'The router scripts are checked with it.');
  const r = spawnSync(shellcheck, ['-s', 'sh', INIT_SCRIPT, join(FILES, 'usr/bin/backsoon')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
