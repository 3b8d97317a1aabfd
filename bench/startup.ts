// Wall time of the short commands an operator, rpcd or the init script runs (one node start
// each) next to `node -e 0`, for each bundle in BENCH_BUNDLES, against a running daemon: the
// Daemon with its control socket and no captures (bench/ubus-daemon.ts, no root needed), 3 down
// servers with 10 waiting clients each. The bundles take turns run by run, so load drifts hit
// both alike; the first round only warms the page cache.
//
// Env: BENCH_BUNDLES (default "this=dist/backsoon.js"; e.g.
// "before=/tmp/main-dist/backsoon.js,after=dist/backsoon.js"), BENCH_RUNS (default 21).
// Run: `npx tsx bench/startup.ts`. Start -> "backsoon ready" needs a capture, so root:
// bench/lab-footprint.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import { loadAverage, machineLine, table } from './lab-proc';

const ROOT = resolve(__dirname, '..');
const bundles = (process.env.BENCH_BUNDLES ?? `this=${join(ROOT, 'dist/backsoon.js')}`).split(',').map((pair) => {
  const [name, file] = pair.split('=');
  return { name, file: resolve(file) };
});
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

/** Wall time of one run from spawn to exit, ms; throws when the exit code is not `expect`. */
function timeOnce(argv: string[], expect: number): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  return new Promise((res, rej) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code) => {
      const ms = performance.now() - start;
      if (code === expect) res({ ms, stdout });
      else rej(new Error(`${argv.join(' ')}: exit ${code}, expected ${expect}: ${stderr}`));
    });
  });
}

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-bench-startup-'));
  let daemon: ReturnType<typeof spawn> | null = null;
  const cleanup = () => { daemon?.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  process.on('exit', cleanup);
  console.log(machineLine());

  const daemonJs = join(dir, 'ubus-daemon.js');
  buildSync({ entryPoints: [join(__dirname, 'ubus-daemon.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outfile: daemonJs, logLevel: 'warning', define: { 'import.meta.url': '__url', __BACKSOON_VERSION__: '"bench"' }, banner: { js: "const __url = require('url').pathToFileURL(__filename).href;" } });
  const socket = join(dir, 'control.sock');
  const conf = join(dir, 'backsoon.conf');
  writeFileSync(conf, ["config backsoon 'main'", "\tlist interface 'bs-none0'", `\toption state_dir '${dir}/state'`,
    `\toption control_socket '${socket}'`, "\toption log_level 'warn'", ''].join('\n'));
  daemon = spawn(process.execPath, [daemonJs, conf, '3', '10', 'no-ubus'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => daemon!.stdout!.once('data', () => res()));

  // `config check` exits as the file makes it (bs-none0 does not exist here): the same for every bundle.
  const checkCode = spawnSync(process.execPath, [bundles[0].file, 'config', 'check', conf]).status ?? -1;
  const commands: { label: string; args: (file: string) => string[]; expect: number }[] = [
    { label: 'node -e 0', args: () => ['-e', '0'], expect: 0 },
    { label: 'backsoon --version', args: (f) => [f, '--version'], expect: 0 },
    { label: 'backsoon status', args: (f) => [f, 'status', '--socket', socket], expect: 0 },
    { label: 'backsoon status --json', args: (f) => [f, 'status', '--json', '--socket', socket], expect: 0 },
    { label: 'backsoon metrics', args: (f) => [f, 'metrics', '--socket', socket], expect: 0 },
    { label: 'backsoon config check', args: (f) => [f, 'config', 'check', conf], expect: checkCode },
    { label: 'backsoon replay --help (daemon\'s modules)', args: (f) => [f, 'replay', '--help'], expect: 0 },
  ];

  const loadAtStart = loadAverage();
  const rows: (string | number)[][] = [];
  const sameOutput: string[] = [];
  for (const c of commands) {
    const ms = bundles.map(() => [] as number[]);
    const outputs = bundles.map(() => '');
    for (let run = 0; run <= RUNS; run++) {
      for (const [i, b] of bundles.entries()) {
        const r = await timeOnce([process.execPath, ...c.args(b.file)], c.expect);
        if (run > 0) ms[i].push(r.ms);
        // The report's clock and uptime move between runs; the rest must read the same.
        outputs[i] = r.stdout.replace(/\d+(\.\d+)?/g, 'N');
      }
    }
    if (c.label !== 'node -e 0' && bundles.length > 1) sameOutput.push(`${c.label}: ${outputs.every((o) => o === outputs[0]) ? 'same' : 'DIFFERENT'}`);
    rows.push([c.label, ...ms.map((m) => Math.round(median(m))), ...(bundles.length > 1 ? [`${Math.round(median(ms[0]) - median(ms[ms.length - 1]))}`] : [])]);
  }
  console.log('');
  console.log(table(['command', ...bundles.map((b) => `${b.name} ms (median of ${RUNS})`), ...(bundles.length > 1 ? [`${bundles[0].name} - ${bundles[bundles.length - 1].name} ms`] : [])], rows));
  console.log('');
  if (sameOutput.length > 0) console.log(`output (digits masked): ${sameOutput.join('; ')}`);
  console.log(`load average: at start ${loadAtStart}, at end ${loadAverage()}`);
  daemon.kill('SIGTERM');
}

main().then(() => process.exit(0), (err: unknown) => { console.error((err as Error).stack ?? String(err)); process.exit(1); });
