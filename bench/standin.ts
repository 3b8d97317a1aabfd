// The stand-in page under load, next to nginx serving a static page of the same size, in the
// same run, both on 127.0.0.1: requests/s (wrk, 5 s each, 1 thread, 16 connections, every
// request on a new connection as the stand-in answers "Connection: close"), and time to first
// byte of single requests one after another. The stand-in runs in a child process, so the
// measuring client does not share its event loop. Needs wrk and nginx (Debian: wrk nginx-light).
//   npx tsx bench/standin.ts [SECONDS]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIp } from '../src/net/ip';
import { defaultEngineOptions, Engine } from '../src/engine/engine';
import { engineCallbacks } from '../src/standin/engine-callbacks';
import { StandIn } from '../src/standin/standin';

const STANDIN_PORT = 18480;
const NGINX_PORT = 18580;
const SERVER = parseIp('198.51.100.10')!;
const TTFB_REQUESTS = 300;

/** Child mode: the stand-in for one down server, on 127.0.0.1:STANDIN_PORT, until killed. */
async function serve(): Promise<void> {
  const engine = new Engine(defaultEngineOptions, () => undefined);
  const now = () => Date.now() / 1000;
  engine.markDown(now() - 754, SERVER, 'neigh-failed');
  const standin = new StandIn({
    servers: [{ address: SERVER, name: 'www.example.test', ports: [80] }],
    settings: { nftables: false, listenAddress: '127.0.0.1', portBase: STANDIN_PORT, portCount: 1, maxClientConnections: 256 },
    callbacks: engineCallbacks(engine, { serverName: () => 'www.example.test', now, log: () => undefined }),
  });
  await standin.start();
  process.stdout.write('ready\n');
}

function waitForLine(child: ChildProcess, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { seen += d; if (seen.includes(word)) resolve(); });
    child.on('exit', (code) => reject(new Error(`the stand-in child exited ${code} before it was ready`)));
  });
}

/** Time to first byte of one GET on a new connection, in milliseconds. */
function ttfb(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let start = 0n;
    socket.once('connect', () => {
      start = process.hrtime.bigint();
      socket.write('GET /index.html HTTP/1.1\r\nHost: 198.51.100.10\r\nConnection: close\r\n\r\n');
    });
    socket.once('data', () => {
      resolve(Number(process.hrtime.bigint() - start) / 1e6);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function ttfbSeries(port: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await ttfb(port); // warm-up
  const times: number[] = [];
  for (let i = 0; i < TTFB_REQUESTS; i++) times.push(await ttfb(port));
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

interface WrkResult { rps: number; p50: string; p99: string; errors: string }

function wrk(port: number, seconds: number, keepAlive: boolean): WrkResult {
  const args = ['-t1', '-c16', `-d${seconds}s`, '--latency', ...(keepAlive ? [] : ['-H', 'Connection: close']), `http://127.0.0.1:${port}/index.html`];
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? NaN);
  const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? 'none';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  return { rps, p50: pct('50'), p99: pct('99'), errors: errors + (non2xx ? `; ${non2xx} non-2xx (the page is a 503)` : '') };
}

async function fetchBody(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text.slice(text.indexOf('\r\n\r\n') + 4)));
    socket.on('error', reject);
  });
}

function startNginx(dir: string, page: string): ChildProcess {
  writeFileSync(join(dir, 'index.html'), page);
  // One process (no master): killing it leaves no worker behind holding the port.
  const conf = `master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${NGINX_PORT};
    root ${dir};
    location / { add_header Cache-Control no-store; default_type "text/html; charset=utf-8"; }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  chmodSync(dir, 0o755);
  return spawn('nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('connect', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 5 s`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'bs-st-bench-'));
  const children: ChildProcess[] = [];
  const cleanup = () => { for (const c of children) c.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  process.on('exit', cleanup);
  process.on('SIGINT', () => process.exit(130));
  const standin = spawn(process.execPath, ['--import', 'tsx', __filename, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(standin);
  await waitForLine(standin, 'ready');
  const page = await fetchBody(STANDIN_PORT);
  const nginx = startNginx(dir, page);
  children.push(nginx);
  await waitForPort(NGINX_PORT);
  const copy = await fetchBody(NGINX_PORT);
  if (copy !== page) throw new Error(`nginx on port ${NGINX_PORT} does not serve the copy of the page (another server on that port?)`);

  const rows: [string, WrkResult, { p50: number; p99: number }][] = [];
  rows.push(['stand-in (node, new connection each)', wrk(STANDIN_PORT, seconds, false), await ttfbSeries(STANDIN_PORT)]);
  rows.push(['nginx static, new connection each', wrk(NGINX_PORT, seconds, false), await ttfbSeries(NGINX_PORT)]);
  rows.push(['nginx static, keep-alive (reference)', wrk(NGINX_PORT, seconds, true), { p50: NaN, p99: NaN }]);

  console.log(`page: ${Buffer.byteLength(page)} bytes; wrk -t1 -c16 -d${seconds}s on 127.0.0.1; TTFB: ${TTFB_REQUESTS} sequential GETs, new connection each`);
  console.log('| server | requests/s | latency p50 | latency p99 | TTFB p50 | TTFB p99 | socket errors |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const [name, w, t] of rows) {
    const ms = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(2)} ms`);
    console.log(`| ${name} | ${w.rps.toFixed(0)} | ${w.p50} | ${w.p99} | ${ms(t.p50)} | ${ms(t.p99)} | ${w.errors} |`);
  }
}

if (process.argv[2] === 'serve') {
  serve().catch((err: Error) => { process.stderr.write(`${err.stack}\n`); process.exit(1); });
} else {
  main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`bench/standin: ${err.stack ?? err.message}\n`); process.exit(1); });
}
