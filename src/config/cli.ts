// `backsoon config show|check|reference`: what an admin runs after editing /etc/config/backsoon.
import '../parts';
import { readCommandLine, usageError } from '../cli-args';
import { formatError, formatWarning, type Diagnostic } from './diagnostics';
import { configReference } from './reference';
import { uciShow } from './show';
import type { Config } from './types';
import { parseUci } from './uci';
import { checkConfigText, DEFAULT_CONFIG_FILE, readConfigFile } from './validate';

const usage = `usage: backsoon config show [FILE]
       backsoon config check [FILE]
       backsoon config reference

  show       print FILE the way 'uci show backsoon' prints it
  check      validate FILE; print 'ok: ...' and exit 0, or print every error and exit 2
  reference  print the configuration reference (Markdown) generated from the schema

FILE defaults to ${DEFAULT_CONFIG_FILE}. Exit codes: 0 valid, 2 invalid or unreadable.
`;

const write = (text: string | Uint8Array) => process.stdout.write(text);
const complain = (text: string) => process.stderr.write(text);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The one-line verdict of a valid file. */
export function summary(config: Config): string {
  const parts = [
    plural(config.servers.length, 'server'),
    plural(config.contacts.length, 'contact'),
    config.mail ? `mail via ${config.mail.host}:${config.mail.port}` : 'no mail',
  ];
  if (config.snmp.enabled) parts.push(`traps on ${config.snmp.listen}:${config.snmp.port}`);
  if (!config.main.enabled) parts.push('daemon disabled');
  return `ok: ${parts.join(', ')}`;
}

function read(file: string): Uint8Array | null {
  const text = readConfigFile(file);
  if (text instanceof Uint8Array) return text;
  complain(`backsoon: ${formatError(text)}\n`);
  return null;
}

/** Errors and warnings in file order, so the output reads alongside the file. */
function report(errors: readonly Diagnostic[], warnings: readonly Diagnostic[]): void {
  const lines = [
    ...errors.map((d) => ({ line: d.line, text: formatError(d) })),
    ...warnings.map((d) => ({ line: d.line, text: formatWarning(d) })),
  ].sort((a, b) => a.line - b.line);
  for (const l of lines) complain(`${l.text}\n`);
}

function show(file: string): number {
  const text = read(file);
  if (text === null) return 2;
  const parsed = parseUci(text, file);
  // uci's own rejections, in our words; warnings (text uci does not read) go to stderr too
  report(parsed.errors, parsed.warnings);
  if (parsed.errors.length > 0) return 2;
  write(uciShow(parsed.pkg));
  return 0;
}

function check(file: string): number {
  const text = read(file);
  if (text === null) return 2;
  const result = checkConfigText(text, file);
  report(result.errors, result.warnings);
  if (!result.config) {
    complain(`${file}: ${plural(result.errors.length, 'error')}\n`);
    return 2;
  }
  write(`${summary(result.config)}\n`);
  return 0;
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === 'help') args = ['--help'];
  const line = readCommandLine('config', usage, args, {});
  if (typeof line === 'number') return line;
  const [sub, ...fileArgs] = line.positionals;
  if (fileArgs.length > 1) return usageError('config', 'give at most one FILE', usage);
  const file = fileArgs[0] ?? DEFAULT_CONFIG_FILE;
  switch (sub) {
    case 'show':
      return show(file);
    case 'check':
      return check(file);
    case 'reference':
      if (fileArgs.length > 0) return usageError('config', `reference takes no FILE ('${fileArgs[0]}')`, usage);
      write(configReference());
      return 0;
  }
  if (sub === undefined) { complain(usage); return 2; }
  return usageError('config', `unknown subcommand '${sub}'`, usage);
}
