// A hostile operator policy against the real daemon: shouldNotify loops until its deadline and
// render spends its time in one long built-in the sandbox cannot interrupt. While a recovery of
// 21 waiting clients runs through it, the daemon must keep answering status and serving the
// stand-in page, and every client must still be told (with backsoon's own texts).
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withDaemonLab } from './daemon-lab';

const EXTRA_CLIENTS = Array.from({ length: 20 }, (_, i) => `192.0.2.${100 + i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HOSTILE = `
function shouldNotify(outage, client) { for (;;) {} }
function render(notice) { new Array(4e7).join(''); return { subject: 'never used', pageText: 'never shown' }; }
`;

test('a looping and a stuck hook: status and the page answer during the recovery, and all 21 clients are told', async () => {
  const policy = join(tmpdir(), `bs-hostile-policy-${process.pid}.js`);
  writeFileSync(policy, HOSTILE);
  const contacts = EXTRA_CLIENTS.map((a, i) => `\nconfig contact\n\toption client '${a}'\n\toption mail 'user${i}@example.test'\n`).join('');
  try {
    await withDaemonLab('ph-hostile', {
      clients: 1, serverSide: false, extraConfig: contacts,
      serverOptions: "\toption standin '1'\n\tlist probe 'tcp:80'", mainOptions: { probe_interval: '600', policy },
    }, async (lab) => {
      for (const address of EXTRA_CLIENTS) assert.is((await lab.lab.exec('c1', ['ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0'])).code, 0);
      await lab.lab.serverGone('addr');
      await lab.start();
      await lab.curl('c', 5);
      await lab.waitForLog(/stand-in: answering for 198\.51\.100\.10/, 10_000);
      await Promise.all(EXTRA_CLIENTS.map((a) => lab.lab.exec('c1', ['curl', '-sS', '-m', '5', '--interface', a, '-o', '/dev/null', 'http://198.51.100.10/'])));
      // The curls' SYNs reach the engine at once, unless something holds its event loop.
      let waiting = (await lab.status()).waitingClients;
      for (let i = 0; i < 60 && waiting < 21; i++) {
        await sleep(500);
        waiting = (await lab.status()).waitingClients;
      }
      assert.is(waiting, 21);

      // The page's render hook is stuck: the page comes anyway (without the policy's text).
      const page = await lab.lab.exec('c', ['curl', '-sS', '-m', '5', '-w', '\n%{http_code}', 'http://198.51.100.10/']);
      assert.ok(page.stdout.endsWith('\n503'), page.stdout.slice(-200));

      await lab.lab.serverBack();
      const mark = lab.log.length;
      await lab.trap();
      await lab.waitForLog(/is back \(trap\)/, 10_000, mark);
      // While the policy chews on 21 clients, the daemon answers (backsoon status gives up after 5 s).
      for (let i = 0; i < 3; i++) {
        const s = await lab.status();
        assert.ok(s.pid > 0);
        await sleep(1000);
      }
      const mails = await lab.exim.waitFor(21, 60_000);
      assert.is(mails.length, 21);
      assert.ok(mails.every((m) => m.subject.startsWith('Server failure recovery notice: ')), 'backsoon\'s own subject');
      const s = await lab.status();
      assert.is(s.directNotices.policyDeclined, 0, 'a failing shouldNotify tells the client');
      assert.ok(s.policy!.threadRestarts >= 1, `the stuck render ended the policy's thread (${JSON.stringify(s.policy)})`);
      assert.ok(lab.daemon!.exitCode === null, 'the daemon runs on');
    });
  } finally {
    rmSync(policy, { force: true });
  }
});

test.run();
