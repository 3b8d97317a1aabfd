// The whole story on a QEMU router board, as the namespace lab tells it (test/lab/daemon.test.ts),
// but with backsoon running inside the VM from /etc/config/backsoon under OpenWrt's procd, its
// log in logd, configured with the real uci (story-x86_64.test.ts, story-aarch64.test.ts):
//
//   1. procd starts backsoon at boot with its validation rules; a lab configuration is written
//      into the VM and the service restarted; exim listens in the server namespace
//      (198.51.100.10:2525), so the VM delivers its mail over eth1; `ubus call backsoon status`
//      is answered by the daemon procd runs;
//   2. the web server leaves the network (its address is removed) and a client's curl shows
//      the outage to backsoon in the VM;
//   3. the client's next request gets backsoon's stand-in page; a second client (192.0.2.11, an
//      extra address in the client namespace: one client address holds one mail address, and
//      192.0.2.10 is alice's) leaves carol@example.test in the form;
//   4. `uci set; uci commit; reload_config` of a harmless change reaches the daemon through
//      procd's reload trigger and keeps the outage and its clients; so does `ubus call backsoon
//      reload`;
//   5. kill -9 of the daemon: procd respawns it, and the new one restores them from the state
//      snapshot;
//   6. the server returns and sends a coldStart trap; alice and carol get their notices, `ubus
//      listen` shows backsoon.recovered and a backsoon.notice per client, and logread holds the
//      daemon's lines.
//
// The steps share one VM and build on each other: after a failed step the rest report that
// they did not run instead of waiting out their timeouts. Times are printed, never asserted;
// the emulated SoC gets longer time-outs. The daemon's state is read with `ubus call backsoon
// status`, answered by the running daemon without starting node (each node start costs 5-16 s
// on the emulated SoC); `backsoon status --json`, which starts node, is compared with it once.
// Hooks let a caller add checks at fixed points.
// Needs root, qemu-system-x86 / qemu-system-arm, exim4-daemon-light, snmp (snmptrap) and curl;
// `make build` first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exim } from '../lab/exim';
import { runNamespace } from '../lab/lab';
import { ADDR, DAEMON_READY, ensureImage, RouterVm, type Arch } from './vm';

/** Extra checks at fixed points of the story, on the booted VM. */
export interface StoryHooks {
  /** After the lab configuration runs (step 1). */
  afterStart?: (vm: RouterVm) => Promise<void>;
  /** Just before the server's trap (step 6); what it returns runs once the notices are out. */
  beforeRecovery?: (vm: RouterVm) => Promise<() => Promise<void>>;
}

export function story(arch: Arch, hooks: StoryHooks = {}): void {
  const PREFIX = runNamespace(arch === 'x86_64' ? 'qs' : 'qa');
  /** Emulated aarch64 runs node several times slower: its waits are this much longer. */
  const SLOW = arch === 'x86_64' ? 1 : 5;
  /** The client that walks in without a configured contact and leaves an address on the page. */
  const WALK_IN = '192.0.2.11';
  const SERVER_NAME = 'www.example.test';
  const SMTP_PORT = 2525;
  const STATE_DIR = '/tmp/backsoon';
  /** Where `ubus listen` in the VM writes the events it hears. */
  const EVENTS = '/tmp/backsoon-events.log';
  const URL = `http://${ADDR.server}/`;
  const SUBJECT = `Server failure recovery notice: ${SERVER_NAME} (${ADDR.server})`;

  function labConfig(logLevel: 'info' | 'debug'): string {
    return `# written by test/qemu/story.test.ts
  config backsoon 'main'
  	list interface 'br-lan'
  	list server_interface 'eth1'
  	option state_dir '${STATE_DIR}'
  	option snapshot_interval '5'
  	option syn_timeout '5'
  	option probe_interval '600'
  	option log_level '${logLevel}'

  config server 'web'
  	option address '${ADDR.server}'
  	option name '${SERVER_NAME}'
  	option standin '1'
  	list probe 'tcp:80'

  config contact
  	option client '${ADDR.client}'
  	option mail 'alice@example.test'

  config mail
  	option host '${ADDR.server}'
  	option port '${SMTP_PORT}'
  	option from 'backsoon@router.example.test'

  config snmp
  	option port '162'
  	list community 'public'
  `;
  }

  interface Outage {
    server: string;
    cause: string;
    since: number;
    clients: { client: string }[];
  }
  interface Status {
    pid: number;
    outages: Outage[];
    waitingClients: number;
    contacts: number;
    captures: { interface: string; role: string }[];
    outbox: { queued: number; sending: number; sent: number };
  }

  let vm: RouterVm | null = null;
  let exim: Exim | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'bs-qs-'));
  const times: string[] = [];
  let failedStep: string | null = null;

  function machine(): RouterVm {
    if (!vm) throw new Error('the VM did not boot');
    return vm;
  }

  function mta(): Exim {
    if (!exim) throw new Error('exim did not start');
    return exim;
  }

  function note(what: string, ms: number): void {
    const line = `${what}: ${(ms / 1000).toFixed(1)} s`;
    times.push(line);
    console.log(`  (${line})`);
  }

  /** One step of the story: skipped (failing at once) after an earlier step failed. */
  function step(name: string, body: () => Promise<void>): void {
    test(name, async () => {
      if (failedStep !== null) throw new Error(`not run: the earlier step "${failedStep}" failed`);
      try {
        await body();
      } catch (err) {
        failedStep = name;
        if (vm) (err as Error).message += `\n--- VM console (last 3000 characters) ---\n${vm.console.slice(-3000)}`;
        throw err;
      }
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** The daemon's report, from the daemon itself: `ubus call backsoon status` in the VM. */
  async function status(): Promise<Status> {
    const r = await machine().run('ubus call backsoon status', 30_000 * SLOW);
    assert.is(r.status, 0, `ubus call backsoon status in the VM: ${r.output}`);
    return JSON.parse(r.output) as Status;
  }

  /** The same through the command a user types, which starts node and asks over the control socket. */
  async function cliStatus(): Promise<Status> {
    const r = await machine().run('backsoon status --json', 60_000 * SLOW);
    assert.is(r.status, 0, `backsoon status --json in the VM: ${r.output}`);
    return JSON.parse(r.output) as Status;
  }

  /** What a user compares across a reload or a restart: server, cause, since and the clients. */
  function outageSummary(s: Status): string[] {
    return s.outages.map((o) => `${o.server} ${o.cause} since ${o.since}: ${o.clients.map((c) => c.client).sort().join(' ')}`);
  }

  async function writeConfig(logLevel: 'info' | 'debug'): Promise<void> {
    const b64 = Buffer.from(labConfig(logLevel)).toString('base64');
    const r = await machine().run(
      `printf %s '${b64}' | base64 -d >/etc/config/backsoon.new && mv /etc/config/backsoon.new /etc/config/backsoon && backsoon config check /etc/config/backsoon`,
      60_000 * SLOW,
    );
    assert.is(r.status, 0, `the lab configuration is valid in the VM: ${r.output}`);
  }

  /** A plain HTTP request from a client address in the client namespace. */
  function curl(from: string, seconds: number, extra: string[] = []) {
    return machine().exec('client', [
      'curl', '-sS', '--interface', from, '-H', 'Accept-Language: en', '--connect-timeout', String(seconds), '-m', String(seconds + 2), ...extra, URL,
    ], (seconds + 6) * 1000);
  }

  /** What a reader of the page sees: the text without markup, scripts or styles. */
  function visibleText(html: string): string {
    const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
    return html
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => entities[e])
      .replace(/\s+/g, ' ')
      .replace(/ ([.,:)])/g, '$1')
      .replace(/\( /g, '(');
  }

  /** Asks until the stand-in answers (its nft rules follow the decision within moments). */
  async function standInPage(from: string, extra: string[] = []): Promise<string> {
    let last = '';
    for (let i = 0; i < 10; i++) {
      const r = await curl(from, 4, extra);
      last = `curl exit ${r.code}: ${r.stdout.slice(0, 300)}${r.stderr}`;
      if (r.code === 0 && visibleText(r.stdout).includes(`${SERVER_NAME} is not reachable`)) return r.stdout;
      await sleep(500);
    }
    throw new Error(`no stand-in page for ${from} at ${URL}; last answer: ${last}`);
  }

  test.after(async () => {
    if (times.length > 0) console.log(`\n  measured on this run:\n${times.map((t) => `    ${t}`).join('\n')}`);
    await exim?.dispose().catch(() => undefined);
    await vm?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  step(`${arch}: procd starts backsoon at boot; it takes the lab configuration and reports ready with nothing down`, async () => {
    ensureImage(arch);
    vm = await RouterVm.boot({ prefix: PREFIX, arch });
    const m = machine();
    note('run-vm start -> backsoon ready under procd (board defaults)', m.bootTimes.wallMs);
    console.log(`  (guest uptime at ready: ${m.bootTimes.guestUptimeS.toFixed(1)} s)`);
    const pid = await m.daemonPid();
    assert.ok(pid, 'procd runs a backsoon instance');
    const rss = await m.run(`grep VmRSS /proc/${pid}/status`);
    console.log(`  (daemon ${rss.output.trim()} with the board defaults)`);
    const rules = await m.run(`ubus call service validate '{"package":"backsoon"}'`);
    assert.match(rules.output, /"log_level": "or\(/, `procd holds the init script's validation rules: ${rules.output}`);

    // The real server: a page on port 80 and the MTA on 2525, both at 198.51.100.10.
    const page = `require('http').createServer((q, s) => s.end('real server ${SERVER_NAME}\\n')).listen(80, '${ADDR.server}', () => console.log('listening'))`;
    await m.startIn('server', ['node', '-e', page], /listening/);
    exim = await Exim.start({ netns: `${PREFIX}-server`, address: ADDR.server, port: SMTP_PORT });
    const added = await m.exec('client', ['ip', 'addr', 'add', `${WALK_IN}/24`, 'dev', 'eth0']);
    assert.is(added.code, 0, added.stderr);

    await writeConfig('info');
    const from = m.consoleLength;
    const t0 = Date.now();
    const restart = await m.run('/etc/init.d/backsoon restart', 120_000 * SLOW);
    assert.is(restart.status, 0, restart.output);
    const ready = await m.waitForConsole(DAEMON_READY, 60_000 * SLOW, from);
    note('restart with the lab configuration -> ready', Date.now() - t0);
    assert.match(ready[0], `watching ${SERVER_NAME} (${ADDR.server})`, 'the ready line names the configured server');
    const s = await status();
    assert.equal(s.outages, [], 'nothing is down yet');
    assert.equal(s.captures.map((c) => `${c.interface} ${c.role}`).sort(), ['br-lan client', 'eth1 server']);
    // ubusd routes the call to the object the daemon registered: the answer names the process
    // procd runs as the service's instance.
    assert.is(s.pid, await m.daemonPid(), 'ubus call backsoon status is answered by the daemon procd runs');

    const real = await curl(ADDR.client, 8);
    assert.is(real.code, 0, real.stderr);
    assert.is(real.stdout, `real server ${SERVER_NAME}\n`, 'the client reaches the real server through the VM');
    const running = await m.daemonPid();
    const lab = await m.run(`grep VmRSS /proc/${running}/status`);
    console.log(`  (daemon ${lab.output.trim()} with the lab configuration)`);
    await hooks.afterStart?.(m);
  });

  step('the server leaves the network; a client tries it and backsoon in the VM records the outage', async () => {
    const m = machine();
    const gone = await m.exec('server', ['ip', 'addr', 'del', `${ADDR.server}/24`, 'dev', 'eth0']);
    assert.is(gone.code, 0, gone.stderr);
    const from = m.consoleLength;
    const t0 = Date.now();
    const tried = curl(ADDR.client, 8, ['-v']); // -v: the trace names the socket error
    const down = await m.waitForConsole(/server 198\.51\.100\.10 is down \(([a-z-]+)\)/, 30_000 * SLOW, from);
    note(`first SYN -> "is down (${down[1]})" on the VM console`, Date.now() - t0);
    // curl keeps retrying its SYN (1, 3, 7 s): a retry after the decision is already answered by
    // the stand-in, whose rules also clear the attempt's conntrack entry. Or the request ends
    // before that: by the router's ICMP host unreachable once its ARP gives up (curl exit 7, "No
    // route to host") or by curl's own connect timeout (exit 28). Nothing else is right.
    const r = await tried;
    const answer = r.code === 0 ? r.stdout : `curl exit ${r.code}: ${r.stderr.trim().split('\n').slice(-4).join(' | ')}`;
    if (r.code === 0) assert.ok(visibleText(answer).includes(`${SERVER_NAME} is not reachable`), `the client's first request got the stand-in: ${answer.slice(0, 300)}`);
    else assert.ok(r.code === 28 || (r.code === 7 && /No route to host/.test(r.stderr)), `the client's first request: ${answer}`);
    console.log(`  (the first request ${r.code === 0 ? 'was answered by the stand-in on a SYN retry' : `failed (curl exit ${r.code})`})`);
    const s = await status();
    assert.is(s.outages.length, 1, JSON.stringify(s.outages));
    assert.is(s.outages[0].server, ADDR.server);
    assert.equal(s.outages[0].clients.map((c) => c.client), [ADDR.client], 'the client that tried waits');
    // What `backsoon status` shows a user is the daemon's own report, as ubus gives it.
    const t1 = Date.now();
    const cli = await cliStatus();
    note('backsoon status --json in the VM (starts node)', Date.now() - t1);
    const t2 = Date.now();
    await status();
    note('ubus call backsoon status in the VM', Date.now() - t2);
    assert.is(cli.pid, s.pid);
    assert.equal(outageSummary(cli), outageSummary(s));
  });

  step('the client\'s next request gets the stand-in page; a walk-in client leaves carol\'s address', async () => {
    const known = visibleText(await standInPage(ADDR.client));
    assert.match(known, `The server ${SERVER_NAME} (${ADDR.server}) has not been answering since`);
    assert.match(known, 'We will tell you at a***@example.test when it is back.', 'alice\'s client is told its configured address is known');

    const jar = join(dir, 'cookies');
    const page = await standInPage(WALK_IN, ['-c', jar, '-b', jar]);
    assert.match(visibleText(page), `Your attempt to reach it from ${WALK_IN} was noticed.`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(csrf, `the page carries a form: ${page.slice(0, 400)}`);
    const post = await machine().exec('client', ['curl', '-sS', '--interface', WALK_IN, '-c', jar, '-b', jar, '-m', '10',
      '--data-urlencode', `csrf=${csrf}`, '--data-urlencode', 'mail=carol@example.test', '--data-urlencode', 'choice=yes',
      '--data-urlencode', 'return=/', '--data-urlencode', 'lang=en', `http://${ADDR.server}/.backsoon/register`]);
    assert.is(post.code, 0, post.stderr);
    const confirmation = visibleText(post.stdout);
    assert.match(confirmation, `When ${SERVER_NAME} is back, a notice goes to: carol@example.test`, confirmation.slice(0, 600));

    const s = await status();
    assert.equal(s.outages[0].clients.map((c) => c.client).sort(), [ADDR.client, WALK_IN], 'both clients wait');
  });

  step('uci set, uci commit, reload_config: the daemon reloads and keeps the outage and the waiting clients', async () => {
    const m = machine();
    const before = await status();
    const from = m.consoleLength;
    const r = await m.run("uci set backsoon.main.log_level='debug' && uci commit backsoon && reload_config");
    assert.is(r.status, 0, r.output);
    // procd runs /etc/init.d/backsoon reload (1 s trigger delay; it checks the file with node first).
    await m.waitForConsole(/configuration reloaded from \/etc\/config\/backsoon; 1 outages kept/, 60_000 * SLOW, from);
    const after = await status();
    assert.is(after.pid, before.pid, 'the same daemon (reloaded, not restarted)');
    assert.equal(outageSummary(after), outageSummary(before));
    assert.is(after.waitingClients, 2);

    // The same through the daemon's ubus method, as a script or LuCI's button does it.
    const viaUbus = await m.run('ubus call backsoon reload', 60_000 * SLOW);
    assert.is(viaUbus.status, 0, viaUbus.output);
    const answer = JSON.parse(viaUbus.output) as { reloaded: boolean; config: string; outagesKept: number };
    assert.equal([answer.reloaded, answer.config, answer.outagesKept], [true, '/etc/config/backsoon', 1], viaUbus.output);
    const again = await status();
    assert.is(again.pid, before.pid, 'ubus reload keeps the daemon');
    assert.equal(outageSummary(again), outageSummary(before));
  });

  step('after kill -9 procd respawns the daemon, which restores the outage and its clients', async () => {
    const m = machine();
    const before = await status();
    // The snapshot is written at most every snapshot_interval (5 s): wait until it holds both
    // clients and carol's address, as an operator would look before pulling the plug.
    const saved = await m.run(
      `for i in $(seq 60); do
         f=$(cat ${STATE_DIR}/state.json 2>/dev/null)
         case $f in *'"${WALK_IN}"'*) case $f in *carol@example.test*) break ;; esac ;; esac
         sleep 0.5
       done
       cat ${STATE_DIR}/state.json`, 60_000 * SLOW);
    assert.match(saved.output, `"${WALK_IN}"`, `the snapshot names the walk-in client: ${saved.output}`);
    assert.match(saved.output, 'carol@example.test');

    const from = m.consoleLength;
    const t0 = Date.now();
    const oldPid = await m.daemonPid();
    assert.ok(oldPid, 'a daemon runs');
    await m.run(`kill -9 ${oldPid}`);
    // procd's respawn waits 5 s (procd_set_param respawn 3600 5 5 in the init script).
    const newPid = await m.waitForNewDaemon(oldPid, 60_000 * SLOW);
    const ready = await m.waitForConsole(DAEMON_READY, 60_000 * SLOW, from);
    note('kill -9 -> new daemon ready with the restored state', Date.now() - t0);
    assert.match(ready[0], '1 servers down from saved state');
    assert.match(m.console.slice(from), `state restored from ${STATE_DIR}/state.json: 1 outages, 2 waiting clients`);
    const after = await status();
    assert.is(after.pid, newPid);
    assert.equal(outageSummary(after), outageSummary(before), 'the same outage, since the same time, with the same clients');
    // The restored outage still has its stand-in.
    await standInPage(ADDR.client);
  });

  step('the server returns and sends a coldStart trap: alice and carol get their notices from the VM', async () => {
    const m = machine();
    // Back on the network with its route to the clients, which left with the address.
    for (const argv of [
      ['ip', 'addr', 'add', `${ADDR.server}/24`, 'dev', 'eth0'],
      ['ip', 'route', 'replace', '192.0.2.0/24', 'via', ADDR.routerServerSide],
    ]) {
      const r = await m.exec('server', argv);
      assert.is(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    }
    // The router's MAC fixed on the server, so that the trap is what backsoon hears first: for an
    // outage recorded at host level (ARP silence, ICMP, a failed neighbour, which a busier host
    // may see instead of the SYN timeout), the server's ARP request before the trap would itself
    // count as its return.
    const mac = (await m.run('cat /sys/class/net/eth1/address')).output.trim();
    const neigh = await m.exec('server', ['ip', 'neigh', 'replace', ADDR.routerServerSide, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent']);
    assert.is(neigh.code, 0, neigh.stderr);

    // What a script on the router hears: the events, from a `ubus listen` started before the
    // trap. A marker event sent until the listener logs it proves it is registered.
    const listen = await m.run(
      `ubus listen backsoon.recovered backsoon.notice backsoon.story-listening </dev/null >${EVENTS} 2>&1 &
       echo $! >${EVENTS}.pid
       for i in $(seq 100); do
         ubus send backsoon.story-listening '{}'
         grep -q story-listening ${EVENTS} && exit 0
         sleep 0.2
       done
       exit 1`, 60_000 * SLOW);
    assert.is(listen.status, 0, `ubus listen started in the VM: ${(await m.run(`cat ${EVENTS}`)).output}`);

    const afterRecovery = (await hooks.beforeRecovery?.(m)) ?? (async () => undefined);
    const from = m.consoleLength;
    const t0 = Date.now();
    const trap = await m.exec('server', ['env', `SNMP_PERSISTENT_DIR=${dir}/snmp`, 'snmptrap', '-M', '', '-m', '', '-v', '2c', '-c', 'public',
      ADDR.routerServerSide, '', '1.3.6.1.6.3.1.1.5.1']);
    assert.is(trap.code, 0, trap.stderr);
    await m.waitForConsole(/server 198\.51\.100\.10 is back \(trap\)/, 30_000 * SLOW, from);
    // log_level 'debug' from the reload: the daemon now names each client it tells.
    await m.waitForConsole(new RegExp(`debug: telling ${WALK_IN.replace(/\./g, '\\.')} <carol@example\\.test> that`), 30_000 * SLOW, from);
    const mails = await mta().waitFor(2, 60_000 * SLOW);
    note('snmptrap -> both notices in exim\'s Maildir', Date.now() - t0);
    assert.equal(mails.map((x) => x.recipient).sort(), ['alice@example.test', 'carol@example.test']);
    for (const mail of mails) {
      assert.is(mail.subject, SUBJECT);
      assert.match(mail.body, `Server: `);
      assert.match(mail.body, `${SERVER_NAME} (${ADDR.server})`);
    }
    const byRecipient = Object.fromEntries(mails.map((x) => [x.recipient, x.body]));
    assert.match(byRecipient['alice@example.test'], new RegExp(`Your address: +${ADDR.client.replace(/\./g, '\\.')}\\b`));
    assert.match(byRecipient['carol@example.test'], new RegExp(`Your address: +${WALK_IN.replace(/\./g, '\\.')}\\b`));

    const s = await status();
    assert.equal(s.outages, [], 'nothing is down any more');
    const real = await curl(ADDR.client, 8);
    assert.is(real.stdout, `real server ${SERVER_NAME}\n`, 'the stand-in has stepped aside: the real server answers');
    // Once the outbox has nothing left to send, nothing more can come.
    let settled = await status();
    for (let i = 0; settled.outbox.queued + settled.outbox.sending > 0; i++) {
      if (i > 60) throw new Error(`the outbox in the VM does not settle: ${JSON.stringify(settled.outbox)}`);
      await sleep(500);
      settled = await status();
    }
    assert.is((await mta().messages()).length, 2, 'one notice each, no repeats');

    // `ubus listen` saw the recovery, with the server's address, and one notice per client
    // (events carry no mail addresses).
    const heard = await m.run(
      `for i in $(seq 50); do [ "$(grep -c '"backsoon.notice"' ${EVENTS})" -ge 2 ] && break; sleep 0.2; done
       kill $(cat ${EVENTS}.pid); cat ${EVENTS}`, 30_000 * SLOW);
    const events = heard.output.split('\n').filter((l) => l.startsWith('{ "backsoon.') && !l.includes('story-listening'))
      .map((l) => JSON.parse(l) as Record<string, { server: string; cause?: string; told?: number; client?: string }>);
    const recovered = events.filter((e) => e['backsoon.recovered']).map((e) => e['backsoon.recovered']);
    assert.is(recovered.length, 1, `one backsoon.recovered event: ${heard.output}`);
    assert.equal([recovered[0].server, recovered[0].cause, recovered[0].told], [ADDR.server, 'trap', 2], heard.output);
    const notices = events.filter((e) => e['backsoon.notice']).map((e) => e['backsoon.notice']);
    assert.equal(notices.map((n) => `${n.server} ${n.client}`).sort(), [`${ADDR.server} ${ADDR.client}`, `${ADDR.server} ${WALK_IN}`]);
    assert.not.match(heard.output, /@example\.test/, 'no mail address in the events');

    // What a person at the router reads: the daemon's own lines, in logd, under procd's tag.
    const log = await m.run('logread -e "198.51.100.10 is"');
    assert.match(log.output, /node\[\d+\]: .*server 198\.51\.100\.10 is down/, `logread holds the outage: ${log.output}`);
    assert.match(log.output, /node\[\d+\]: .*server 198\.51\.100\.10 is back \(trap\)/, `logread holds the return: ${log.output}`);
    await afterRecovery();
  });

  test.run();
}
