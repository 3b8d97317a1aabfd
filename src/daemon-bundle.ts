// Loads the daemon's commands (daemon-entry.ts) at run time: in dist/ from their own bundle
// beside this one, from the sources through tsx. A computed path, so esbuild leaves it out.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, DaemonCommandName } from './daemon-entry';

/** The file beside the command line's bundle that `make build` writes the daemon's modules to. */
export const DAEMON_BUNDLE = 'backsoon-daemon.js';

export function loadDaemonCommand(name: DaemonCommandName): () => Promise<Command> {
  return () => {
    const file = join(__dirname, __filename.endsWith('.ts') ? 'daemon-entry.ts' : DAEMON_BUNDLE);
    if (!existsSync(file)) {
      process.stderr.write(`backsoon ${name}: the daemon's modules (${file}) are missing: install every file of dist/ beside ${__filename}\n`);
      return Promise.resolve(async () => 1);
    }
    const entry = require(file) as typeof import('./daemon-entry');
    return entry.daemonCommands[name]();
  };
}
