// The QEMU router image: boots it between a client and a server namespace (building it first when
// it is missing or older than dist/, its own sources in image/ or the UCI defaults, so
// `make build` must have run), and checks what a person bringing up the router would: the tools
// run, OpenWrt's procd, ubusd, logd and rpcd run the services, traffic crosses the router,
// nftables takes a stand-in style table, and procd brings a killed daemon back. Needs root and
// qemu-system-x86. (The aarch64 board runs the story only: test/qemu/story-aarch64.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADDR, DAEMON_READY, ensureImage, REPO, RouterVm } from './vm';

let booting: Promise<RouterVm> | null = null;

/** The VM, booted once for the whole file by the first test that needs it. */
function vm(): Promise<RouterVm> {
  booting ??= (async () => {
    ensureImage();
    const booted = await RouterVm.boot();
    const { wallMs, guestUptimeS } = booted.bootTimes;
    console.log(`  (backsoon ready under procd ${wallMs} ms after run-vm started, guest uptime ${guestUptimeS.toFixed(1)} s)`);
    return booted;
  })();
  return booting;
}

test.after(async () => {
  if (!booting) return;
  const booted = await booting.catch(() => null);
  await booted?.stop();
});

test('the router comes up with br-lan (over eth0) to the clients and eth1 to the servers', async () => {
  const r = await (await vm()).run(
    'ip -4 -o addr show dev br-lan; ip -4 -o addr show dev eth1; ip -o link show master br-lan; cat /proc/sys/net/ipv4/ip_forward',
  );
  assert.is(r.status, 0, r.output);
  const lines = r.output.split('\n');
  assert.match(lines[0], ` inet ${ADDR.routerClientSide}/24 `, r.output);
  assert.match(lines[1], ` inet ${ADDR.routerServerSide}/24 `, r.output);
  assert.match(lines[2], /^\d+: eth0: /, r.output);
  assert.is(lines[3], '1', 'forwarding is on');
});

test('procd is PID 1 and runs ubusd, logd and rpcd; the init scripts are enabled in /etc/rc.d', async () => {
  const r = await (await vm()).run('cat /proc/1/cmdline | tr "\\0" " "; echo; ps -o comm | sort -u | tr "\\n" " "; echo; ls /etc/rc.d | tr "\\n" " "; echo; ubus list | tr "\\n" " "');
  assert.is(r.status, 0, r.output);
  const [pid1, processes, rcd, objects] = r.output.split('\n');
  assert.is(pid1.trim(), '/sbin/procd');
  for (const daemon of ['ubusd', 'logd', 'rpcd']) assert.match(processes, new RegExp(`\\b${daemon}\\b`), `${daemon} runs: ${processes}`);
  assert.match(rcd, /\bS95backsoon\b/, rcd);
  for (const object of ['service', 'log', 'uci', 'session']) assert.match(objects, new RegExp(`(^| )${object}( |$)`), `ubus object ${object}: ${objects}`);
});

test('node in the VM is the node the bundle was built for', async () => {
  const r = await (await vm()).run('node -p process.version');
  assert.is(r.status, 0, r.output);
  assert.is(r.output.trim(), process.version);
});

test('backsoon --help runs in the VM', async () => {
  const r = await (await vm()).run('node /usr/lib/backsoon/backsoon.js --help');
  assert.is(r.status, 0, r.output);
  assert.match(r.output, /^usage: backsoon <command>/m, r.output);
});

test('the image carries the UCI defaults as /etc/config/backsoon', async () => {
  const expected = readFileSync(join(REPO, 'board', 'openwrt', 'files', 'etc', 'config', 'backsoon'), 'utf8');
  const r = await (await vm()).run('cat /etc/config/backsoon');
  assert.is(r.status, 0, r.output);
  assert.is(r.output, expected);
});

test('the pcap addon loads libpcap and lists the router interfaces', async () => {
  const script = `
    const dir = '/usr/lib/backsoon/';
    const addon = require('fs').readdirSync(dir).find((f) => f.endsWith('.node'));
    const names = require(dir + addon).findalldevs().map((d) => d.name);
    console.log(names.join(' '));`;
  const r = await (await vm()).run(`node -e "${script}"`);
  assert.is(r.status, 0, r.output);
  const names = r.output.trim().split(' ');
  assert.ok(['br-lan', 'eth0', 'eth1'].every((n) => names.includes(n)), `libpcap sees: ${r.output}`);
});

test('an nft redirect in the VM hands a client connection to a server port to a listener on the router', async () => {
  // The shape of the stand-in's table (src/standin/nft.ts): a map-driven redirect, a reset set and
  // a conntrack match, so the image is shown to carry every module that table needs.
  const ruleset = `
table inet bs_qm_probe {
  map standin_port {
    type ipv4_addr . inet_service : inet_service
    elements = { ${ADDR.server} . 8081 : 8080 }
  }
  set reset_tcp {
    type ipv4_addr . inet_service
    elements = { ${ADDR.server} . 8443 }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    meta nfproto ipv4 meta l4proto tcp redirect to : ip daddr . tcp dport map @standin_port
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    meta nfproto ipv4 ip daddr . tcp dport @reset_tcp reject with tcp reset
  }
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 8080 iif != "lo" ct status ! dnat drop
  }
}`;
  const machine = await vm();
  const loaded = await machine.run(`printf '%s\\n' '${ruleset}' | nft -f - && nft list tables`);
  assert.is(loaded.status, 0, loaded.output);
  assert.match(loaded.output, /^table inet bs_qm_probe$/m, loaded.output);
  try {
    const listener = `require('http').createServer((q, s) => s.end('the router answers for ' + q.headers.host)).listen(8080, () => console.log('listening'))`;
    const started = await machine.run(
      `setsid node -e "${listener}" >/tmp/listener.log 2>&1 & echo $! >/tmp/listener.pid
       for i in $(seq 100); do grep -q listening /tmp/listener.log && break; sleep 0.1; done
       cat /tmp/listener.log`,
    );
    assert.match(started.output, /listening/, started.output);
    const client = `fetch('http://${ADDR.server}:8081/').then((r) => r.text()).then((t) => console.log(t))`;
    const r = await machine.exec('client', ['node', '-e', client]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), `the router answers for ${ADDR.server}:8081`);
  } finally {
    await machine.run('kill $(cat /tmp/listener.pid); nft delete table inet bs_qm_probe');
  }
  const after = await machine.run('nft list tables');
  assert.not.match(after.output, /bs_qm_probe/, after.output);
});

test('the client pings the server through the router (one hop: ttl 63)', async () => {
  const r = await (await vm()).exec('client', ['ping', '-c', '2', '-W', '5', ADDR.server]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 received/, r.stdout);
  assert.match(r.stdout, /ttl=63 /, r.stdout);
});

test('the client fetches a page from the server through the router', async () => {
  const machine = await vm();
  const server = `require('http').createServer((q, s) => s.end('hello from ' + q.socket.localAddress + ' to ' + q.socket.remoteAddress)).listen(8080, '${ADDR.server}', () => console.log('listening'))`;
  await machine.startIn('server', ['node', '-e', server], /listening/);
  const client = `fetch('http://${ADDR.server}:8080/').then((r) => r.text()).then((t) => console.log(t))`;
  const r = await machine.exec('client', ['node', '-e', client]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), `hello from ${ADDR.server} to ${ADDR.client}`);
});

test('backsoon starts with the board defaults, captures on br-lan and reports ready', async () => {
  const machine = await vm();
  await machine.waitForConsole(DAEMON_READY, 120_000);
  console.log(`  (backsoon ready ${machine.daemonReadyMs} ms after run-vm started)`);
  assert.match(machine.console, /capture on br-lan \(client side/, 'the daemon opened a capture on br-lan');
  const pid = await machine.daemonPid();
  assert.ok(pid, 'procd runs a backsoon instance');
  const status = await machine.run('backsoon status');
  assert.is(status.status, 0, status.output);
  const log = await machine.run('logread -e "backsoon ready"');
  assert.match(log.output, `node[${pid}]: info: backsoon ready`, `logd holds the daemon's lines: ${log.output}`);
  const rss = await machine.run(`grep VmRSS /proc/${pid}/status`);
  console.log(`  (backsoon daemon in the VM: ${rss.output.trim()})`);
});

test('reload hands SIGHUP to the running daemon, which re-reads /etc/config/backsoon', async () => {
  const machine = await vm();
  await machine.waitForConsole(DAEMON_READY, 120_000);
  const before = await machine.daemonPid();
  const from = machine.consoleLength;
  const reload = await machine.run('/etc/init.d/backsoon reload');
  assert.is(reload.status, 0, reload.output);
  await machine.waitForConsole(/configuration reloaded from \/etc\/config\/backsoon/, 30_000, from);
  assert.is(await machine.daemonPid(), before, 'the same daemon process (reload, not restart)');
});

test('procd respawns backsoon after kill -9, and it comes back ready', async () => {
  const machine = await vm();
  await machine.waitForConsole(DAEMON_READY, 120_000);
  const first = await machine.daemonPid();
  assert.ok(first, 'a daemon runs');
  const from = machine.consoleLength;
  await machine.run(`kill -9 ${first}`);
  const second = await machine.waitForNewDaemon(first);
  await machine.waitForConsole(DAEMON_READY, 60_000, from);
  const alive = await machine.run(`kill -0 ${second} && ! kill -0 ${first} 2>/dev/null`);
  assert.is(alive.status, 0, `new daemon ${second} alive, old ${first} gone: ${alive.output}`);
});

test('stop ends the daemon; start brings backsoon back', async () => {
  const machine = await vm();
  const from = machine.consoleLength;
  const stopped = await machine.run('/etc/init.d/backsoon stop');
  assert.is(stopped.status, 0, stopped.output);
  await machine.waitForConsole(/SIGTERM: stopping/, 30_000, from);
  // procd lists the instance until the process has exited (the daemon saves its state first).
  let pid = await machine.daemonPid();
  for (let i = 0; pid !== null && i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    pid = await machine.daemonPid();
  }
  assert.is(pid, null, 'procd runs no backsoon instance');
  const again = machine.consoleLength;
  const started = await machine.run('/etc/init.d/backsoon start');
  assert.is(started.status, 0, started.output);
  await machine.waitForConsole(DAEMON_READY, 60_000, again);
});

test.run();
