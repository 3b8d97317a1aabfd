// Runs a command as on an OpenWrt router, with OpenWrt's own shell libraries and tools at their
// router paths: /etc/rc.common, /lib/functions.sh, /lib/functions/procd.sh and service.sh,
// /usr/share/libubox/jshn.sh, /sbin/validate_data and /sbin/uci (all from `make openwrt-host`),
// busybox ash as /bin/sh, and the init script at /etc/init.d/backsoon. They are laid over this
// machine's /usr/lib, /usr/sbin, /usr/bin, /usr/share and /etc with overlayfs in a private mount
// namespace (unshare --mount --map-root-user: no root needed, nothing changes outside it).
// /etc/config and /run are directories of the test's own, so files survive between runs.
// Stand-ins, for what a unit test must not reach: ubus (procd; recording-ubus), logger (the
// host's system log; recording-logger), and /lib/config/uci.sh, which OPENWRT_SRC lacks (the
// router image's own stand-in, image/openwrt-compat/uci.sh).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV, FIXTURES, INIT_SCRIPT, ROOT, backsoonBin, busybox, requireTool, tempDir } from './board-helpers';
import { OPENWRT_ROOT, openwrtHost } from './openwrt-host';

export interface RouterRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RouterOptions {
  /** Environment added to the command's. */
  readonly env?: Record<string, string>;
  readonly input?: string;
}

export class OpenWrtRoot {
  /** /etc/config on the router. */
  readonly config: string;
  /** /run (and /var/run) on the router. */
  readonly run: string;
  /** Where the stand-ins record: `ubus` and `logger`. */
  readonly records: string;
  /** Directories of the router's PATH before its own: the stand-ins, jshn, jsonfilter, backsoon. */
  readonly tools: string;
  private readonly layers: [layer: string, target: string][] = [];
  private readonly unshare: string;

  constructor(tag: string) {
    this.unshare = requireTool('unshare', 'util-linux', 'It gives the test a mount namespace of its own.');
    const dir = tempDir(`owrt-${tag}`);
    this.config = join(dir, 'etc-config');
    this.run = join(dir, 'run');
    this.records = join(dir, 'records');
    this.tools = join(dir, 'tools');
    for (const d of [this.config, this.run, join(this.run, 'lock'), this.records, this.tools]) mkdirSync(d, { recursive: true });

    const link = (layer: string, path: string, target: string) => {
      const at = join(dir, layer, path);
      mkdirSync(join(at, '..'), { recursive: true });
      symlinkSync(target, at);
    };
    link('lib', 'functions.sh', join(OPENWRT_ROOT, 'lib/functions.sh'));
    link('lib', 'functions/procd.sh', join(OPENWRT_ROOT, 'lib/functions/procd.sh'));
    link('lib', 'functions/service.sh', join(OPENWRT_ROOT, 'lib/functions/service.sh'));
    link('lib', 'config/uci.sh', join(ROOT, 'image/openwrt-compat/uci.sh')); // the image's stand-in (docs/IMAGE.md)
    link('sbin', 'validate_data', openwrtHost('sbin/validate_data'));
    link('sbin', 'uci', openwrtHost('bin/uci'));
    link('etc', 'rc.common', join(OPENWRT_ROOT, 'etc/rc.common'));
    link('etc', 'init.d/backsoon', INIT_SCRIPT);
    mkdirSync(join(dir, 'etc/config'));
    link('share', 'libubox/jshn.sh', join(OPENWRT_ROOT, 'usr/share/libubox/jshn.sh'));
    link('bin', 'sh', busybox());
    for (const [layer, target] of [['lib', '/lib'], ['sbin', '/sbin'], ['etc', '/etc'], ['share', '/usr/share'], ['bin', '/bin']]) {
      this.layers.push([join(dir, layer), realpathSync(target)]);
    }

    symlinkSync(openwrtHost('bin/jshn'), join(this.tools, 'jshn'));
    symlinkSync(openwrtHost('bin/jsonpath'), join(this.tools, 'jsonfilter'));
    symlinkSync(join(FIXTURES, 'recording-ubus'), join(this.tools, 'ubus'));
    symlinkSync(join(FIXTURES, 'recording-logger'), join(this.tools, 'logger'));
    symlinkSync(join(backsoonBin(dir), 'backsoon'), join(this.tools, 'backsoon'));
  }

  /** Writes /etc/config/NAME (null removes it). */
  writeConfig(name: string, text: string | Uint8Array | null): void {
    const path = join(this.config, name);
    if (text === null) rmSync(path, { force: true });
    else writeFileSync(path, text);
  }

  /** Empties the records of the stand-ins. */
  clearRecords(): void {
    for (const name of ['ubus', 'logger']) writeFileSync(join(this.records, name), '');
  }

  /** Lines a stand-in recorded, split at tabs. */
  recorded(name: 'ubus' | 'logger'): string[][] {
    const path = join(this.records, name);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  }

  /** Runs `command` (argv, as on the router) in the namespace. */
  exec(command: readonly string[], options: RouterOptions = {}): RouterRun {
    const mounts = [
      'set -e',
      'mount --make-rprivate /',
      ...this.layers.map(([layer, target]) => `mount -t overlay overlay -o 'lowerdir=${layer}:${target}' '${target}'`),
      `mount --bind '${this.config}' /etc/config`,
      `mount --bind '${this.run}' /run`,
      'exec "$@"',
    ].join('\n');
    const r: SpawnSyncReturns<string> = spawnSync(this.unshare, ['--mount', '--map-root-user', '/bin/sh', '-c', mounts, 'sh', ...command], {
      env: {
        ...ENV,
        PATH: `${this.tools}:/usr/sbin:/usr/bin:/sbin:/bin`,
        OPENWRT_RECORDS: this.records,
        ...options.env,
      },
      input: options.input,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (r.error) throw r.error;
    if (r.status !== 0 && /^(unshare|mount):/m.test(r.stderr)) {
      throw new Error(`cannot set up the router's file system view (user and mount namespaces, overlayfs): ${r.stderr}`);
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}
