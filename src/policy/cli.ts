// `backsoon policy test FILE [--sample] [--timeout MS]`: runs every hook the file defines on
// sample data, in the same sandbox and on the same kind of thread the daemon uses, and prints
// each result or the failure with its line.
import { readCommandLine, usageError } from '../cli-args';
import { IsolatedPolicy } from './isolated';
import { describeFailure, guestOutage } from './policy';
import { sampleClients, sampleNotices, sampleOutages } from './samples';
import type { HookName } from './types';

const usage = `usage: backsoon policy test FILE [--sample] [--timeout MS]

Loads FILE in the sandbox the daemon uses and runs every hook it defines (contactFor,
shouldNotify, render) on sample data (--sample, the default): clients with and without a DHCP
host name, a short daytime outage and a long one ending at night, a recovery mail and a
stand-in page. Prints each result, or the failure with its line in FILE.
--timeout MS sets the per-call deadline (default 50, as in the daemon).

Exit status: 0 every defined hook ran and returned a usable result; 1 the file does not load
or a hook failed; 2 usage error. See docs/POLICY.md for the hook contract.
`;

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('policy', usage, args, { sample: 'flag', timeout: 'value' });
  if (typeof line === 'number') return line;
  const [sub, file, extra] = line.positionals;
  if (sub !== 'test') return usageError('policy', sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`, usage);
  if (file === undefined) return usageError('policy test', 'missing FILE', usage);
  if (extra !== undefined) return usageError('policy test', `one FILE only ('${file}' and '${extra}' given)`, usage);
  let timeoutMs: number | undefined;
  if (line.options.timeout !== undefined) {
    timeoutMs = Number(line.options.timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return usageError('policy test', `--timeout needs a number of milliseconds > 0, not '${line.options.timeout}'`, usage);
  }
  return testFile(file, timeoutMs);
}

async function testFile(file: string, timeoutMs: number | undefined): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const started = performance.now();
  let policy: IsolatedPolicy;
  try {
    policy = await IsolatedPolicy.load(file, {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      // Hook failures are printed below; only trouble with the sandbox itself goes to stderr.
      log: (level, message) => { if (level === 'error') process.stderr.write(`${message}\n`); },
    });
  } catch (err) {
    process.stderr.write(`backsoon policy: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    out(`policy ${file}: loaded in ${(performance.now() - started).toFixed(1)} ms; defines ${policy.hooks.join(', ')}`);
    let calls = 0;
    let failed = 0;
    const report = async (hook: HookName, input: string, args: readonly unknown[], shown: (value: unknown) => string) => {
      if (!policy.has(hook)) return;
      calls++;
      out('');
      out(`${hook}${input}`);
      const { value, failure } = await policy.call(hook, args);
      if (failure === null) {
        out(`  -> ${shown(value)}`);
      } else {
        failed++;
        out(`  !! ${describeFailure(failure)}`);
      }
    };
    for (const client of sampleClients) {
      await report('contactFor', `(${JSON.stringify(client)})`, [client],
        (v) => (v === null ? 'null (no address from the policy)' : JSON.stringify(v)));
    }
    for (const outage of sampleOutages) {
      for (const client of sampleClients.slice(0, 2)) {
        await report('shouldNotify', `(${JSON.stringify(guestOutage(outage))},\n    ${JSON.stringify(client)})`,
          [outage, client], (v) => String(v));
      }
    }
    for (const notice of sampleNotices) {
      await report('render', `(${JSON.stringify({ ...notice, outage: guestOutage(notice.outage) })})`, [notice],
        (v) => (JSON.stringify(v) === '{}' ? "{} (backsoon's own texts)" : JSON.stringify(v)));
    }
    for (const hook of ['contactFor', 'shouldNotify', 'render'] as const) {
      if (!policy.has(hook)) out(`\n${hook}: not defined; the daemon uses its default`);
    }
    out('');
    out(`${calls} calls, ${calls - failed} ran, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    policy.dispose();
  }
}
