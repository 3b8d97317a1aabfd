// Message catalogs for the page: English and Japanese built in, more as LANG.json files in a
// directory. A catalog holds plain text with {placeholders}; it is escaped like any other text,
// so a catalog file cannot put markup on the page. The language follows Accept-Language.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from './escape';
import en from './lang/en.json';
import ja from './lang/ja.json';

export type MessageKey = keyof typeof en;
export type Messages = Readonly<Record<MessageKey, string>>;

export interface Catalog {
  /** BCP 47 tag as the file is named: "en", "ja", "pt-BR". */
  readonly tag: string;
  readonly messages: Messages;
}

const MESSAGE_KEYS = Object.keys(en) as MessageKey[];
const TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const MAX_FILE = 64 * 1024;
const MAX_FILES = 64;
const MAX_MESSAGE = 1000;

export const builtInCatalogs: readonly Catalog[] = [
  { tag: 'en', messages: en },
  { tag: 'ja', messages: ja },
];

function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]).sort();
}

/**
 * Reads LANG.json files from `dir`. A message that is missing, not a string, too long, or uses
 * other placeholders than the English one falls back to English; each problem is reported.
 * A file for "en" or "ja" replaces the built-in one.
 */
export function loadCatalogs(dir: string | null, warn: (message: string) => void): Catalog[] {
  const catalogs = new Map<string, Catalog>(builtInCatalogs.map((c) => [c.tag, c]));
  if (dir === null) return [...catalogs.values()];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    warn(`stand-in languages_dir '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; only the built-in English and Japanese are used`);
    return [...catalogs.values()];
  }
  if (names.length > MAX_FILES) {
    warn(`stand-in languages_dir '${dir}': ${names.length} files, only the first ${MAX_FILES} are read`);
    names = names.slice(0, MAX_FILES);
  }
  for (const name of names) {
    const file = join(dir, name);
    const tag = name.slice(0, -'.json'.length);
    if (!TAG.test(tag)) { warn(`${file}: the file name must be a language tag such as de.json or pt-BR.json; skipped`); continue; }
    const catalog = readCatalog(file, tag, warn);
    if (catalog) catalogs.set(tag.toLowerCase(), catalog);
  }
  return [...catalogs.values()];
}

function readCatalog(file: string, tag: string, warn: (message: string) => void): Catalog | null {
  let data: unknown;
  try {
    if (statSync(file).size > MAX_FILE) { warn(`${file}: larger than ${MAX_FILE} bytes; skipped`); return null; }
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    warn(`${file}: cannot be read as JSON (${(e as Error).message}); skipped`);
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    warn(`${file}: must be a JSON object of "key": "text" pairs, as ${'en.json'} in the documentation; skipped`);
    return null;
  }
  const given = data as Record<string, unknown>;
  const messages = { ...en } as Record<MessageKey, string>;
  const fallbacks: string[] = [];
  for (const key of MESSAGE_KEYS) {
    const text = given[key];
    if (typeof text !== 'string' || text.length > MAX_MESSAGE || /[\u0000-\u001f\u007f]/.test(text)) { fallbacks.push(key); continue; }
    if (placeholders(text).join() !== placeholders(en[key]).join()) {
      warn(`${file}: "${key}" must use exactly the placeholders ${placeholders(en[key]).map((p) => `{${p}}`).join(' ') || '(none)'}; English is used for it`);
      continue;
    }
    messages[key] = text;
  }
  if (fallbacks.length > 0) warn(`${file}: ${fallbacks.length} messages missing or unusable (${fallbacks.slice(0, 5).join(', ')}${fallbacks.length > 5 ? ', ...' : ''}); English is used for them`);
  const unknown = Object.keys(given).filter((k) => !(MESSAGE_KEYS as string[]).includes(k));
  if (unknown.length > 0) warn(`${file}: unknown keys ignored: ${unknown.slice(0, 5).join(', ')}`);
  return { tag, messages };
}

/**
 * The catalog for an Accept-Language header: highest q first, exact tag before a tag's primary
 * language ("ja-JP" finds "ja"; "pt" finds "pt-BR"). `override` (the page's own language
 * links) wins when it names an available catalog. Falls back to the first catalog (English).
 */
export function chooseCatalog(catalogs: readonly Catalog[], acceptLanguage: string | undefined, override?: string | null): Catalog {
  const byTag = (tag: string) => catalogs.find((c) => c.tag.toLowerCase() === tag.toLowerCase());
  if (override) {
    const chosen = byTag(override);
    if (chosen) return chosen;
  }
  const wanted = parseAcceptLanguage(acceptLanguage ?? '');
  for (const tag of wanted) {
    const exact = byTag(tag);
    if (exact) return exact;
    const primary = tag.split('-')[0].toLowerCase();
    const loose = byTag(primary) ?? catalogs.find((c) => c.tag.toLowerCase().split('-')[0] === primary);
    if (loose) return loose;
  }
  return catalogs[0];
}

/** Language tags by preference; "*" and q=0 are left out. Bounded: a header is untrusted. */
export function parseAcceptLanguage(header: string): string[] {
  const entries: { tag: string; q: number; order: number }[] = [];
  const parts = header.slice(0, 1024).split(',').slice(0, 32);
  parts.forEach((part, order) => {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = rawTag.trim();
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](\.[0-9]{0,3})?)\s*$/.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    if (q > 0) entries.push({ tag, q, order });
  });
  return entries.sort((a, b) => b.q - a.q || a.order - b.order).map((e) => e.tag);
}

export type Values = Readonly<Record<string, string>>;

/** A message as plain text (for <title>; the caller escapes it). */
export function fillText(template: string, values: Values): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** A message as HTML: the template and the values are escaped, values are marked for emphasis. */
export function fillHtml(template: string, values: Values): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(/\{([a-z]+)\}/g)) {
    const value = values[m[1]];
    if (value === undefined) continue;
    out += escapeHtml(template.slice(last, m.index)) + `<span class="v">${escapeHtml(value)}</span>`;
    last = m.index! + m[0].length;
  }
  return out + escapeHtml(template.slice(last));
}
