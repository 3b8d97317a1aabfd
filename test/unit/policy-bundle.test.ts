// src/main.ts and src/daemon-entry.ts bundled as the Makefile bundles them (esbuild, CJS,
// import.meta.url defined), run from a folder with no node_modules: the policy's thread is the
// daemon's bundle started again, and the engine must come from quickjs.wasm beside the bundles,
// which the build copies there.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bs-policy-bundle-'));
const cleanup = () => rmSync(dir, { recursive: true, force: true });
process.on('exit', cleanup);
test.after(cleanup);

const env = { ...process.env };
delete env.FORCE_COLOR;

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: dir, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

test('the bundle finds quickjs.wasm beside itself, and says what is missing without it', async () => {
  const dist = join(dir, 'dist');
  mkdirSync(dist);
  const bundle = join(dist, 'backsoon.js');
  // The flags of the Makefile's dist/backsoon.js rule: the command line and the daemon's bundle beside it.
  await build({
    entryPoints: { backsoon: join(root, 'src/main.ts'), 'backsoon-daemon': join(root, 'src/daemon-entry.ts') },
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: dist, logLevel: 'warning',
    loader: { '.node': 'copy' }, assetNames: '[name]', resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.node'],
    define: { 'import.meta.url': '__backsoon_import_meta_url' },
    banner: { js: "const __backsoon_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  });
  const policy = join(dir, 'policy.js');
  writeFileSync(policy, 'function contactFor(client) { return client.hostname ? client.hostname + "@example.com" : null; }\n');

  const without = await run(bundle, ['policy', 'test', policy, '--sample']);
  assert.is(without.code, 1);
  assert.match(without.stderr, /quickjs\.wasm was not found \(looked at .*dist\/quickjs\.wasm\)/);

  copyFileSync(join(root, 'node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm'), join(dist, 'quickjs.wasm'));
  // A generous deadline: this is about finding the engine, and the deadline is wall-clock time, which a
  // loaded machine stretches (at load 10 on 2 cores the first call overran the default 50 ms + 200 ms grace).
  const withEngine = await run(bundle, ['policy', 'test', policy, '--sample', '--timeout', '5000']);
  assert.is(withEngine.code, 0, withEngine.stdout + withEngine.stderr);
  assert.match(withEngine.stdout, /-> "anna-laptop@example\.com"/);
  assert.match(withEngine.stdout, /3 calls, 3 ran, 0 failed/);
});

test.run();
