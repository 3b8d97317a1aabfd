// A spoofed SYN flood against the real daemon on the namespace router: two clients try the
// silent server first (192.0.2.10 with a configured contact, 192.0.2.12 with none), then 60,000
// SYNs from 60,000 forged sources of the router's own client network overflow the server's list
// of 8,192 waiting clients. What a user checks: both early clients are still waiting before the
// server is back (status --json), the one with a contact gets its mail in exim's Maildir, and the
// counters say what was dropped. The flood is written by bench/lab-synflood-gen.ts inside the
// client namespace. BACKSOON_BUNDLE=FILE runs an older build for the figure before.
// test-timeout: 180
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { StatusReport } from '../../src/control/status';
import { withDaemonLab } from './daemon-lab';

const SERVER = '198.51.100.10';
const ROOT = resolve(__dirname, '../..');
const GENERATOR = resolve(ROOT, 'bench/lab-synflood-gen.ts');
/** Forged sources: a /16 the router also has on br0, so they are on a client network. */
const FLOOD_NET = '10.0.0.0/16';
const FLOOD_SYNS = 60_000;

test('a SYN flood from forged sources overflows the list; the clients that tried before it are still told', async () => {
  await withDaemonLab('sf-evict', { clients: 2, mainOptions: { probe_interval: '600', syn_timeout: '5', log_level: 'info' } }, async (lab) => {
    await lab.lab.exec('r', ['ip', 'addr', 'add', '10.0.0.1/16', 'dev', 'br0']);
    await lab.lab.serverSilent(80);
    await lab.start();
    // Both early clients' SYNs go unanswered (curl gives up after 3 s: exit 28).
    const early = await Promise.all([lab.curl('c', 3), lab.curl('c2', 3)]);
    assert.equal(early.map((r) => r.code), [28, 28]);

    const gen = lab.lab.spawn('c', [process.execPath, '--import', 'tsx', GENERATOR, 'eth0', lab.lab.mac('c'), lab.lab.mac('r', 'br0'),
      SERVER, '80', FLOOD_NET, lab.lab.ip('r', 'br0'), String(FLOOD_SYNS)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
    let genErr = '';
    gen.stderr?.setEncoding('utf8').on('data', (d: string) => { genErr += d; });
    const answers = createInterface({ input: gen.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, number>> => {
      const r = await answers.next();
      if (r.done) throw new Error(`flood generator ended: ${genErr}`);
      return JSON.parse(r.value);
    };
    await next(); // ready
    gen.stdin!.write(`30000 ${FLOOD_SYNS / 30000}\n`);
    const step = await next();
    gen.kill('SIGKILL');
    assert.is(step.failed, 0, 'every forged SYN was written');

    // Every forged SYN decoded (or dropped by a capture buffer, which a flood may fill) and
    // registered or evicted.
    const settled = (x: StatusReport): boolean =>
      x.waitingClients === 8192 && x.engine.attempts + x.captures.reduce((n, c) => n + c.dropped + c.ifDropped, 0) >= FLOOD_SYNS;
    const s = await lab.statusWhen(settled, 'the flood registered', 60_000);
    const clients: string[] = s.outages.find((o) => o.server === SERVER)!.clients.map((c) => c.client);
    assert.ok(clients.includes('192.0.2.10'), 'the early client with a contact still waits');
    assert.ok(clients.includes('192.0.2.12'), 'the early client without a contact still waits');
    assert.is(s.engine.evicted.verified, 0, 'no verified client was evicted');
    // The list overflowed many times over: at least 90 % of the flood got in and was pushed out again.
    assert.ok(s.engine.evicted.unverified >= 0.9 * FLOOD_SYNS - 8192, `forged sources evicted: ${s.engine.evicted.unverified}`);
    console.log(`  flood: ${step.sent} SYNs in ${step.elapsed.toFixed(2)} s; decoded ${s.engine.attempts}; waiting ${s.waitingClients}; evicted unverified ${s.engine.evicted.unverified}, verified ${s.engine.evicted.verified}; refused off-network ${s.engine.refusedOffNetwork}`);

    // The server is back: its SYN/ACK to a client ends the outage.
    await lab.lab.serverAnswering(80);
    assert.is((await lab.curl('c1')).code, 0);
    await lab.waitForLog(/server 198\.51\.100\.10 is back/, 20_000);
    // Other mail may come first (192.0.2.11 tried while the server was still down to the router
    // and has a contact too), so wait for alice's own.
    const mail = await lab.exim.waitForRecipient('alice@example.test', 60_000);
    assert.match(mail.body, /Your address: +192\.0\.2\.10/, 'the early client was told by mail, about its own address');
  });
});

test.run();
