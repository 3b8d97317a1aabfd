// One process per directory, with a lock that dies with its holder: flock(2) on DIR/lock,
// held through a file descriptor this process keeps open. The kernel drops it when the process
// ends in any way (kill -9, power loss), so no stale lock can keep the daemon down, and no PID
// is ever compared (after a reboot a stale PID may name an unrelated live process).
//
// Node has no flock(); the lock is taken by the flock(1) command (util-linux, or busybox's
// applet that OpenWrt's own scripts use) on a copy of our descriptor: flock locks belong to the
// open file description, which the child shares with us, so the lock stays when the child exits
// and goes when our descriptor closes. See docs/DECISIONS.md for the alternatives weighed.
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';

export interface DirLock {
  readonly file: string;
  /** Drops the lock (closing the descriptor); the file stays, so a waiting opener never locks a deleted inode. */
  release(): Promise<void>;
}

const FLOCK = 'flock';

/**
 * Takes the lock of `dir` (creating DIR/lock) or throws, naming `what` and the holder's PID
 * when another process has it.
 */
export async function lockDirectory(dir: string, what: string): Promise<DirLock> {
  const file = join(dir, 'lock');
  // libuv opens with O_CLOEXEC: other children the daemon starts do not inherit the lock.
  const fh = await fs.open(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  let outcome: 'locked' | 'busy';
  try {
    outcome = await flockNonBlocking(fh.fd, file);
  } catch (err) {
    await fh.close();
    throw err;
  }
  if (outcome === 'busy') {
    const holder = (await fh.readFile('utf8').catch(() => '')).trim();
    await fh.close();
    const who = /^\d+$/.test(holder) ? `process ${holder}` : 'another process';
    throw new Error(`${what} is in use by ${who} (it holds the lock on ${file}); stop it, or give this instance its own state_dir`);
  }
  // The PID is only for the message above; a full disk must not stop the start.
  try {
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
  } catch { /* the lock holds without it */ }
  return { file, release: () => fh.close() };
}

function flockNonBlocking(fd: number, file: string): Promise<'locked' | 'busy'> {
  return new Promise((resolve, reject) => {
    const child = spawn(FLOCK, ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot lock ${file}: ${err.code === 'ENOENT'
        ? `the '${FLOCK}' command is missing (util-linux, or busybox with its flock applet)` : err.message}`));
    });
    child.once('close', (code) => {
      if (code === 0) resolve('locked');
      else if (code === 1 && stderr.trim() === '') resolve('busy');
      else reject(new Error(`cannot lock ${file}: ${FLOCK} exited ${code}: ${stderr.trim()}`));
    });
  });
}
