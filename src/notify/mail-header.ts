// Header values built so that no input can add a header or end the header block: every value
// is cleaned of control characters, non-ASCII text becomes RFC 2047 encoded words, and lines
// are folded only where this module puts the fold.
import type { Mailbox } from './mail-address';

// C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidi overrides that
// can make a subject read differently from what it says.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g;

/**
 * Text from configuration or the network, made fit for one header line or one body line:
 * control characters (CR and LF included) become a space, runs of spaces collapse, and the
 * result is cut to `maxLength` code points.
 */
export function cleanText(text: string, maxLength: number): string {
  const cleaned = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  const points = Array.from(cleaned);
  return points.length <= maxLength ? cleaned : `${points.slice(0, maxLength - 3).join('')}...`;
}

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

/** An encoded word holds at most 75 characters: 12 of framing and 60 of base64 (45 bytes). */
const WORD_BYTES = 45;

/** RFC 2047 "B" encoded words for UTF-8 text, split between code points, joined by spaces. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk: number[] = [];
  const flush = () => {
    words.push(`=?UTF-8?B?${Buffer.from(chunk).toString('base64')}?=`);
    chunk = [];
  };
  for (const point of text) {
    const bytes = Buffer.from(point, 'utf8');
    if (chunk.length + bytes.length > WORD_BYTES) flush();
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) flush();
  return words.join(' ');
}

/**
 * Unstructured header text (Subject): cleaned, and encoded when it is not plain ASCII or when
 * it holds "=?", which a reader would otherwise try to decode as an encoded word.
 */
export function encodeUnstructured(text: string, maxLength: number): string {
  const cleaned = cleanText(text, maxLength);
  return PRINTABLE_ASCII.test(cleaned) && !cleaned.includes('=?') ? cleaned : encodeWords(cleaned);
}

const ATOM_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;

/** "Name <addr>" or "addr"; the address must have passed mailAddressProblem() already. */
export function formatMailbox(mailbox: Mailbox): string {
  if (mailbox.name === null) return mailbox.address;
  const name = cleanText(mailbox.name, 64);
  if (name === '') return mailbox.address;
  let phrase: string;
  if (!PRINTABLE_ASCII.test(name) || name.includes('=?')) phrase = encodeWords(name);
  else if (ATOM_PHRASE.test(name)) phrase = name;
  else phrase = `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `${phrase} <${mailbox.address}>`;
}

/**
 * One header field, folded at spaces so lines stay near 78 characters. Throws when the value
 * still holds a line break or another control character: that is a bug in the caller, and
 * sending it would let the value write headers of its own.
 */
export function headerField(name: string, value: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`mail header name '${name}' is not a token`);
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new Error(`mail header ${name}: value holds a control character; clean it with cleanText() first`);
  }
  const words = value.split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (word.length > 0 && line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = '';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\r\n');
}
