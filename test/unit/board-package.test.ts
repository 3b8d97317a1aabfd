// The OpenWrt feed Makefiles (image/package/*), read with a small parser: the variables and
// defines OpenWrt's package.mk needs, and their recipes run here with the values the SDK would
// give their variables: Build/Prepare + Package/backsoon/install into a temp root (every router
// file lands where it belongs, with its mode), and backsoon-pcap's Build/Compile with the
// host's g++ and node headers, whose output node must load. No OpenWrt SDK runs here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENV, FILES, LUCI, ROOT, requireTool, tempDir } from './board-helpers';

const FEED = join(ROOT, 'image/package');
const dir = tempDir('package');

interface Makefile {
  vars: Map<string, string>;
  defines: Map<string, string[]>;
  /** Top-level lines in order (includes, assignments, evals), comments and defines left out. */
  lines: string[];
}

function readMakefile(path: string): Makefile {
  const vars = new Map<string, string>();
  const defines = new Map<string, string[]>();
  const lines: string[] = [];
  let open: string | null = null;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (open !== null) {
      if (raw === 'endef') open = null;
      else defines.get(open)!.push(raw);
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const define = /^define (\S+)$/.exec(line);
    if (define) { open = define[1]; defines.set(open, []); continue; }
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*(:=|\?=|=)\s*(.*)$/.exec(line);
    if (assign) vars.set(assign[1], assign[3]);
    lines.push(line);
  }
  assert.is(open, null, `${path}: define ${open} has no endef`);
  return { vars, defines, lines };
}

/** Package variables of a define body: `  NAME:=value` lines. */
function packageFields(body: string[]): Map<string, string> {
  return new Map(body.map((l) => /^\s*([A-Z_]+):=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2].trim()]));
}

/** Expands $(NAME) and $(abspath X) with the Makefile's own variables over `given`. */
function expander(mk: Makefile, given: Record<string, string>) {
  const expand = (text: string): string => {
    let out = text;
    for (let i = 0; i < 20; i++) {
      const next = out
        .replace(/\$\(abspath ([^()]*)\)/g, (_m, p: string) => resolve(p))
        .replace(/\$\(([A-Za-z_][A-Za-z0-9_]*|1)\)/g, (m, name: string) => given[name] ?? mk.vars.get(name) ?? m);
      if (next === out) break;
      out = next;
    }
    return out;
  };
  return expand;
}

/** Runs a recipe as make would: one shell per logical line, '@' silences, $$ is $. */
function runRecipe(body: string[], expand: (s: string) => string): { status: number | null; output: string } {
  const logical = body.join('\n').replace(/\\\n/g, ' ').split('\n').map((l) => l.replace(/^\t/, '').replace(/^@/, '')).filter((l) => l.trim() !== '');
  let output = '';
  for (const line of logical) {
    const command = expand(line).replace(/\$\$/g, '$');
    assert.not.match(command, /\$\(/, `unexpanded variable in: ${command}`);
    const r = spawnSync('sh', ['-ec', command], { encoding: 'utf8', env: ENV, timeout: 120_000 });
    output += r.stdout + r.stderr;
    if (r.status !== 0) return { status: r.status, output };
  }
  return { status: 0, output };
}

// What OpenWrt's rules.mk defines for the recipes (include/rules.mk).
const OPENWRT_TOOLS = {
  CP: 'cp -fpR',
  INSTALL_DIR: 'install -d -m0755',
  INSTALL_BIN: 'install -m0755',
  INSTALL_DATA: 'install -m0644',
  INSTALL_CONF: 'install -m0600',
};

const pkgJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function listFiles(base: string): string[] {
  return readdirSync(base, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(base, e.name)).map((f) => `${e.name}/${f}`) : [e.name]);
}

// ---- backsoon ------------------------------------------------------------------------------

const backsoonDir = join(FEED, 'backsoon');
const backsoon = readMakefile(join(backsoonDir, 'Makefile'));

test('backsoon: rules.mk, the PKG_ variables, package.mk, then one BuildPackage, in that order', () => {
  const at = (pattern: RegExp) => backsoon.lines.findIndex((l) => pattern.test(l));
  assert.is(at(/^include \$\(TOPDIR\)\/rules\.mk$/), 0);
  for (const name of ['PKG_NAME', 'PKG_VERSION', 'PKG_RELEASE', 'PKG_LICENSE', 'PKG_MAINTAINER']) {
    assert.ok(at(new RegExp(`^${name}:=`)) > 0, `${name} set after rules.mk`);
    assert.ok(at(new RegExp(`^${name}:=`)) < at(/^include \$\(INCLUDE_DIR\)\/package\.mk$/), `${name} set before package.mk`);
  }
  assert.is(backsoon.lines[backsoon.lines.length - 1], '$(eval $(call BuildPackage,backsoon))');
  assert.is(backsoon.vars.get('PKG_NAME'), 'backsoon');
  assert.is(backsoon.vars.get('PKG_VERSION'), pkgJson.version, 'the version of package.json');
  assert.match(backsoon.vars.get('PKG_RELEASE')!, /^[1-9][0-9]*$/);
  assert.is(backsoon.vars.get('PKG_LICENSE'), pkgJson.license, 'the license of package.json');
  assert.match(backsoon.vars.get('PKG_MAINTAINER')!, /^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$/);
});

test('backsoon: Network package, architecture-independent, needing node, libpcap and the target-built binding', () => {
  const fields = packageFields(backsoon.defines.get('Package/backsoon') ?? []);
  assert.is(fields.get('SECTION'), 'net');
  assert.is(fields.get('CATEGORY'), 'Network');
  assert.ok((fields.get('TITLE') ?? '').length > 10);
  assert.is(fields.get('PKGARCH'), 'all');
  const depends = (fields.get('DEPENDS') ?? '').split(/\s+/);
  for (const d of ['+node', '+libpcap', '+backsoon-pcap', '+ip-full']) assert.ok(depends.includes(d), `DEPENDS has ${d}`);
  assert.ok((backsoon.defines.get('Package/backsoon/description') ?? []).join(' ').trim().length > 50);
  assert.equal(backsoon.defines.get('Package/backsoon/conffiles'), ['/etc/config/backsoon']);
  assert.equal(backsoon.defines.get('Build/Compile'), [], 'nothing to compile: the bundle is prebuilt');
});

test('backsoon: the bundle it packs is what `make build` makes', () => {
  const top = readFileSync(join(ROOT, 'Makefile'), 'utf8');
  assert.match(top, /--outfile=dist\/backsoon\.js/);
  assert.match(top, /dist\/quickjs\.wasm/);
  // The addon keeps its own name beside the bundle: backsoon-pcap installs it under that name.
  assert.match(top, /--loader:\.node=copy --asset-names=\[name\]/);
  assert.match(readFileSync(join(ROOT, 'node_modules/pcap/binding.gyp'), 'utf8'), /"target_name": "pcap_binding"/);
});

/** Runs Build/Prepare and Package/backsoon/install the way the SDK would, into root. */
function installBacksoon(dist: string, root: string) {
  const build = join(dir, `build-${relative(dir, root).replace(/\W/g, '')}`);
  const expand = expander(backsoon, {
    ...OPENWRT_TOOLS, TOPDIR: '/openwrt', INCLUDE_DIR: '/openwrt/include', CURDIR: backsoonDir,
    PKG_BUILD_DIR: build, BACKSOON_DIST: dist, 1: root,
  });
  const prepare = runRecipe(backsoon.defines.get('Build/Prepare')!, expand);
  if (prepare.status !== 0) return prepare;
  return runRecipe(backsoon.defines.get('Package/backsoon/install')!, expand);
}

test('backsoon: installed, every router file is where OpenWrt looks for it, the same bytes, with its mode', () => {
  // The bundle's files, as `make build` names them; their content does not matter here.
  const dist = join(dir, 'dist');
  mkdirSync(dist);
  writeFileSync(join(dist, 'backsoon.js'), '// bundle\n');
  writeFileSync(join(dist, 'quickjs.wasm'), 'wasm');
  const root = join(dir, 'root');
  const r = installBacksoon(dist, root);
  assert.is(r.status, 0, r.output);

  const installed = listFiles(root).sort();
  const fromBoard = listFiles(FILES).sort();
  assert.equal(installed, [...fromBoard, 'usr/lib/backsoon/backsoon.js', 'usr/lib/backsoon/quickjs.wasm'].sort(),
    'every file of board/openwrt/files, and the bundle');
  for (const f of fromBoard) assert.ok(readFileSync(join(root, f)).equals(readFileSync(join(FILES, f))), `${f}: same content`);

  const mode = (f: string) => (statSync(join(root, f)).mode & 0o777).toString(8);
  assert.is(mode('etc/init.d/backsoon'), '755');
  assert.is(mode('usr/bin/backsoon'), '755');
  assert.is(mode('etc/config/backsoon'), '600', 'the file may hold SMTP and SNMP secrets');
  assert.is(mode('usr/share/rpcd/acl.d/backsoon.json'), '644');
  assert.is(mode('usr/lib/backsoon/backsoon.js'), '644');
  // The tree's own copies are executable too (git keeps the bit), for the image build and the tests.
  for (const f of ['etc/init.d/backsoon', 'usr/bin/backsoon']) {
    assert.ok(statSync(join(FILES, f)).mode & 0o100, `board/openwrt/files/${f} is executable`);
  }
});

test('backsoon: without `make build` first, Build/Prepare stops and says what to run', () => {
  const empty = join(dir, 'no-dist');
  mkdirSync(empty);
  const r = installBacksoon(empty, join(dir, 'root-no-dist'));
  assert.is.not(r.status, 0);
  assert.match(r.output, /backsoon: .*no-dist\/backsoon\.js is missing: run 'make build' in .* first/);
});

// ---- backsoon-pcap ---------------------------------------------------------------------------

const pcapDir = join(FEED, 'backsoon-pcap');
const pcap = readMakefile(join(pcapDir, 'Makefile'));

test('backsoon-pcap: node-pcap version and license, built for the target (no PKGARCH), installed where the bundle loads it', () => {
  const nodePcap = JSON.parse(readFileSync(join(ROOT, 'node_modules/pcap/package.json'), 'utf8'));
  assert.is(pcap.vars.get('PKG_NAME'), 'backsoon-pcap');
  assert.is(pcap.vars.get('PKG_VERSION'), nodePcap.version);
  assert.is(pcap.vars.get('PKG_VERSION'), pkgJson.dependencies.pcap);
  assert.is(pcap.vars.get('PKG_LICENSE'), nodePcap.license);
  assert.is(pcap.lines[0], 'include $(TOPDIR)/rules.mk');
  assert.is(pcap.lines[pcap.lines.length - 1], '$(eval $(call BuildPackage,backsoon-pcap))');
  const fields = packageFields(pcap.defines.get('Package/backsoon-pcap') ?? []);
  assert.is(fields.get('PKGARCH'), undefined, 'a compiled addon is not architecture-independent');
  assert.ok((fields.get('DEPENDS') ?? '').split(/\s+/).includes('+libpcap'));
  assert.match(pcap.defines.get('Package/backsoon-pcap/install')!.join('\n'),
    /\$\(PKG_BUILD_DIR\)\/pcap_binding\.node \$\(1\)\/usr\/lib\/backsoon\/pcap_binding\.node/);
});

test('backsoon-pcap: its Build/Prepare and Build/Compile, run with the host g++, make an addon node loads', () => {
  const gxx = requireTool('g++', 'g++', 'It compiles the pcap addon as the SDK cross compiler would.');
  // The node headers npm's node-gyp built node-pcap against (make deps), as the SDK's would be.
  const gypi = readFileSync(join(ROOT, 'node_modules/pcap/build/config.gypi'), 'utf8');
  const nodedir = /"nodedir": "([^"]+)"/.exec(gypi)?.[1];
  assert.ok(nodedir && existsSync(join(nodedir, 'include/node/node.h')), `node headers not found under ${nodedir}/include/node`);
  const build = join(dir, 'pcap-build');
  const expand = expander(pcap, {
    ...OPENWRT_TOOLS, TOPDIR: '/openwrt', INCLUDE_DIR: '/openwrt/include', CURDIR: pcapDir, PKG_BUILD_DIR: build,
    NODE_HEADERS: join(nodedir, 'include/node'),
    TARGET_CXX: gxx, TARGET_CPPFLAGS: '', TARGET_CXXFLAGS: '-O0 -w', FPIC: '-fPIC', TARGET_LDFLAGS: '',
  });
  const prepare = runRecipe(pcap.defines.get('Build/Prepare')!, expand);
  assert.is(prepare.status, 0, prepare.output);
  const compile = runRecipe(pcap.defines.get('Build/Compile')!, expand);
  assert.is(compile.status, 0, compile.output);
  const load = spawnSync(process.execPath, ['-e',
    `const b = require(${JSON.stringify(join(build, 'pcap_binding.node'))}); console.log(Object.keys(b).sort().join(' '), '|', b.lib_version());`],
  { encoding: 'utf8', env: ENV });
  assert.is(load.status, 0, load.stderr);
  assert.match(load.stdout, /^PcapSession default_device findalldevs lib_version \| libpcap version \d/);
});

test('backsoon-pcap: without node headers, Build/Compile stops and says what to set', () => {
  const expand = expander(pcap, {
    ...OPENWRT_TOOLS, CURDIR: pcapDir, PKG_BUILD_DIR: join(dir, 'pcap-build-2'), NODE_HEADERS: join(dir, 'nowhere'),
    TARGET_CXX: 'false', TARGET_CPPFLAGS: '', TARGET_CXXFLAGS: '', FPIC: '', TARGET_LDFLAGS: '',
  });
  const r = runRecipe(pcap.defines.get('Build/Compile')!, expand);
  assert.is.not(r.status, 0);
  assert.match(r.output, /nowhere\/node\.h is missing: set NODE_HEADERS to the include\/node directory of the node your router runs/);
});

// ---- luci-app-backsoon -----------------------------------------------------------------------

test('luci-app-backsoon: a luci.mk package whose htdocs and root are the LuCI sources of board/openwrt/luci', () => {
  const luciDir = join(FEED, 'luci-app-backsoon');
  const mk = readMakefile(join(luciDir, 'Makefile'));
  assert.is(mk.lines[0], 'include $(TOPDIR)/rules.mk');
  assert.is(mk.lines[mk.lines.length - 1], 'include $(TOPDIR)/feeds/luci/luci.mk');
  assert.ok((mk.vars.get('LUCI_TITLE') ?? '').length > 5);
  const depends = (mk.vars.get('LUCI_DEPENDS') ?? '').split(/\s+/);
  assert.ok(depends.includes('+luci-base') && depends.includes('+backsoon'));
  assert.is(mk.vars.get('LUCI_PKGARCH'), 'all');
  // luci.mk copies ./htdocs and ./root of the package directory.
  assert.is(realpathSync(join(luciDir, 'htdocs')), realpathSync(join(LUCI, 'htdocs')));
  assert.is(realpathSync(join(luciDir, 'root')), realpathSync(join(LUCI, 'root')));
  assert.equal(listFiles(join(luciDir, 'htdocs')).sort(), ['luci-static/resources/view/backsoon/settings.js', 'luci-static/resources/view/backsoon/status.js']);
  assert.equal(listFiles(join(luciDir, 'root')).sort(), ['usr/share/luci/menu.d/luci-app-backsoon.json', 'usr/share/rpcd/acl.d/luci-app-backsoon.json']);
});

test.run();
