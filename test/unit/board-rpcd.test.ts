// /usr/libexec/rpcd/backsoon as rpcd runs it (`PLUGIN list`, `PLUGIN call METHOD`), with
// busybox ash, this tree's `backsoon status`, and a real control socket (src/control/socket.ts)
// answering with a sample report. jsonfilter has no Debian package: a stand-in takes its place
// (board-fixtures/fake-jsonfilter).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ControlServer } from '../../src/control/socket';
import { ENV, FIXTURES, RPCD_PLUGIN, backsoonBin, busybox, sampleReport, tempDir } from './board-helpers';

const dir = tempDir('rpcd');
const bin = backsoonBin(dir);

function plugin(args: string[], socket: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(busybox(), ['sh', RPCD_PLUGIN, ...args], {
      env: { ...ENV, PATH: `${bin}:${join(FIXTURES, 'fake-jsonfilter')}:${ENV.PATH}`, BACKSOON_SOCKET: socket },
      timeout: 60_000,
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** rpcd takes one JSON object on stdout; anything else fails the call. */
function answer(r: { code: number; stdout: string; stderr: string }): Record<string, unknown> {
  assert.is(r.code, 0, r.stderr);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`not JSON: ${r.stdout}`);
  }
  assert.type(parsed, 'object');
  assert.ok(parsed !== null && !Array.isArray(parsed), r.stdout);
  return parsed as Record<string, unknown>;
}

async function withDaemonSocket<T>(body: (socket: string) => Promise<T>): Promise<T> {
  const socket = join(dir, 'control.sock');
  const server = new ControlServer(socket, (req) => (req.cmd === 'status' ? sampleReport() : { error: 'unexpected' }), () => {});
  await server.start();
  try {
    return await body(socket);
  } finally {
    server.stop();
  }
}

test('list: the two methods rpcd registers on ubus object backsoon, neither with arguments', async () => {
  assert.equal(answer(await plugin(['list'], join(dir, 'none'))), { status: {}, outages: {} });
});

test('call status: the daemon\'s report, exactly as `backsoon status --json` gives it', async () => {
  await withDaemonSocket(async (socket) => {
    assert.equal(answer(await plugin(['call', 'status'], socket)), sampleReport() as unknown as Record<string, unknown>);
  });
});

test('call outages: the down servers with their clients, the waiting count and the time, without counters', async () => {
  await withDaemonSocket(async (socket) => {
    const r = sampleReport();
    assert.equal(answer(await plugin(['call', 'outages'], socket)), { outages: r.outages, waitingClients: r.waitingClients, now: r.now });
  });
});

test('no daemon: both calls answer running false with the reason, still one JSON object', async () => {
  const socket = join(dir, 'nobody-listens.sock');
  for (const method of ['status', 'outages']) {
    const a = answer(await plugin(['call', method], socket));
    assert.is(a.running, false);
    assert.match(String(a.error), /cannot reach the daemon at .*nobody-listens\.sock/);
  }
});

test('an error text with quotes, backslashes and a line break still gives valid JSON', async () => {
  const a = answer(await plugin(['call', 'status'], join(dir, 'we"ird\\na\nme.sock')));
  assert.is(a.running, false);
  assert.match(String(a.error), /we'irdna me\.sock/);
});

test('an unknown method answers an error object, and no arguments is a usage error', async () => {
  const a = answer(await plugin(['call', 'restart'], join(dir, 'none')));
  assert.match(String(a.error), /unknown method 'restart' \(status, outages\)/);
  const usage = await plugin([], join(dir, 'none'));
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /usage: .* list \| call status\|outages/);
});

test.run();
