// The subcommands' command lines: one parser, one way to refuse (the word, the fix, exit 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs, UsageError } from '../../src/cli-args';
import { main as agent } from '../../src/agent/cli';
import { main as config } from '../../src/config/cli';
import { main as metrics } from '../../src/control/metrics-cli';
import { main as replay } from '../../src/capture/replay';
import { main as policy } from '../../src/policy/cli';
import { main as run } from '../../src/daemon/run';
import { main as status } from '../../src/control/status-cli';

const SPEC = { config: 'value', once: 'flag' } as const;

test('flags, values and positionals in any order; -- ends the options', () => {
  const line = parseArgs(['a.pcap', '--once', '--config', '/tmp/x', '--', '--not-an-option'], SPEC);
  assert.equal(line.options, { once: true, config: '/tmp/x' });
  assert.equal(line.positionals, ['a.pcap', '--not-an-option']);
  assert.is(line.help, false);
  assert.is(parseArgs(['-h'], SPEC).help, true);
  assert.equal(parseArgs(['--config', '-'], SPEC).options, { config: '-' }, 'a value may start with a dash');
});

test('an unknown option is named with the known ones; a missing value names its option', () => {
  assert.throws(() => parseArgs(['--conifg', 'x'], SPEC), (e: Error) => e instanceof UsageError &&
    e.message === "unknown option '--conifg' (known: --config VALUE, --once, --help)");
  assert.throws(() => parseArgs(['-c'], SPEC), (e: Error) => e.message.startsWith("unknown option '-c'"));
  assert.throws(() => parseArgs(['--config'], SPEC), (e: Error) => e.message === 'option --config needs a value');
  assert.throws(() => parseArgs(['--x'], {}), (e: Error) => e.message === "unknown option '--x' (this command takes no options but --help)");
});

/** Runs a subcommand in this process, as main.ts would, and keeps what it writes. */
async function cli(main: (args: string[]) => Promise<number>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => { out.stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { out.stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(args), ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

const COMMANDS = { agent, config, metrics, replay, policy, run, status };

test('every subcommand: --help prints its usage and exits 0', async () => {
  for (const [name, main] of Object.entries(COMMANDS)) {
    const r = await cli(main, '--help');
    assert.is(r.code, 0, name);
    assert.match(r.stdout, new RegExp(`^usage: backsoon ${name}`), name);
    assert.is(r.stderr, '', name);
  }
});

test('every subcommand: an unknown option is refused by name, with the usage, exit 2', async () => {
  for (const [name, main] of Object.entries(COMMANDS)) {
    const r = await cli(main, '--frobnicate');
    assert.is(r.code, 2, name);
    assert.ok(r.stderr.startsWith(`backsoon ${name}: unknown option '--frobnicate' (`), `${name}: ${r.stderr}`);
    assert.match(r.stderr, /\n\nusage: backsoon /, name);
  }
});

test('an option without its value says so instead of calling the option unknown', async () => {
  const cases: [keyof typeof COMMANDS, string[]][] = [
    ['run', ['--config']], ['agent', ['--once', '--config']], ['status', ['--socket']], ['metrics', ['--socket']],
    ['replay', ['x.pcap', '--syn-timeout']], ['policy', ['test', 'p.js', '--timeout']],
  ];
  for (const [name, args] of cases) {
    const r = await cli(COMMANDS[name], ...args);
    assert.is(r.code, 2, name);
    assert.ok(r.stderr.startsWith(`backsoon ${name}: option ${args[args.length - 1]} needs a value\n`), `${name}: ${r.stderr}`);
  }
});

test('values and positionals each subcommand checks itself', async () => {
  const expect = async (main: (args: string[]) => Promise<number>, args: string[], message: string) => {
    const r = await cli(main, ...args);
    assert.is(r.code, 2, args.join(' '));
    assert.ok(r.stderr.startsWith(message), `${args.join(' ')}: ${r.stderr}`);
  };
  await expect(replay, [], 'backsoon replay: missing FILE');
  await expect(replay, ['a.pcap', 'b.pcap'], "backsoon replay: one capture file at a time ('b.pcap')");
  await expect(replay, ['a.pcap', '--syn-timeout', '0'], "backsoon replay: --syn-timeout '0': must be a positive number of seconds");
  await expect(policy, [], 'backsoon policy: missing subcommand');
  await expect(policy, ['test'], 'backsoon policy test: missing FILE');
  await expect(policy, ['test', 'p.js', '--timeout', 'soon'], "backsoon policy test: --timeout needs a number of milliseconds > 0, not 'soon'");
  await expect(config, ['check', 'a', 'b'], 'backsoon config: give at most one FILE');
  await expect(config, ['reference', 'a'], "backsoon config: reference takes no FILE ('a')");
  await expect(run, ['/etc/config/backsoon'], "backsoon run: unexpected argument '/etc/config/backsoon' (the file goes after --config)");
  await expect(status, ['now'], "backsoon status: unexpected argument 'now'");
});

test.run();
