// Shared by the board-*.test.ts files: paths of the router files, the tools they are run
// with, a `backsoon` command for the scripts' PATH, and a status report to show.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatusReport } from '../../src/control/status';
import type { EngineCounters } from '../../src/engine/engine';
import { createDecodeStats } from '../../src/packet/stats';

export const ROOT = resolve(__dirname, '../..');
export const FILES = join(ROOT, 'board/openwrt/files');
export const LUCI = join(ROOT, 'board/openwrt/luci');
export const INIT_SCRIPT = join(FILES, 'etc/init.d/backsoon');
export const FIXTURES = join(__dirname, 'board-fixtures');

// test/run sets NO_COLOR and FORCE_COLOR together, and node warns about that on stderr.
const { FORCE_COLOR: _ignored, ...cleanEnv } = process.env;
export const ENV: NodeJS.ProcessEnv = cleanEnv;

/** The absolute path of a tool the tests cannot do without; a clear failure when it is absent. */
export function requireTool(name: string, debianPackage: string, why: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(`${name} is not installed: apt-get install ${debianPackage} (the Makefile's APT_PACKAGES should list it). ${why}`);
  }
  return path;
}

/** OpenWrt runs its scripts with busybox ash; so do these tests. */
export function busybox(): string {
  return requireTool('busybox', 'busybox', "OpenWrt's /bin/sh is busybox ash, the shell these scripts are run with here.");
}

/** A temp directory removed when the process exits, whatever happens. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bs-board-${tag}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A directory holding a `backsoon` command that runs this tree's CLI (src/main.ts through
 * tsx), to put first on a script's PATH where the router has /usr/bin/backsoon.
 */
export function backsoonBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const command = join(bin, 'backsoon');
  writeFileSync(command, `#!/bin/sh\nexec '${join(ROOT, 'node_modules/.bin/tsx')}' '${join(ROOT, 'src/main.ts')}' "$@"\n`);
  chmodSync(command, 0o755);
  return bin;
}

const engine: EngineCounters = {
  downs: { 'icmp-unreachable': 1, 'syn-timeout': 1, 'arp-silence': 0, 'nd-silence': 0, 'neigh-failed': 0 },
  recoveries: { 'arp-reply': 0, 'nd-advert': 0, 'syn-ack': 3, reset: 0, 'neigh-reachable': 0, trap: 0, probe: 0 },
  attempts: 4,
  notices: 3,
  noContact: 1,
  dropped: { 'table-full': 0, 'server-cap': 0, 'max-attempt-age': 0, 'stale-at-recovery': 0 },
  expired: 0,
  evictions: { 'table-full': 0, 'server-cap': 0 },
  evicted: { verified: 0, unverified: 0 },
  refusedOffNetwork: 0,
  outagesEvicted: 0,
  serversFull: 0,
  flaps: 0,
  icmpOtherCode: 0,
  icmpForged: { address: 0, mac: 0 },
  unwatched: 0,
  refusedNoContact: 0,
  ipv6Ignored: 0,
  addressPoolFull: 0,
};

/** Two down servers (one holding), three waiting clients, counters that differ from each other. */
export function sampleReport(): StatusReport {
  const now = 1_750_000_000;
  return {
    version: '0.1.0',
    pid: 4242,
    startedAt: now - 7200,
    now,
    config: '/etc/config/backsoon',
    outages: [
      {
        server: '198.51.100.10', state: 'down', since: now - 600, cause: 'syn-timeout',
        clients: [
          { client: '192.0.2.5', firstAttempt: now - 590, lastAttempt: now - 60, mac: '02:00:5e:10:00:05' },
          { client: '192.0.2.6', firstAttempt: now - 300, lastAttempt: now - 300 },
        ],
      },
      {
        server: '198.51.100.20', state: 'holding', since: now - 3600, cause: 'icmp-unreachable', holdUntil: now + 45,
        clients: [{ client: '192.0.2.7', firstAttempt: now - 3500, lastAttempt: now - 3400 }],
      },
    ],
    waitingClients: 3,
    contacts: 2,
    outbox: { queued: 11, sending: 1, sent: 37, failed: 2, retries: 5, unsaved: 0, storageError: null, storageErrorSince: null, outcomes: { mail: { sent: 37, retry: 5, 'given-up': 2 } } },
    captures: [
      { interface: 'br-lan', role: 'client', received: 123456, dropped: 17, ifDropped: 3 },
      { interface: 'br-dmz', role: 'server', received: 9876, dropped: 0, ifDropped: 0 },
    ],
    packets: createDecodeStats(),
    engine,
    state: { writes: 12, failures: 0, error: null, heldBy: null },
    registrations: { saved: 3, notSaved: 0, error: null },
    tables: { servers: 2, serverCapacity: 1024, links: 3, linkCapacity: 65536, pendingSyns: 9, synCapacity: 65536, synOverflows: 0 },
    directNotices: { queued: 3, duplicate: 0, noContact: 1, notDirect: 0, failedToQueue: 0, policyDeclined: 0, policyContact: 0, policyBudgetSpent: 0 },
    outbound: { delegation: 0, traps: 2, webhooks: 1, duplicates: 0, problems: 0 },
    control: { badRequests: 0 },
    reloads: { requested: 1, started: 1, done: 1, refused: 0, failed: 0 },
  };
}
