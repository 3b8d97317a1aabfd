// OpenWrt's own userland built for this machine by `make openwrt-host` (image/openwrt-userland):
// the uci CLI, validate_data, jshn and the shell libraries an init script sources, laid out as on
// a router under root/. Tests that compare with them fail loudly when they are missing: a
// comparison that silently skips would pass on a machine that never ran it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const OPENWRT_HOST = resolve(__dirname, '../../build/openwrt/host');
/** rc.common, functions.sh, procd.sh, uci.sh and jshn.sh at their router paths. */
export const OPENWRT_ROOT = join(OPENWRT_HOST, 'root');

/**
 * A source archive (image/openwrt-src.lock) from OPENWRT_SRC, as for the build; by default
 * ../shared/openwrt-src beside the checkout, or beside the main checkout for a git worktree.
 */
export function openwrtSource(archive: string): string {
  const root = resolve(__dirname, '../..');
  const dirs = process.env.OPENWRT_SRC ? [resolve(root, process.env.OPENWRT_SRC)] : [resolve(root, '../shared/openwrt-src')];
  const common = spawnSync('git', ['-C', root, 'rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8' });
  if (!process.env.OPENWRT_SRC && common.status === 0) dirs.push(resolve(common.stdout.trim(), '../../shared/openwrt-src'));
  for (const dir of dirs) {
    const path = join(dir, archive);
    if (existsSync(path)) return path;
  }
  throw new Error(`${archive} not found in ${dirs.join(' or ')}: set OPENWRT_SRC to the folder of OpenWrt's source archives`);
}

/** The path of a built tool or library (relative to build/openwrt/host); throws when it is absent. */
export function openwrtHost(relative: string): string {
  const path = join(OPENWRT_HOST, relative);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run 'make openwrt-host' (builds OpenWrt's uci, validate_data and shell ` +
      'libraries from OPENWRT_SRC); this test compares backsoon with them and cannot pass without them');
  }
  return path;
}

export interface UciShow {
  /** uci's exit status: 0 loaded, 1 rejected. */
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

let showDir: string | null = null;

/** A temporary directory for uci's input files, without '.' in its path (uci splits at '.'). */
function uciDir(): string {
  if (showDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'bs-uci-'));
    if (dir.includes('.')) throw new Error(`temporary directory ${dir} contains a '.'; set TMPDIR to a path without one`);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    showDir = dir;
  }
  return showDir;
}

function runUci(args: string[], input?: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(openwrtHost('bin/uci'), args, { env: { ...process.env, LC_ALL: 'C' }, input, timeout: 60_000, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

/**
 * `uci show` of a file holding `bytes`. The file is given by absolute path, so uci reads no
 * delta (saved changes) from /tmp/.uci for it, and its package is named after the file: backsoon.
 */
export function uciShow(bytes: Uint8Array): UciShow {
  const file = join(uciDir(), 'backsoon');
  writeFileSync(file, bytes);
  return runUci(['show', file]);
}

/**
 * `uci show` of many files in one `uci batch` (one process instead of one per file). After each
 * file come two markers: a package that shows one line on stdout and a missing file that puts
 * "Entry not found" on stderr, so both streams split per file. A file uci rejected has a message
 * in its stderr part and nothing in its stdout part.
 */
export function uciShowMany(files: readonly Uint8Array[]): UciShow[] {
  const dir = uciDir();
  const shown = join(dir, 'marker');
  writeFileSync(shown, "config m 'end'\n");
  const missing = join(dir, 'missing');
  const commands = files.map((bytes, i) => {
    mkdirSync(join(dir, String(i)), { recursive: true });
    const path = join(dir, String(i), 'backsoon');
    writeFileSync(path, bytes);
    return `show ${path}\nshow ${shown}\nshow ${missing}\n`;
  });
  const batch = runUci(['batch'], commands.join(''));
  const stdout = batch.stdout.toString('latin1').split('marker.end=m\n');
  const stderr = batch.stderr.split(/[^\n]*: Entry not found[^\n]*\n/);
  if (stdout.length !== files.length + 1 || stderr.length !== files.length + 1) {
    throw new Error(`uci batch: ${stdout.length - 1} and ${stderr.length - 1} markers for ${files.length} files`);
  }
  return files.map((_, i) => {
    const message = stderr[i].trim();
    return { status: message === '' ? 0 : 1, stdout: Buffer.from(stdout[i], 'latin1'), stderr: message };
  });
}
