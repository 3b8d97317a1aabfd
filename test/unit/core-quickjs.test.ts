// The core bundle (dist/backsoon-core.js as `make build` writes it) on QuickJS: a recorded
// kernel capture through decoders and engine must give exactly the decisions Node gives.
import { buildSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';

const root = join(__dirname, '..', '..');

function coreBundle(): string {
  // The same flags as the Makefile's dist/backsoon-core.js rule.
  const out = buildSync({
    entryPoints: [join(root, 'src/core.ts')], bundle: true, platform: 'neutral', format: 'iife',
    globalName: 'backsoonCore', target: 'es2020', write: false, logLevel: 'error',
  });
  return out.outputFiles[0].text;
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
    const inNode = new Function(`${code}; return (() => { ${scenario.replace(/JSON\.stringify\((backsoonCore[^;]*)\);\s*$/, 'return JSON.stringify($1);')} })();`)() as string;
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
