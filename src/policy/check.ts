// The checks every hook result passes before the daemon uses it. A result that fails is
// refused whole (never trimmed into shape): the caller logs the problem and the default applies.
import { mailAddressProblem } from '../notify/mail-address';
import type { RenderResult } from './types';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export const MAX_SUBJECT = 200;
export const MAX_BODY = 64 * 1024;
export const MAX_PAGE_TEXT = 4 * 1024;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: any of them in a
// header could end the line or hide text. Bodies and page texts may still hold LF and TAB.
const HEADER_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const TEXT_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** contactFor: a mail address, or null (undefined too) to keep the daemon's own answer. */
export function checkContact(value: unknown): Checked<string | null> {
  if (value === null || value === undefined) return { ok: true, value: null };
  if (typeof value !== 'string') return refuse(`returned ${describe(value)}; expected a mail address string or null`);
  const problem = mailAddressProblem(value);
  if (problem !== null) return refuse(`returned ${preview(value)}, which ${problem}; expected name@host.example or null`);
  return { ok: true, value };
}

/** shouldNotify: exactly true or false; anything else is a mistake worth reporting. */
export function checkShouldNotify(value: unknown): Checked<boolean> {
  if (typeof value === 'boolean') return { ok: true, value };
  return refuse(`returned ${describe(value)}; expected true or false`);
}

const RENDER_FIELDS: Readonly<Record<keyof RenderResult, { max: number; header: boolean }>> = {
  subject: { max: MAX_SUBJECT, header: true },
  body: { max: MAX_BODY, header: false },
  pageText: { max: MAX_PAGE_TEXT, header: false },
};

/** render: an object with any of subject, body, pageText (null/undefined: no overrides). */
export function checkRender(value: unknown): Checked<RenderResult> {
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return refuse(`returned ${describe(value)}; expected an object like {subject, body, pageText}`);
  }
  const result: Record<string, string> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const rule = Object.prototype.hasOwnProperty.call(RENDER_FIELDS, key) ? RENDER_FIELDS[key as keyof RenderResult] : undefined;
    if (rule === undefined) {
      return refuse(`returned an unknown field ${preview(key)}; allowed: ${Object.keys(RENDER_FIELDS).join(', ')}`);
    }
    if (field === null || field === undefined) continue;
    if (typeof field !== 'string') return refuse(`returned ${key} as ${describe(field)}; expected a string`);
    const problem = textProblem(field, rule.max, rule.header);
    if (problem !== null) return refuse(`returned a ${key} that ${problem}`);
    result[key] = field;
  }
  return { ok: true, value: result };
}

function textProblem(text: string, max: number, header: boolean): string | null {
  if (text.length > max) return `is ${text.length} characters long (at most ${max})`;
  if (header && HEADER_UNSAFE.test(text)) return 'contains a control character (CR, LF, TAB, ...), which a header must not';
  if (!header && TEXT_UNSAFE.test(text)) return 'contains a control character other than LF, CR or TAB';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

function refuse(problem: string): Checked<never> {
  return { ok: false, problem };
}

/** "a number (42)", "an array", "null": what a hook returned, for the log. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing (undefined)';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': return `the string ${preview(value)}`;
    case 'number': case 'boolean': return `a ${typeof value} (${String(value)})`;
    case 'object': return 'an object';
    default: return `a ${typeof value}`;
  }
}

/** A string shown in a log line: quoted, escaped, cut at 60 characters. */
export function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}
