// Builds the command line's bundle (backsoon.js), the daemon's (backsoon-daemon.js) and net-snmp's
// (backsoon-snmp.js) with esbuild, as `make build` runs it: `node src/bundle.mjs VERSION`.
// The esbuild API rather than its command line for one reason, a plugin: nodemailer's HTTP client
// is replaced by src/notify/nodemailer-fetch-absent.ts (why: that file).
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const version = process.argv[2];
if (!version) {
  process.stderr.write('usage: node src/bundle.mjs VERSION\n');
  process.exit(2);
}

/** nodemailer's shared helpers import their HTTP client as '../fetch/index.js'. */
const nodemailerFetchAbsent = {
  name: 'nodemailer-fetch-absent',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/fetch\/index\.js$/ }, (args) =>
      /[\\/]nodemailer[\\/]dist[\\/]cjs[\\/]shared$/.test(args.resolveDir)
        ? { path: join(root, 'src/notify/nodemailer-fetch-absent.ts') }
        : undefined);
  },
};

await build({
  absWorkingDir: root,
  entryPoints: {
    backsoon: 'src/main.ts',
    'backsoon-daemon': 'src/daemon-entry.ts',
    'backsoon-snmp': 'node_modules/net-snmp/index.js',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir: 'dist',
  loader: { '.node': 'copy' },
  assetNames: '[name]',
  resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.node'],
  logLevel: 'warning',
  define: { 'import.meta.url': '__backsoon_import_meta_url', __BACKSOON_VERSION__: JSON.stringify(version) },
  banner: { js: "const __backsoon_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  plugins: [nodemailerFetchAbsent],
});
