// /etc/init.d/backsoon under OpenWrt's own rc.common, functions.sh, procd.sh, jshn and
// validate_data (built by `make openwrt-host`; the test fails when they are missing), with this
// tree's `backsoon config check`, in a router-like file system view (openwrt-root.ts). procd
// itself is not needed here: the message the script hands it (`ubus call service set`, JSON
// made by jshn) is recorded and read back. The QEMU tests run the script under procd.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FILES, INIT_SCRIPT, busybox, requireTool } from './board-helpers';
import { OpenWrtRoot } from './openwrt-root';

const router = new OpenWrtRoot('init');
const captureKeyFile = join(router.run, 'backsoon.capture');

// OpenWrt's default loopback, a LAN bridge on the 21.02+ syntax, and an older bridge (type
// bridge: its device is br-dmz).
router.writeConfig('network', `config interface 'loopback'
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
const RUNNING = JSON.stringify({ backsoon: { instances: { instance1: { running: true } } } });

interface ProcdCall { method: string; message: Record<string, unknown> }
interface Outcome { status: number | null; calls: ProcdCall[]; log: string[][]; stdout: string; stderr: string }

function initScript(action: string, config: string | null, opts: { running?: boolean } = {}): Outcome {
  router.writeConfig('backsoon', config);
  router.clearRecords();
  const r = router.exec(['/etc/init.d/backsoon', action], { env: { UBUS_SERVICE_LIST: opts.running ? RUNNING : '' } });
  const calls = router.recorded('ubus').map(([object, method, message]) => {
    assert.is(object, 'service');
    return { method, message: JSON.parse(message) as Record<string, unknown> };
  });
  return { status: r.status, calls, log: router.recorded('logger'), stdout: r.stdout, stderr: r.stderr };
}

const show = (o: Outcome) => `${JSON.stringify(o.calls, null, 1)}\nlog: ${JSON.stringify(o.log)}\nstatus ${o.status}\nstderr: ${o.stderr}`;
const calls = (o: Outcome, method: string) => o.calls.filter((c) => c.method === method).map((c) => c.message);
/** The service procd was told of at start (`service set`). */
function service(o: Outcome): Record<string, unknown> {
  const set = calls(o, 'set');
  assert.is(set.length, 1, show(o));
  return set[0];
}
const instances = (o: Outcome) => Object.values(service(o).instances as Record<string, Record<string, unknown>>);
const logged = (o: Outcome, priority: string) => o.log.filter(([p]) => p === `daemon.${priority}`).map(([, message]) => message);

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
  const s = service(o);
  assert.is(s.name, 'backsoon');
  assert.is(s.script, '/etc/init.d/backsoon');
  assert.equal(instances(o), [{
    command: ['/usr/bin/node', '--max-semi-space-size=1', '/usr/lib/backsoon/backsoon.js', 'run', '--config', '/etc/config/backsoon'],
    respawn: ['3600', '5', '5'],
    stdout: true,
    stderr: true,
    file: ['/var/run/backsoon.capture'],
    netdev: ['lo'],
    term_timeout: 15,
    env: { MALLOC_MMAP_THRESHOLD_: '131072' },
  }], show(o));
  assert.equal(logged(o, 'err'), []);
  assert.is(readFileSync(captureKeyFile, 'utf8'), `device lo ${loIfindex}\nserver 198.51.100.10\nwatch 198.51.100.0/24\n`);
});

test("the router's zone name (config system) reaches the daemon as TZ; without one, none is set (the malloc threshold always is)", () => {
  router.writeConfig('system', "config system\n\toption hostname 'OpenWrt'\n");
  assert.equal(instances(initScript('start', VALID))[0].env, { MALLOC_MMAP_THRESHOLD_: '131072' });
  router.writeConfig('system', "config system\n\toption hostname 'OpenWrt'\n\toption zonename 'Asia/Tokyo'\n");
  try {
    const o = initScript('start', VALID);
    assert.equal(instances(o)[0].env, { MALLOC_MMAP_THRESHOLD_: '131072', TZ: 'Asia/Tokyo' }, show(o));
  } finally {
    router.writeConfig('system', null);
  }
});

test('triggers: reload on a commit of backsoon, and when the network of a watched device comes up', () => {
  const o = initScript('start', VALID.replace("list interface 'lo'", "list interface 'lo'\n\tlist server_interface 'br-dmz'"));
  const triggers = service(o).triggers as unknown[][];
  const reload = ['run_script', '/etc/init.d/backsoon', 'reload'];
  assert.equal(triggers[0], ['config.change', ['if', ['eq', 'package', 'backsoon'], reload], 1000]);
  // lo is the network 'loopback'; br-dmz the old-style bridge 'dmz'; br-lan is not watched.
  assert.equal(triggers.slice(1), ['loopback', 'dmz'].map((network) =>
    ['interface.*', ['if', ['eq', 'interface', network], reload], 1000]), show(o));
  // br-dmz does not exist on this host: not started, and the log says why and what follows.
  assert.equal(instances(o), [], show(o));
  assert.match(logged(o, 'warn').join('\n'), /device\(s\) br-dmz do not exist \(yet\): not starting/);
});

test("procd is given the validate_data types of config backsoon 'main' unchanged by the way through jshn", () => {
  const o = initScript('start', VALID);
  const [validate] = service(o).validate as { package: string; type: string; data: Record<string, string> }[];
  assert.is(validate.package, 'backsoon');
  assert.is(validate.type, 'backsoon');
  // the types as the script wrote them (board-validation-openwrt.test.ts checks them against the schema)
  const written = spawnSync(busybox(), ['sh', '-c', '. "$1"; uci_load_validate() { shift 4; printf "%s\\n" "$@"; }; validate_backsoon_section', 'sh', INIT_SCRIPT],
    { encoding: 'utf8' }).stdout.trim().split('\n').map((spec) => spec.split(':'));
  assert.equal(Object.keys(validate.data), written.map(([name]) => name));
  for (const [name, type] of written) {
    assert.is(validate.data[name], type, name);
    // every type is one validate_data can read: it accepts the option's default or a value
    assert.is.not(validate.data[name].includes('"'), true);
  }
  assert.match(validate.data.log_level, "or('error','warn','info','debug')");
});

test('start refuses a value validate_data rejects, with validate_data\'s word on stderr and where to look in the log', () => {
  const o = initScript('start', VALID.replace("option enabled '1'", "option enabled '1'\n\toption syn_timeout '30s'"));
  assert.equal(instances(o), [], show(o));
  assert.match(o.stderr, /backsoon\.main\.syn_timeout=30s validates as .* with false/);
  assert.match(logged(o, 'err').join('\n'), /section 'main' has invalid options; run 'backsoon config check'.*Not starting/);
});

test("values that once ran stray commands through validate_data's output are refused, and run nothing", () => {
  for (const line of ["option syn_timeout ' 30'", "list icmp_code '0 1 canary'"]) {
    const o = initScript('start', VALID.replace("option enabled '1'", `option enabled '1'\n\t${line}`));
    assert.equal(instances(o), [], show(o));
    assert.not.match(o.stderr, /not found/, show(o));
  }
  // '0 1' is two codes, as validate_data's list() reads it: accepted, quoted on the way to the script
  const o = initScript('start', VALID.replace("option enabled '1'", "option enabled '1'\n\tlist icmp_code '0 1'"));
  assert.is(instances(o).length, 1, show(o));
  assert.not.match(o.stderr, /not found/, show(o));
});

test('start refuses a file `backsoon config check` rejects, with every line of the check in the log', () => {
  // Code 3 (port unreachable): validate_data refuses it too; a server without an address only the check
  const o = initScript('start', `${VALID}\nconfig server 'db'\n\toption name 'db'\n`);
  assert.equal(instances(o), [], show(o));
  const errors = logged(o, 'err').join('\n');
  assert.match(errors, 'not starting: /etc/config/backsoon has errors (backsoon config check)');
  assert.match(errors, "/etc/config/backsoon:11: section 'db' (config server): option address is required");
});

test('start with option enabled 0 or no: no instance, and a notice that says how to turn it on', () => {
  for (const word of ['0', 'no']) {
    const o = initScript('start', VALID.replace("option enabled '1'", `option enabled '${word}'`));
    assert.equal(instances(o), [], show(o));
    assert.equal(logged(o, 'err'), []);
    assert.match(logged(o, 'notice').join('\n'), new RegExp(`disabled: option enabled '${word}' in section 'main'.*set it to 1, then /etc/init.d/backsoon reload`));
  }
  // 'YES' once reached the script as '' (disabled, silently): now refused by both checks
  const o = initScript('start', VALID.replace("option enabled '1'", "option enabled 'YES'"));
  assert.equal(instances(o), [], show(o));
  assert.match(logged(o, 'err').join('\n'), /section 'main' has invalid options/);
});

test('start without a device to watch, without the section, without the file: refused with the line to add', () => {
  const noDevice = initScript('start', VALID.replace("\tlist interface 'lo'\n", ''));
  assert.equal(instances(noDevice), [], show(noDevice));
  assert.match(logged(noDevice, 'err').join('\n'), /no device to watch: add list interface 'br-lan'/);

  for (const config of ["config server 'www'\n\toption address '198.51.100.10'\n", null]) {
    const o = initScript('start', config);
    assert.equal(instances(o), [], show(o));
    assert.match(logged(o, 'err').join('\n'), /no 'config backsoon' section \(or no file\); write config backsoon 'main'/);
  }
});

test('reload of a running daemon, captures unchanged: procd is told the same instance, the daemon gets SIGHUP', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("option enabled '1'", "option enabled '1'\n\toption hold '30'"), { running: true });
  assert.is(o.status, 0, show(o));
  assert.is(instances(o).length, 1, show(o));
  assert.equal(calls(o, 'signal'), [{ name: 'backsoon', signal: 1 }]);
});

test('reload with another server or watched network: no SIGHUP, the capture key changes so procd restarts it', () => {
  initScript('start', VALID);
  const before = readFileSync(captureKeyFile, 'utf8');
  const o = initScript('reload', VALID.replace('198.51.100.10', '198.51.100.11'), { running: true });
  assert.is(instances(o).length, 1, show(o));
  assert.equal(calls(o, 'signal'), []);
  const after = readFileSync(captureKeyFile, 'utf8');
  assert.is.not(after, before);
  assert.match(after, /^server 198\.51\.100\.11$/m);
});

test('reload with a bad file: refused before procd hears of it, so the running daemon keeps its configuration', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("list interface 'lo'", "list interface 'lo'\n\tlist icmp_code '4'"), { running: true });
  assert.equal(calls(o, 'set'), [], show(o));
  assert.equal(calls(o, 'signal'), []);
  assert.match(logged(o, 'err').join('\n'), /reload refused, the daemon keeps its running configuration: .* has errors/);
  assert.is(o.status, 1);
});

test('reload when not running starts it, and sends no signal', () => {
  const o = initScript('reload', VALID, { running: false });
  assert.is(instances(o).length, 1, show(o));
  assert.equal(calls(o, 'signal'), []);
});

test('reload after option enabled 0: no instance (procd stops the daemon) and no signal', () => {
  initScript('start', VALID);
  const o = initScript('reload', VALID.replace("option enabled '1'", "option enabled '0'"), { running: true });
  assert.equal(instances(o), [], show(o));
  assert.equal(calls(o, 'signal'), []);
});

test("rc.common's help lists the commands; stop asks procd to delete the service", () => {
  const help = initScript('help', VALID);
  assert.match(help.stderr + help.stdout, /Syntax: \/etc\/init.d\/backsoon \[command\]/);
  assert.match(help.stderr + help.stdout, /reload\tReload configuration files/);
  const stop = initScript('stop', VALID);
  assert.equal(calls(stop, 'delete'), [{ name: 'backsoon' }], show(stop));
});

test('shellcheck -s sh: the init script and the backsoon command are clean', () => {
  const shellcheck = requireTool('shellcheck', 'shellcheck', 'The router scripts are checked with it.');
  const r = spawnSync(shellcheck, ['-s', 'sh', INIT_SCRIPT, join(FILES, 'usr/bin/backsoon')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
