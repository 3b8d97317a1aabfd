// What a daemon at rest keeps loaded, with the configuration the package installs (one capture,
// no mail, no SNMP, no policy, no stand-in page served yet): none of node's built-ins that only a
// page, a webhook, a trap, a policy or a heap trim needs, and no function V8 found hot enough to
// optimize. Each costs RSS on a router that may never use it (docs/PERFORMANCE.md, "Idle memory
// on the boards"). Root: a lab bs-RUN-im-{c,r,s}.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atExit } from '../at-exit';
import { BUNDLE } from './daemon-lab';
import { Lab } from './lab';

const BOARD_CONFIG = resolve(__dirname, '../../board/openwrt/files/etc/config/backsoon');

/** Built-ins a daemon at rest must not have loaded, and what loads each once it is needed. */
const LATER: Record<string, string> = {
  crypto: 'a page, a form token, a webhook signature, a message id, an SNMPv3 engine id',
  http: 'the stand-in listener, a webhook, the metrics listener',
  https: 'an https webhook',
  tls: 'an https webhook, STARTTLS',
  worker_threads: 'an operator policy',
  v8: 'the heap trim after a burst',
  vm: 'the heap trim after a burst',
  'fs/promises': 'a policy file, the ubus socket check',
};

test("a daemon at rest with the package's configuration loads no built-in it does not use yet and optimizes nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-idle-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const lab = await Lab.up('im');
  try {
    const loads = join(dir, 'loads.txt');
    const preload = join(dir, 'loads.js');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loads)}, process.moduleLoadList.join('\\n')));`);
    const config = join(dir, 'backsoon');
    const board = readFileSync(BOARD_CONFIG, 'utf8');
    assert.match(board, /^\tlist interface 'br-lan'$/m, "the package's configuration captures on br-lan");
    writeFileSync(config, board
      .replace(/^\tlist interface 'br-lan'$/m, "\tlist interface 'br0'")
      .replace(/^config backsoon 'main'$/m, `config backsoon 'main'\n\toption state_dir '${join(dir, 'state')}'\n\toption control_socket '${join(dir, 'sock')}'`));

    // As the init script starts node, and with V8 telling on stdout what it optimizes.
    const daemon = lab.spawn('r', [process.execPath, '--max-semi-space-size=1', '--trace-opt', BUNDLE, 'run', '--config', config],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: `--require ${preload}`, MALLOC_MMAP_THRESHOLD_: '131072' } });
    let log = '';
    let traced = '';
    daemon.stderr?.setEncoding('utf8').on('data', (d: string) => { log += d; });
    daemon.stdout?.setEncoding('utf8').on('data', (d: string) => { traced += d; });
    const deadline = Date.now() + 20_000;
    while (!/backsoon ready/.test(log) && daemon.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(log, /backsoon ready/, `the daemon did not become ready:\n${log}`);
    // A few seconds at rest: the timers of a quiet router (probes, snapshots, the heap check) run.
    await new Promise((r) => setTimeout(r, 6000));
    daemon.kill('SIGTERM');
    const [code] = await once(daemon, 'exit') as [number | null];
    assert.is(code, 0, log);

    const loaded = new Set(readFileSync(loads, 'utf8').split('\n'));
    assert.ok(loaded.has('NativeModule net'), 'the list is real: net (the control socket) is loaded');
    const early = Object.keys(LATER).filter((m) => loaded.has(`NativeModule ${m}`));
    assert.equal(early, [], early.map((m) => `${m} is loaded at rest; it belongs to ${LATER[m]}`).join('\n'));

    // V8's optimizing compiler, once run, keeps ~3 MiB of node's binary and its own memory
    // resident; nothing a start or a quiet router does is hot enough to need it.
    const optimized = traced.split('\n').filter((l) => /for optimization to/.test(l));
    assert.equal(optimized, [], `functions optimized at start or at rest:\n${optimized.join('\n')}`);
  } finally {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
});

test.run();
