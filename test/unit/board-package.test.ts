// The OpenWrt feed Makefiles (image/package/*), read with a small parser: the variables and
// defines OpenWrt's package.mk needs, and their recipes run here with the values the SDK would
// give their variables, on the release tarball `make release` makes (image/release): its
// unpacking (PKG_UNPACK, or package.mk's default), Package/backsoon/install into a temp root
// (every router file lands where it belongs, with its mode), backsoon-pcap's Build/Compile with
// the host's g++ and node headers, whose output node must load, and luci-app-backsoon's pages.
// The hash `make release` writes is the tarball's. No OpenWrt SDK runs here: what that leaves
// untested is in docs/INSTALL.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRuleset } from '../../src/standin/nft';
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

// What OpenWrt's rules.mk defines for the recipes (include/rules.mk; HOST_TAR: unpack.mk).
const OPENWRT_TOOLS = {
  HOST_TAR: 'tar',
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

// ---- the release tarball ---------------------------------------------------------------------

const VERSION: string = pkgJson.version;
const RELEASE_NAME = `backsoon-${VERSION}`;
const PACKAGES = ['backsoon', 'backsoon-pcap', 'luci-app-backsoon'];

/** Runs image/release into `out` and a copy of the feed in `feed`; returns the tarball's path. */
function makeRelease(out: string, feed: string): string {
  cpSync(FEED, feed, { recursive: true });
  const r = spawnSync(join(ROOT, 'image/release'), ['--out', out, '--feed', feed], { encoding: 'utf8', env: ENV, timeout: 120_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  return join(out, `${RELEASE_NAME}.tar.gz`);
}

const release = makeRelease(join(dir, 'release'), join(dir, 'feed'));
const releaseHash = createHash('sha256').update(readFileSync(release)).digest('hex');
/** The DL_DIR an SDK would have after downloading the release. */
const DL_DIR = join(dir, 'release');

test('make release: the version of package.json and the tarball\'s SHA-256 in all three Makefiles, nothing else changed', () => {
  for (const name of PACKAGES) {
    const committed = readFileSync(join(FEED, name, 'Makefile'), 'utf8').split('\n');
    const written = readFileSync(join(dir, 'feed', name, 'Makefile'), 'utf8').split('\n');
    const mk = readMakefile(join(dir, 'feed', name, 'Makefile'));
    assert.is(mk.vars.get('PKG_VERSION'), VERSION, `${name}: PKG_VERSION`);
    assert.is(mk.vars.get('PKG_HASH'), releaseHash, `${name}: PKG_HASH is the hash of the tarball make release made`);
    assert.is(mk.vars.get('PKG_SOURCE'), 'backsoon-$(PKG_VERSION).tar.gz', `${name}: PKG_SOURCE`);
    assert.match(mk.vars.get('PKG_SOURCE_URL') ?? '', /^https:\/\/\S+\/$/, `${name}: PKG_SOURCE_URL`);
    const changed = written.filter((l, i) => l !== committed[i]);
    assert.ok(changed.every((l) => /^PKG_(VERSION|HASH):=/.test(l)), `${name}: make release changed only PKG_VERSION and PKG_HASH: ${changed.join(' | ')}`);
    assert.is(written.length, committed.length);
  }
});

test('make release: the same tree gives the same bytes (a fixed time, sorted names, owner 0)', () => {
  const again = makeRelease(join(dir, 'release-2'), join(dir, 'feed-2'));
  assert.ok(readFileSync(again).equals(readFileSync(release)), 'two runs, one archive');
  const list = spawnSync('tar', ['-tzvf', release], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.ok(list.every((l) => / 0\/0 /.test(l) && / 2000-01-01 00:00 /.test(l)), list.slice(0, 3).join('\n'));
  const names = list.map((l) => l.split(/\s+/).pop()!);
  assert.ok(names.every((n) => n.startsWith(`${RELEASE_NAME}/`)), 'one top directory, named as package.mk unpacks it');
  assert.ok(!names.some((n) => n.endsWith('.node') || n.endsWith('.map')), 'no addon built for this machine, no source maps');
});

/** Unpacks the release as `unpack` (a PKG_UNPACK command, or package.mk's default) would into build. */
function unpack(mk: Makefile, build: string, given: Record<string, string> = {}) {
  mkdirSync(build, { recursive: true });
  const expand = expander(mk, { ...OPENWRT_TOOLS, DL_DIR, PKG_BUILD_DIR: build, ...given });
  const command = mk.vars.has('PKG_UNPACK')
    ? expand(mk.vars.get('PKG_UNPACK')!)
    : `tar -C ${build}/.. -xzf ${DL_DIR}/${expand(mk.vars.get('PKG_SOURCE')!)}`; // unpack.mk's TAR_CMD
  const r = spawnSync('sh', ['-ec', command], { encoding: 'utf8', env: ENV });
  assert.is(r.status, 0, `${command}: ${r.stderr}`);
}

// ---- backsoon ------------------------------------------------------------------------------

const backsoonDir = join(FEED, 'backsoon');
const backsoon = readMakefile(join(backsoonDir, 'Makefile'));

test('backsoon: rules.mk, the PKG_ variables, package.mk, then one BuildPackage, in that order', () => {
  const at = (pattern: RegExp) => backsoon.lines.findIndex((l) => pattern.test(l));
  assert.is(at(/^include \$\(TOPDIR\)\/rules\.mk$/), 0);
  for (const name of ['PKG_NAME', 'PKG_VERSION', 'PKG_RELEASE', 'PKG_SOURCE', 'PKG_SOURCE_URL', 'PKG_HASH', 'PKG_LICENSE', 'PKG_MAINTAINER']) {
    assert.ok(at(new RegExp(`^${name}:=`)) > 0, `${name} set after rules.mk`);
    assert.ok(at(new RegExp(`^${name}:=`)) < at(/^include \$\(INCLUDE_DIR\)\/package\.mk$/), `${name} set before package.mk`);
  }
  assert.is(backsoon.lines[backsoon.lines.length - 1], '$(eval $(call BuildPackage,backsoon))');
  assert.is(backsoon.vars.get('PKG_NAME'), 'backsoon');
  assert.is(backsoon.vars.get('PKG_VERSION'), VERSION, 'the version of package.json');
  assert.match(backsoon.vars.get('PKG_RELEASE')!, /^[1-9][0-9]*$/);
  assert.match(backsoon.vars.get('PKG_HASH')!, /^[0-9a-f]{64}$/);
  assert.is(backsoon.vars.get('PKG_LICENSE'), pkgJson.license, 'the license of package.json');
  assert.match(backsoon.vars.get('PKG_MAINTAINER')!, /^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$/);
});

test('every feed Makefile is self-contained: nothing read from outside its package directory but OpenWrt\'s and the luci feed\'s includes', () => {
  for (const name of readdirSync(FEED)) {
    const text = readFileSync(join(FEED, name, 'Makefile'), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    assert.not.match(text, /\.\.\//, `${name}/Makefile reaches out of its directory`);
    assert.not.match(text, /CURDIR/, `${name}/Makefile reads files beside it`);
    assert.equal(readdirSync(join(FEED, name)), ['Makefile'], `${name}: the Makefile alone`);
  }
});

/** The DEPENDS of a package definition, one word each (continued lines joined). */
function dependsOf(body: string[]): string[] {
  return (packageFields([body.join('\n').replace(/\\\n\s*/g, ' ')].join('\n').split('\n')).get('DEPENDS') ?? '').split(/\s+/).filter(Boolean);
}

test('backsoon: Network package, architecture-independent, needing node, the binding, and what the stand-in loads', () => {
  const fields = packageFields(backsoon.defines.get('Package/backsoon') ?? []);
  assert.is(fields.get('SECTION'), 'net');
  assert.is(fields.get('CATEGORY'), 'Network');
  assert.ok((fields.get('TITLE') ?? '').length > 10);
  assert.is(fields.get('PKGARCH'), 'all');
  const depends = dependsOf(backsoon.defines.get('Package/backsoon')!);
  for (const d of ['+node', '+libpcap', '+backsoon-pcap', '+ip-full', '+nftables-json', '+conntrack',
    '+kmod-nft-core', '+kmod-nft-nat', '+kmod-nf-conntrack-netlink', '+IPV6:kmod-nf-conntrack6', '+IPV6:kmod-nf-reject6']) {
    assert.ok(depends.includes(d), `DEPENDS has ${d}: ${depends.join(' ')}`);
  }
  assert.ok((backsoon.defines.get('Package/backsoon/description') ?? []).join(' ').trim().length > 50);
  assert.equal(backsoon.defines.get('Package/backsoon/conffiles'), ['/etc/config/backsoon']);
  assert.equal(backsoon.defines.get('Build/Compile'), [], 'nothing to compile: the bundle is prebuilt');
});

test('backsoon: the kernel features its DEPENDS are chosen for are the ones the stand-in\'s table uses', () => {
  // src/standin/nft.ts: redirect (nft_redir, nft_chain_nat), reject with tcp reset (nft_reject_inet),
  // ct status (nft_ct), maps of concatenations (nf_tables); conntrack -D (ctnetlink).
  // IPv6 servers: the same features over ip6 (nf_conntrack6, nf_reject6 under +IPV6).
  const nft = buildRuleset([], { first: 20000, last: 20015 });
  const used = ['type nat hook prerouting', 'redirect to :', 'reject with tcp reset', 'ct status',
    'type ipv4_addr . inet_service', 'type ipv6_addr . inet_service'];
  for (const u of used) assert.match(nft, u, `the stand-in's table uses ${u}`);
  assert.not.match(nft, /tproxy|socket|masquerade|queue/, 'a feature without a listed kernel module');
  assert.match(readFileSync(join(ROOT, 'src/standin/conntrack.ts'), 'utf8'), /spawn\('conntrack', \['-D'/);
});

test('backsoon: the bundle it packs is what `make build` makes', () => {
  const top = readFileSync(join(ROOT, 'Makefile'), 'utf8');
  const bundle = readFileSync(join(ROOT, 'src/bundle.mjs'), 'utf8');
  assert.match(top, /\n\tnode src\/bundle\.mjs /, 'make build runs src/bundle.mjs');
  // The command line and the daemon's modules, two bundles side by side in dist/.
  assert.match(bundle, /backsoon: 'src\/main\.ts',\s+'backsoon-daemon': 'src\/daemon-entry\.ts',/);
  assert.match(bundle, /outdir: 'dist',/);
  assert.match(top, /dist\/quickjs\.wasm/);
  // The addon keeps its own name beside the bundle: backsoon-pcap installs it under that name.
  assert.match(bundle, /loader: \{ '\.node': 'copy' \},\s+assetNames: '\[name\]',/);
  assert.match(readFileSync(join(ROOT, 'node_modules/pcap/binding.gyp'), 'utf8'), /"target_name": "pcap_binding"/);
});

test('backsoon: unpacked from the release and installed, every router file is where OpenWrt looks for it, the same bytes, with its mode', () => {
  const build = join(dir, 'build', RELEASE_NAME);
  unpack(backsoon, build);
  const root = join(dir, 'root');
  const expand = expander(backsoon, { ...OPENWRT_TOOLS, TOPDIR: '/openwrt', INCLUDE_DIR: '/openwrt/include', PKG_BUILD_DIR: build, 1: root });
  const r = runRecipe(backsoon.defines.get('Package/backsoon/install')!, expand);
  assert.is(r.status, 0, r.output);

  const installed = listFiles(root).sort();
  const fromBoard = listFiles(FILES).sort();
  const bundle = readdirSync(join(ROOT, 'dist')).filter((f) => !f.endsWith('.node') && !f.endsWith('.map')).map((f) => `usr/lib/backsoon/${f}`);
  for (const f of ['backsoon.js', 'backsoon-daemon.js', 'quickjs.wasm']) assert.ok(bundle.includes(`usr/lib/backsoon/${f}`), f);
  assert.equal(installed, [...fromBoard, ...bundle].sort(), 'every file of board/openwrt/files, and the bundle');
  for (const f of fromBoard) assert.ok(readFileSync(join(root, f)).equals(readFileSync(join(FILES, f))), `${f}: same content`);
  for (const f of ['backsoon.js', 'backsoon-daemon.js']) assert.ok(readFileSync(join(root, 'usr/lib/backsoon', f)).equals(readFileSync(join(ROOT, 'dist', f))), f);

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

// ---- backsoon-pcap ---------------------------------------------------------------------------

const pcapDir = join(FEED, 'backsoon-pcap');
const pcap = readMakefile(join(pcapDir, 'Makefile'));

test('backsoon-pcap: built for the target (no PKGARCH) from the release, against the headers of the node package selected, installed where the bundle loads it', () => {
  const nodePcap = JSON.parse(readFileSync(join(ROOT, 'node_modules/pcap/package.json'), 'utf8'));
  assert.is(nodePcap.version, pkgJson.dependencies.pcap, 'the release carries the node-pcap that package.json pins');
  assert.is(pcap.vars.get('PKG_NAME'), 'backsoon-pcap');
  assert.is(pcap.vars.get('PKG_VERSION'), VERSION);
  assert.is(pcap.vars.get('PKG_HASH'), backsoon.vars.get('PKG_HASH'), 'the same release tarball as backsoon');
  assert.is(pcap.vars.get('PKG_LICENSE'), nodePcap.license);
  assert.is(pcap.vars.get('PKG_BUILD_DEPENDS'), 'PACKAGE_node:node PACKAGE_node-musl:node-musl');
  assert.is(pcap.vars.get('NODE_HEADERS'), '$(STAGING_DIR)/usr/include/node', 'where node\'s Build/InstallDev puts them');
  assert.is(pcap.lines[0], 'include $(TOPDIR)/rules.mk');
  assert.is(pcap.lines[pcap.lines.length - 1], '$(eval $(call BuildPackage,backsoon-pcap))');
  const fields = packageFields(pcap.defines.get('Package/backsoon-pcap') ?? []);
  assert.is(fields.get('PKGARCH'), undefined, 'a compiled addon is not architecture-independent');
  assert.equal(dependsOf(pcap.defines.get('Package/backsoon-pcap')!), ['+node', '+libpcap', '+libstdcpp']);
  assert.match(pcap.defines.get('Package/backsoon-pcap/install')!.join('\n'),
    /\$\(PKG_BUILD_DIR\)\/pcap_binding\.node \$\(1\)\/usr\/lib\/backsoon\/pcap_binding\.node/);
});

/** A staging directory whose usr/include/node is the host node's headers, as node's InstallDev leaves it. */
function staging(): string {
  const gypi = readFileSync(join(ROOT, 'node_modules/pcap/build/config.gypi'), 'utf8');
  const nodedir = /"nodedir": "([^"]+)"/.exec(gypi)?.[1];
  assert.ok(nodedir && existsSync(join(nodedir, 'include/node/node.h')), `node headers not found under ${nodedir}/include/node`);
  const stagingDir = join(dir, 'staging');
  if (!existsSync(stagingDir)) {
    mkdirSync(join(stagingDir, 'usr/include'), { recursive: true });
    symlinkSync(join(nodedir, 'include/node'), join(stagingDir, 'usr/include/node'));
  }
  return stagingDir;
}

test('backsoon-pcap: unpacked from the release, its Build/Compile run with the host g++ makes an addon node loads', () => {
  const gxx = requireTool('g++', 'g++', 'It compiles the pcap addon as the SDK cross compiler would.');
  const build = join(dir, 'pcap-build');
  unpack(pcap, build);
  const expand = expander(pcap, {
    ...OPENWRT_TOOLS, TOPDIR: '/openwrt', INCLUDE_DIR: '/openwrt/include', PKG_BUILD_DIR: build, STAGING_DIR: staging(),
    TARGET_CXX: gxx, TARGET_CPPFLAGS: '', TARGET_CXXFLAGS: '-O0 -w', FPIC: '-fPIC', TARGET_LDFLAGS: '',
  });
  const compile = runRecipe(pcap.defines.get('Build/Compile')!, expand);
  assert.is(compile.status, 0, compile.output);
  const load = spawnSync(process.execPath, ['-e',
    `const b = require(${JSON.stringify(join(build, 'pcap_binding.node'))}); console.log(Object.keys(b).sort().join(' '), '|', b.lib_version());`],
  { encoding: 'utf8', env: ENV });
  assert.is(load.status, 0, load.stderr);
  assert.match(load.stdout, /^PcapSession default_device findalldevs lib_version \| libpcap version \d/);
});

test('backsoon-pcap: without node headers in staging, Build/Compile stops and says what is missing', () => {
  const expand = expander(pcap, {
    ...OPENWRT_TOOLS, PKG_BUILD_DIR: join(dir, 'pcap-build-2'), STAGING_DIR: join(dir, 'nowhere'),
    TARGET_CXX: 'false', TARGET_CPPFLAGS: '', TARGET_CXXFLAGS: '', FPIC: '', TARGET_LDFLAGS: '',
  });
  const r = runRecipe(pcap.defines.get('Build/Compile')!, expand);
  assert.is.not(r.status, 0);
  assert.match(r.output, /nowhere\/usr\/include\/node\/node\.h is missing: the node package selected for the router must install its headers there/);
});

// ---- luci-app-backsoon -----------------------------------------------------------------------

test('luci-app-backsoon: a luci.mk package whose htdocs and root come from the release: the LuCI sources of board/openwrt/luci', () => {
  const mk = readMakefile(join(FEED, 'luci-app-backsoon', 'Makefile'));
  assert.is(mk.lines[0], 'include $(TOPDIR)/rules.mk');
  assert.is(mk.lines[mk.lines.length - 1], 'include $(TOPDIR)/feeds/luci/luci.mk');
  assert.ok((mk.vars.get('LUCI_TITLE') ?? '').length > 5);
  const depends = (mk.vars.get('LUCI_DEPENDS') ?? '').split(/\s+/);
  assert.ok(depends.includes('+luci-base') && depends.includes('+backsoon'));
  assert.is(mk.vars.get('LUCI_PKGARCH'), 'all');
  assert.is(mk.vars.get('PKG_VERSION'), VERSION);
  assert.is(mk.vars.get('PKG_HASH'), backsoon.vars.get('PKG_HASH'), 'the same release tarball as backsoon');
  // luci.mk installs htdocs/ and root/ of the build directory (PKG_BUILD_DIR is $(BUILD_DIR)/$(PKG_NAME)).
  const build = join(dir, 'luci-build');
  unpack(mk, build);
  assert.equal(readdirSync(build).sort(), ['htdocs', 'root']);
  for (const d of ['htdocs', 'root']) {
    assert.equal(listFiles(join(build, d)).sort(), listFiles(join(LUCI, d)).sort());
    for (const f of listFiles(join(LUCI, d))) assert.ok(readFileSync(join(build, d, f)).equals(readFileSync(join(LUCI, d, f))), `${d}/${f}: same content`);
  }
  assert.equal(listFiles(join(build, 'htdocs')).sort(), ['luci-static/resources/view/backsoon/settings.js', 'luci-static/resources/view/backsoon/status.js']);
});

// ---- node-musl -------------------------------------------------------------------------------

test('node-musl: the pinned musl build of node, repackaged for x86_64, providing node, its headers for addons', () => {
  const mk = readMakefile(join(FEED, 'node-musl', 'Makefile'));
  assert.match(mk.vars.get('PKG_VERSION')!, /^(2[2-9]|[3-9]\d)\.\d+\.\d+$/, 'node 22 or later (20 reached its end of life)');
  assert.is(mk.vars.get('PKG_SOURCE'), 'node-v$(PKG_VERSION)-linux-$(NODE_MUSL_ARCH)-musl.tar.xz');
  assert.is(mk.vars.get('PKG_SOURCE_URL'), 'https://unofficial-builds.nodejs.org/download/release/v$(PKG_VERSION)/');
  assert.match(mk.vars.get('NODE_MUSL_HASH_x64')!, /^[0-9a-f]{64}$/);
  const fields = packageFields(mk.defines.get('Package/node-musl')!);
  assert.is(fields.get('PROVIDES'), 'node');
  assert.is(fields.get('CONFLICTS'), 'node', 'both install /usr/bin/node');
  const depends = dependsOf(mk.defines.get('Package/node-musl')!);
  assert.equal(depends, ['@x86_64', '+libstdcpp', '+libgcc'], 'x86_64 only: the one architecture with a pinned hash');
  for (const arch of depends.filter((d) => d.startsWith('@')).map((d) => d.slice(1))) {
    const npmArch = arch.replace('x86_64', 'x64').replace('aarch64', 'arm64');
    assert.ok(mk.vars.has(`NODE_MUSL_HASH_${npmArch}`), `a hash for every architecture offered: ${npmArch}`);
  }

  // The recipes on an archive of upstream's layout (a stand-in: the real one is not reachable here).
  const version = mk.vars.get('PKG_VERSION')!;
  const top = `node-v${version}-linux-x64-musl`;
  const upstream = join(dir, 'node-musl-upstream', top);
  mkdirSync(join(upstream, 'bin'), { recursive: true });
  mkdirSync(join(upstream, 'include/node'), { recursive: true });
  writeFileSync(join(upstream, 'bin/node'), '#!/bin/sh\n');
  writeFileSync(join(upstream, 'include/node/node.h'), '/* stand-in */\n');
  const dl = join(dir, 'node-musl-dl');
  mkdirSync(dl);
  const packed = spawnSync('sh', ['-ec', `tar -C ${join(upstream, '..')} -cJf ${dl}/${top}.tar.xz ${top}`], { encoding: 'utf8' });
  assert.is(packed.status, 0, packed.stderr);
  const build = join(dir, 'node-musl-build');
  mkdirSync(build);
  // What make's $(subst) gives for ARCH x86_64 (the parser here does not run functions).
  assert.is(mk.vars.get('NODE_MUSL_ARCH'), '$(subst aarch64,arm64,$(subst x86_64,x64,$(ARCH)))');
  const given = { ...OPENWRT_TOOLS, DL_DIR: dl, PKG_BUILD_DIR: build, NODE_MUSL_ARCH: 'x64' };
  const expand = expander(mk, given);
  const r = spawnSync('sh', ['-ec', expand(mk.vars.get('PKG_UNPACK')!)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const root = join(dir, 'node-musl-root');
  const install = runRecipe(mk.defines.get('Package/node-musl/install')!, expander(mk, { ...given, 1: root }));
  assert.is(install.status, 0, install.output);
  assert.equal(listFiles(root), ['usr/bin/node']);
  const dev = join(dir, 'node-musl-staging');
  const installDev = runRecipe(mk.defines.get('Build/InstallDev')!, expander(mk, { ...given, 1: dev }));
  assert.is(installDev.status, 0, installDev.output);
  assert.ok(existsSync(join(dev, 'usr/include/node/node.h')), 'where backsoon-pcap\'s NODE_HEADERS points');
});

test.run();
