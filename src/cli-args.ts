// The command lines of backsoon's subcommands: named options, each a flag or taking one value,
// and positional words. Anything else is refused with the option's name, the usage and exit 2.

/** 'list': takes a value and may stand more than once (the values in order). */
export type OptionKind = 'flag' | 'value' | 'list';
/** Option names without their leading "--", e.g. { config: 'value', once: 'flag' }. */
export type OptionSpec = Readonly<Record<string, OptionKind>>;
export type ParsedOptions<S extends OptionSpec> = { -readonly [K in keyof S]?: S[K] extends 'flag' ? true : S[K] extends 'list' ? string[] : string };

export interface CommandLine<S extends OptionSpec> {
  readonly options: ParsedOptions<S>;
  /** The words that are not options, in order; everything after "--" is one of them. */
  readonly positionals: readonly string[];
  /** --help or -h stood anywhere. */
  readonly help: boolean;
}

/** A command line the subcommand cannot run with; the message names the word and the fix. */
export class UsageError extends Error {}

export function parseArgs<S extends OptionSpec>(args: readonly string[], spec: S): CommandLine<S> {
  const options: Record<string, true | string | string[]> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') { positionals.push(...args.slice(i + 1)); break; }
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (!arg.startsWith('-') || arg === '-') { positionals.push(arg); continue; }
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option '${arg}' (${knownOptions(spec)})`);
    if (kind === 'flag') { options[name] = true; continue; }
    const value = args[++i];
    if (value === undefined) throw new UsageError(`option ${arg} needs a value`);
    if (kind === 'list') {
      const list = options[name];
      if (Array.isArray(list)) list.push(value);
      else options[name] = [value];
    } else options[name] = value;
  }
  return { options: options as ParsedOptions<S>, positionals, help };
}

function knownOptions(spec: OptionSpec): string {
  const names = Object.entries(spec).map(([name, kind]) => (kind === 'flag' ? `--${name}` : kind === 'list' ? `--${name} VALUE...` : `--${name} VALUE`));
  return names.length === 0 ? 'this command takes no options but --help' : `known: ${[...names, '--help'].join(', ')}`;
}

/** Writes "backsoon CMD: problem" and the usage to stderr; returns the exit status for it, 2. */
export function usageError(command: string, problem: string, usage: string): number {
  process.stderr.write(`backsoon ${command}: ${problem}\n\n${usage}`);
  return 2;
}

/**
 * The command line of subcommand `command`, or the exit status when there is nothing to run:
 * 0 after printing the usage for --help, 2 after a usage error.
 */
export function readCommandLine<S extends OptionSpec>(command: string, usage: string, args: readonly string[], spec: S): CommandLine<S> | number {
  let line: CommandLine<S>;
  try {
    line = parseArgs(args, spec);
  } catch (err) {
    if (err instanceof UsageError) return usageError(command, err.message, usage);
    throw err;
  }
  if (line.help) { process.stdout.write(usage); return 0; }
  return line;
}
