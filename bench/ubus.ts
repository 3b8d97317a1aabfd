// `ubus call backsoon status` round trip: the daemon's own ubus object next to the path it
// replaced, where each call started node (`backsoon status --json`, which the rpcd exec plugin
// ran per call), in one run on one ubusd. Needs `make build` (dist/backsoon.js) and
// `make openwrt-host` (ubusd, ubus, rpcd). Run: `npx tsx bench/ubus.ts [calls]`.
//
//   old: backsoon status --json      node started per call, then the control socket
//   old: ubus call (rpcd plugin)     the replaced plugin from git history under the real rpcd:
//                                    ubus CLI -> ubusd -> rpcd -> sh -> node -> control socket
//   new: ubus call backsoon status   ubus CLI -> ubusd -> the daemon
//   new: in-process ubus call        a client already connected (as uhttpd is for LuCI),
//                                    reading the reply into objects
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import type { UbusClient as UbusClientType } from '../src/ubus/client';
import { OPENWRT_HOST, openwrtTool, Ubusd } from '../test/ubusd';
import { loadBundled } from './decode';
import { machineLine, table } from './lab-proc';

const ROOT = resolve(__dirname, '..');
const BUNDLE = join(ROOT, 'dist/backsoon.js');
const CALLS = Number(process.argv[2] ?? 20);
/** The commit whose rpcd exec plugin the daemon's object replaced. */
const OLD_PLUGIN = 'eabd770:board/openwrt/files/usr/libexec/rpcd/backsoon';
const SIZES = [
  { label: 'small report (3 servers, 10 clients each)', servers: 3, clients: 10 },
  { label: 'large report (20 servers, 500 clients each)', servers: 20, clients: 500 },
];

interface Timing { label: string; calls: number; median: number; p90: number; mean: number; bytes: number; failed?: string }

function summary(label: string, ms: number[], bytes: number): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { label, calls: ms.length, median: at(0.5), p90: at(0.9), mean: ms.reduce((a, b) => a + b, 0) / ms.length, bytes };
}

/** Runs a command `n` times, one after the other; wall time of each from spawn to exit. */
async function timeCommand(label: string, n: number, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timing> {
  try {
    return await timeRuns(label, n, cmd, args, env);
  } catch (err) {
    return { label, calls: 0, median: NaN, p90: NaN, mean: NaN, bytes: 0, failed: (err as Error).message.split('\n')[0] };
  }
}

async function timeRuns(label: string, n: number, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n + 1; i++) {
    const start = performance.now();
    const out = await new Promise<string>((res, rej) => {
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.on('close', (code) => (code === 0 ? res(stdout) : rej(new Error(`${label}: ${cmd} exited ${code}: ${stderr}`))));
    });
    const took = performance.now() - start;
    if (i > 0) ms.push(took); // the first call warms the page cache
    bytes = out.length;
    if (!out.includes('"outages"')) throw new Error(`${label}: no report in ${out.slice(0, 200)}`);
  }
  return summary(label, ms, bytes);
}

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'make build'`);
  openwrtTool('sbin/rpcd');
  const dir = mkdtempSync(join(tmpdir(), 'bs-bench-ubus-'));
  const children: ChildProcess[] = [];
  const pluginDir = join(OPENWRT_HOST, 'libexec/rpcd');
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(join(pluginDir, 'backsoon-rpcd'), { force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  console.log(machineLine());

  // The bench daemon, bundled as the daemon ships: tsx's module getters would slow every call.
  const daemonJs = join(dir, 'ubus-daemon.js');
  buildSync({ entryPoints: [join(__dirname, 'ubus-daemon.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outfile: daemonJs, logLevel: 'warning', define: { 'import.meta.url': '__url' }, banner: { js: "const __url = require('url').pathToFileURL(__filename).href;" } });

  // The caller in this process too, so neither side pays for tsx's module getters.
  const { UbusClient } = loadBundled<{ UbusClient: typeof UbusClientType }>("export { UbusClient } from './src/ubus/client';");

  const u = await Ubusd.start();
  // The replaced rpcd plugin, run by the real rpcd with `backsoon` meaning the built bundle.
  const old = spawnSync('git', ['-C', ROOT, 'show', OLD_PLUGIN], { encoding: 'utf8' });
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'backsoon'), `#!/bin/sh\nexec '${process.execPath}' '${BUNDLE}' "$@"\n`);
  chmodSync(join(bin, 'backsoon'), 0o755);
  let rpcdReady = false;
  if (old.status === 0) {
    mkdirSync(pluginDir, { recursive: true });
    writeFileSync(join(pluginDir, 'backsoon-rpcd'), old.stdout);
    chmodSync(join(pluginDir, 'backsoon-rpcd'), 0o755);
    rpcdReady = true;
  } else {
    console.log(`(the old rpcd plugin is not in this checkout's history, ${OLD_PLUGIN}: that row is left out)`);
  }

  const rows: Timing[][] = [];
  for (const size of SIZES) {
    const control = join(dir, `control-${size.servers}.sock`);
    const conf = join(dir, `backsoon-${size.servers}.conf`);
    writeFileSync(conf, [
      "config backsoon 'main'", "\tlist interface 'bs-none0'", `\toption state_dir '${dir}/state-${size.servers}'`,
      `\toption control_socket '${control}'`, `\toption ubus_socket '${u.socket}'`, "\toption log_level 'warn'", '',
    ].join('\n'));
    const daemon = spawn(process.execPath, [daemonJs, conf, String(size.servers), String(size.clients)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(daemon);
    await new Promise<void>((res) => daemon.stdout!.once('data', () => res()));
    await u.waitForObject('backsoon');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, BACKSOON_SOCKET: control };
    let rpcd: ChildProcess | null = null;
    if (rpcdReady) {
      rpcd = spawn(openwrtTool('sbin/rpcd'), ['-s', u.socket], { env, stdio: 'ignore' });
      children.push(rpcd);
      await u.waitForObject('backsoon-rpcd');
    }
    const ubus = openwrtTool('bin/ubus');
    const timings: Timing[] = [];
    timings.push(await timeCommand('old: backsoon status --json', CALLS, process.execPath, [BUNDLE, 'status', '--json', '--socket', control]));
    if (rpcd) timings.push(await timeCommand('old: ubus call (rpcd plugin)', CALLS, ubus, ['-s', u.socket, 'call', 'backsoon-rpcd', 'status'], env));
    timings.push(await timeCommand('new: ubus call backsoon status', CALLS * 5, ubus, ['-s', u.socket, 'call', 'backsoon', 'status']));

    const client = new UbusClient({ socket: u.socket, log: () => {} });
    client.start();
    // A client with no objects is ready once connected: wait for its hello.
    for (let i = 0; i < 200 && (await client.call('backsoon', 'status')).status !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < CALLS * 25; i++) {
      const start = performance.now();
      const r = await client.call('backsoon', 'status');
      ms.push(performance.now() - start);
      if (r.status !== 0) throw new Error(`in-process call: status ${r.status}`);
      bytes = JSON.stringify(r.data).length; // as compact JSON
    }
    client.stop();
    timings.push(summary('new: in-process ubus call', ms, bytes));
    rows.push(timings);

    console.log(`\n${size.label}`);
    const oldMedian = timings[0].median;
    console.log(table(['path', 'calls', 'median ms', 'p90 ms', 'mean ms', 'bytes printed', 'x faster than node start'],
      timings.map((t) => (t.failed !== undefined ? [t.label, 0, '-', '-', '-', '-', '-']
        : [t.label, t.calls, t.median, t.p90, t.mean, t.bytes, t.label.startsWith('new') ? oldMedian / t.median : 1]))));
    for (const t of timings) if (t.failed !== undefined) console.log(`${t.label} failed: ${t.failed}`);
    rpcd?.kill();
    daemon.kill('SIGTERM');
  }
  console.log(`\nload average at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  await u.stop();
  cleanup();
  process.exit(0);
}

main().catch((err: unknown) => { console.error((err as Error).stack ?? String(err)); process.exit(1); });
