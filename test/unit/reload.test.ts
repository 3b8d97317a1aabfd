// The reloader behind SIGHUP and `ubus call backsoon reload`: never two reloads at once,
// requests during one make exactly one more after it, none before startup, a clear answer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../src/config/types';
import type { Daemon } from '../../src/daemon/daemon';
import { createLogger } from '../../src/daemon/log';
import { Reloader } from '../../src/daemon/reload';

const dir = mkdtempSync(join(tmpdir(), 'bs-reload-'));
const file = join(dir, 'backsoon');
const good = "config backsoon 'main'\n\toption interface 'br-lan'\n";
writeFileSync(file, good);

/** A stand-in for the daemon whose reload waits until the test lets it finish, recording overlaps. */
function fakeDaemon() {
  const events: string[] = [];
  let running = 0;
  let finish: (() => void)[] = [];
  let failNext = false;
  const daemon = {
    async reload(_next: Config): Promise<{ restored: number }> {
      running++;
      events.push(running > 1 ? 'overlap' : 'start');
      await new Promise<void>((resolve) => finish.push(resolve));
      running--;
      events.push('end');
      if (failNext) { failNext = false; throw new Error('port in use'); }
      return { restored: 3 };
    },
  } as unknown as Daemon;
  const release = async () => {
    const waiting = finish;
    finish = [];
    for (const f of waiting) f();
    await new Promise((r) => setImmediate(r));
  };
  return { daemon, events, release, failOnce: () => { failNext = true; } };
}

const tick = () => new Promise((r) => setImmediate(r));
const quiet = createLogger('error', () => {});

test('requests during a reload make exactly one more reload after it, never two at once', async () => {
  const { daemon, events, release } = fakeDaemon();
  const reloader = new Reloader(file, daemon, quiet);
  reloader.started();
  const answers = [reloader.reload('SIGHUP')];
  await tick();
  for (let i = 0; i < 9; i++) answers.push(reloader.reload('SIGHUP'));
  await tick();
  assert.equal(events, ['start']);
  await release();
  assert.equal(events, ['start', 'end', 'start']);
  await release();
  assert.equal(events, ['start', 'end', 'start', 'end']);
  assert.equal(reloader.counts, { requested: 10, started: 2, done: 2, refused: 0, failed: 0 });
  for (const a of await Promise.all(answers)) assert.equal(a, { ok: true, config: file, outagesKept: 3, warnings: [] });
});

test('requests before startup is over share one reload, run once it is', async () => {
  const { daemon, events, release } = fakeDaemon();
  const reloader = new Reloader(file, daemon, quiet);
  void reloader.reload('SIGHUP');
  void reloader.reload('ubus');
  await tick();
  assert.equal(events, []);
  reloader.started();
  await tick();
  assert.equal(events, ['start']);
  await release();
  assert.equal(reloader.counts.started, 1);
});

test('a refused file and a failed reload are answered and counted; the next request still runs', async () => {
  const { daemon, release, failOnce } = fakeDaemon();
  const reloader = new Reloader(file, daemon, quiet);
  reloader.started();
  writeFileSync(file, "config backsoon 'main'\n\toption syn_timeout 'soon'\n");
  const refused = await reloader.reload('ubus');
  assert.is(refused.ok, false);
  assert.match(refused.ok ? '' : refused.errors.join('\n'), /syn_timeout/);
  writeFileSync(file, good);
  failOnce();
  const failing = reloader.reload('SIGHUP');
  await tick();
  await release();
  const failed = await failing;
  assert.equal(failed, { ok: false, config: file, errors: ['reload (SIGHUP): port in use'] });
  const next = reloader.reload('SIGHUP');
  await tick();
  await release();
  assert.is((await next).ok, true);
  assert.equal(reloader.counts, { requested: 3, started: 3, done: 1, refused: 1, failed: 1 });
});

test('close() waits for the running reload and refuses further ones', async () => {
  const { daemon, events, release } = fakeDaemon();
  const reloader = new Reloader(file, daemon, quiet);
  reloader.started();
  void reloader.reload('SIGHUP');
  await tick();
  const coalesced = reloader.reload('SIGHUP');
  let closed = false;
  const closing = reloader.close().then(() => { closed = true; });
  await tick();
  assert.not.ok(closed);
  await release();
  await closing;
  assert.ok(closed);
  assert.equal(await coalesced, { ok: false, config: file, errors: ['backsoon is stopping'] });
  assert.equal(await reloader.reload('SIGHUP'), { ok: false, config: file, errors: ['backsoon is stopping'] });
  assert.equal(events, ['start', 'end'], 'the coalesced one and the late one never ran');
});

test.run();
