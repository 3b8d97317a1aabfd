// What the reader and the validator report: one finding tied to a file and line, so an admin
// can jump straight to it (`/etc/config/backsoon:12: ...`).

export interface Diagnostic {
  readonly file: string;
  /** 1-based; 0 when the finding is about the file as a whole (it cannot be read, say). */
  readonly line: number;
  readonly message: string;
}

function place(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}` : d.file;
}

export function formatError(d: Diagnostic): string {
  return `${place(d)}: ${d.message}`;
}

export function formatWarning(d: Diagnostic): string {
  return `${place(d)}: warning: ${d.message}`;
}

/** Thrown by loadConfig/parseConfigText; carries every error found, not just the first. */
export class ConfigError extends Error {
  /** Formatted lines, one per error: `FILE:LINE: what is wrong and how to fix it`. */
  readonly errors: readonly string[];
  /** Formatted warnings found on the way (unknown options and the like). */
  readonly warnings: readonly string[];
  readonly diagnostics: readonly Diagnostic[];

  constructor(errors: readonly Diagnostic[], warnings: readonly Diagnostic[] = []) {
    const lines = errors.map(formatError);
    super(lines.join('\n'));
    this.name = 'ConfigError';
    this.errors = lines;
    this.warnings = warnings.map(formatWarning);
    this.diagnostics = errors;
  }
}

/** Shows a value inside a one-line message: control characters escaped, long values cut. */
export function quoteForMessage(value: string, max = 80): string {
  let shown = value.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  if (shown.length > max) shown = `${shown.slice(0, max - 3)}...`;
  return `'${shown}'`;
}
