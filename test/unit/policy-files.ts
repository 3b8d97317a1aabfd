// Policy files for the policy tests: written to a temporary folder that is removed at the end,
// even when a test fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Policy } from '../../src/policy/policy';
import type { PolicyOptions } from '../../src/policy/types';

export interface PolicyFiles {
  /** Writes `source` as NAME and returns its path. */
  write(name: string, source: string): string;
  /** Loads `source` with a log that records into `logs`. */
  load(name: string, source: string, options?: PolicyOptions): Promise<{ policy: Policy; logs: string[]; file: string }>;
  cleanup(): void;
}

export function policyFiles(): PolicyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'bs-policy-test-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanup);
  const write = (name: string, source: string) => {
    const file = join(dir, name);
    writeFileSync(file, source);
    return file;
  };
  return {
    write,
    async load(name, source, options = {}) {
      const file = write(name, source);
      const logs: string[] = [];
      const policy = await Policy.load(file, { ...options, log: (level, message) => logs.push(`${level}: ${message}`) });
      return { policy, logs, file };
    },
    cleanup,
  };
}

/** Unix seconds of a wall-clock time in the process's time zone (what `local` is computed in). */
export function localAt(hour: number, minute: number): number {
  return Math.floor(new Date(2025, 5, 2, hour, minute).getTime() / 1000);
}
