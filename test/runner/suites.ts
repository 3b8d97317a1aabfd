// Which suites a run has: the groups (unit, lab, qemu) or the files and folders named, each
// suite with its time limit. Unit suites run side by side; lab and qemu suites need root and the
// machine's namespaces to themselves, so they run one at a time.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export type Kind = 'unit' | 'lab' | 'qemu';

export interface Suite {
  /** Path from the repository root, as printed. */
  file: string;
  kind: Kind;
  /** Killed (with its process group) after this many seconds. */
  timeoutS: number;
}

export interface Selection {
  suites: Suite[];
  /** Groups or folders that were asked for and hold no suite: each is a failure. */
  empty: string[];
}

export const GROUPS: readonly Kind[] = ['unit', 'lab', 'qemu'];

/** Time limits by kind; a suite sets its own with a line "// test-timeout: SECONDS" at its top. */
export const DEFAULT_TIMEOUT_S: Readonly<Record<Kind, number>> = { unit: 120, lab: 600, qemu: 1500 };
const OWN_TIMEOUT = /^\/\/ test-timeout: (\d+)\s*$/m;

function kindOf(file: string): Kind {
  if (/(^|\/)test\/lab\//.test(file)) return 'lab';
  if (/(^|\/)test\/qemu\//.test(file)) return 'qemu';
  return 'unit';
}

function timeoutOf(path: string, kind: Kind, override: number | null): number {
  if (override !== null) return override;
  const head = readFileSync(path, 'utf8').split('\n', 20).join('\n');
  const own = OWN_TIMEOUT.exec(head);
  return own ? Number(own[1]) : DEFAULT_TIMEOUT_S[kind];
}

function suitesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.test.ts')).sort().map((name) => join(dir, name));
}

/**
 * The suites for test/run's arguments: none (every group), group names, or suite files and
 * folders. `root` is the repository; `timeoutOverride` (BS_TEST_TIMEOUT) replaces every limit.
 */
export function select(root: string, args: string[], timeoutOverride: number | null): Selection {
  const files: string[] = [];
  const empty: string[] = [];
  for (const arg of args.length === 0 ? GROUPS : args) {
    const asGroup = (GROUPS as readonly string[]).includes(arg) ? join('test', arg) : null;
    const path = resolve(root, asGroup ?? arg);
    if (!existsSync(path)) throw new Error(`test/run: '${arg}' is neither a group (${GROUPS.join(', ')}) nor a suite file or folder`);
    if (statSync(path).isDirectory()) {
      const found = suitesIn(path);
      if (found.length === 0) empty.push(relative(root, path) || '.');
      files.push(...found);
    } else {
      files.push(path);
    }
  }
  const suites = [...new Set(files)].map((path) => {
    const file = relative(root, path);
    const kind = kindOf(file);
    return { file, kind, timeoutS: timeoutOf(path, kind, timeoutOverride) };
  });
  return { suites, empty };
}
