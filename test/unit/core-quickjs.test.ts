// The shipped core bundle (dist/backsoon-core.js, as `make build` writes it) on QuickJS: a
// recorded kernel capture through decoders and engine must give exactly the decisions the
// sources give on Node.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { replayCapture } from '../../src/core';

const root = join(__dirname, '..', '..');
const BUNDLE = join(root, 'dist', 'backsoon-core.js');

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => {
    const path = join(dir, e.name);
    return Math.max(newest, e.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);
}

/** The bundle as shipped; refused when missing or older than the sources it is built from. */
function coreBundle(): string {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run 'make build'`);
  assert.ok(statSync(BUNDLE).mtimeMs >= newestSource(join(root, 'src')), `${BUNDLE} is older than src/: run 'make build'`);
  return readFileSync(BUNDLE, 'utf8');
}

const FIXTURES = ['outage-any.pcap', 'outage-client-side.pcap', 'silent-service.pcap', 'icmp-cached.pcap'];

test('the core bundle reaches no Node API', () => {
  const code = coreBundle();
  assert.not.match(code, /require\(|process\.|Buffer\.|node:/);
});

test('recorded outages through the core on QuickJS: the same decisions as on Node', async () => {
  const code = coreBundle();
  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant);
  for (const name of FIXTURES) {
    const bytes = readFileSync(join(root, 'test/fixtures', name));
    const hex = bytes.toString('hex');
    const scenario = `
      const hex = ${JSON.stringify(hex)};
      const bytes = new Uint8Array(hex.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
      JSON.stringify(backsoonCore.replayCapture(bytes, { synTimeout: 30 }));`;
    const inNode = JSON.stringify(replayCapture(new Uint8Array(bytes), { synTimeout: 30 }));
    const decisions = JSON.parse(inNode) as { event: string }[];
    assert.ok(decisions.some((d) => d.event === 'down'), `${name}: the scenario decides something`);
    const context = quickjs.newContext();
    try {
      const handle = context.unwrapResult(context.evalCode(`${code};\n${scenario}`));
      const inQuickJs = context.getString(handle);
      handle.dispose();
      assert.is(inQuickJs, inNode, name);
    } finally {
      context.dispose();
    }
  }
});

test.run();
