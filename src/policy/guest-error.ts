// Reads what a failed guest call left behind (a QuickJS exception, dumped to plain data) into
// a one-line message and a place in the operator's file.
import type { GuestLocation } from './types';

export interface GuestError {
  readonly name: string;
  readonly message: string;
  readonly location?: GuestLocation;
}

// "    at f (/etc/p.js:2:11)", "    at get x (/etc/p.js:1:27)", "    at /etc/p.js:2:13"
const FRAME = /^\s*at (?:(.+?) \()?(.+):(\d+):(\d+)\)?$/;
/** A stack overflow's stack has thousands of frames; the first ones in the file are enough. */
const MAX_FRAMES_SCANNED = 64;
const MAX_MESSAGE = 300;

/** The first frame of `stack` that lies in `file` (native frames and our own glue are skipped). */
export function locate(stack: string, file: string): GuestLocation | undefined {
  let start = 0;
  for (let i = 0; i < MAX_FRAMES_SCANNED && start < stack.length; i++) {
    let end = stack.indexOf('\n', start);
    if (end < 0) end = stack.length;
    const m = FRAME.exec(stack.slice(start, end));
    start = end + 1;
    if (m === null || m[2] !== file) continue;
    const functionName = m[1] !== undefined && m[1] !== '<eval>' && m[1] !== '<anonymous>' ? m[1] : undefined;
    return { file, line: Number(m[3]), column: Number(m[4]), ...(functionName ? { functionName } : {}) };
  }
  return undefined;
}

/** A guest exception value (as vm.dump returns it) read as an error. */
export function readGuestError(thrown: unknown, file: string): GuestError {
  if (typeof thrown === 'object' && thrown !== null) {
    const fields = thrown as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
    const name = typeof fields.name === 'string' ? fields.name : 'Error';
    const message = typeof fields.message === 'string' ? fields.message : safeJson(thrown);
    let location = typeof fields.stack === 'string' ? locate(fields.stack, file) : undefined;
    // Syntax errors at load carry lineNumber even when the stack names no frame.
    if (location === undefined && typeof fields.lineNumber === 'number') location = { file, line: fields.lineNumber, column: 0 };
    return { name, message: oneLine(message), ...(location ? { location } : {}) };
  }
  // `throw "text"` or `throw 42`: no stack to read a line from.
  return { name: 'thrown value', message: oneLine(safeJson(thrown)) };
}

/** "file:line:column" (column omitted when unknown). */
export function formatLocation(location: GuestLocation | undefined): string {
  if (location === undefined) return 'line unknown';
  const column = location.column > 0 ? `:${location.column}` : '';
  const fn = location.functionName !== undefined ? ` (in ${location.functionName})` : '';
  return `${location.file}:${location.line}${column}${fn}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}...` : flat;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
