// Reads a mail as fetched by POP3 far enough to find the targets block: header fields, the
// body decoded from its Content-Transfer-Encoding and charset, and for a multipart mail the
// text part that holds the block (a relay or a mail client may have wrapped the original).
import { TARGETS_BEGIN } from '../notify/targets-format';

export interface ReceivedMessage {
  /** Lower-case name -> first value, unfolded. */
  readonly headers: ReadonlyMap<string, string>;
  /** The decoded text of the part holding the targets block, or of the first text part. */
  readonly text: string;
}

const MAX_DEPTH = 5;
const MAX_PARTS = 50;

export function parseMessage(raw: Buffer): ReceivedMessage {
  const { headers, body } = splitHeaders(raw);
  return { headers, text: findText(headers, body, 0) ?? '' };
}

function splitHeaders(raw: Buffer): { headers: Map<string, string>; body: Buffer } {
  let split = raw.indexOf('\r\n\r\n');
  let skip = 4;
  const lf = raw.indexOf('\n\n');
  if (split < 0 || (lf >= 0 && lf < split)) { split = lf; skip = 2; }
  const head = (split < 0 ? raw : raw.subarray(0, split)).toString('latin1').replace(/\r\n/g, '\n');
  const body = split < 0 ? Buffer.alloc(0) : raw.subarray(split + skip);
  const headers = new Map<string, string>();
  for (const field of head.split(/\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, field.slice(colon + 1).replace(/\n[ \t]+/g, ' ').trim());
  }
  return { headers, body };
}

interface ContentType { readonly type: string; readonly params: ReadonlyMap<string, string> }

function contentType(value: string | undefined): ContentType {
  const [type, ...rest] = (value ?? 'text/plain').split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/.exec(p);
    if (m) params.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

/** The text holding the block, else the first text/plain text, else null. */
function findText(headers: ReadonlyMap<string, string>, body: Buffer, depth: number): string | null {
  const ct = contentType(headers.get('content-type'));
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params.get('boundary');
    if (boundary === undefined || depth >= MAX_DEPTH) return null;
    let first: string | null = null;
    for (const part of splitMultipart(body, boundary).slice(0, MAX_PARTS)) {
      const { headers: h, body: b } = splitHeaders(part);
      const text = findText(h, b, depth + 1);
      if (text === null) continue;
      if (text.includes(TARGETS_BEGIN)) return text;
      first ??= text;
    }
    return first;
  }
  if (ct.type !== 'text/plain') return null;
  const bytes = decodeTransfer(body, headers.get('content-transfer-encoding'));
  return decodeCharset(bytes, ct.params.get('charset'));
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let at = text.startsWith(delimiter) ? 0 : text.indexOf(`\n${delimiter}`);
  while (at >= 0) {
    const lineEnd = text.indexOf('\n', at + 1);
    if (lineEnd < 0) break;
    const marker = text.slice(text[at] === '\n' ? at + 1 : at, lineEnd).trimEnd();
    if (marker === `${delimiter}--`) break;
    const next = text.indexOf(`\n${delimiter}`, lineEnd);
    const end = next < 0 ? text.length : next > 0 && text[next - 1] === '\r' ? next - 1 : next;
    parts.push(body.subarray(lineEnd + 1, end));
    at = next;
  }
  return parts;
}

export function decodeTransfer(body: Buffer, encoding: string | undefined): Buffer {
  const cte = (encoding ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const text = body.toString('latin1').replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return body;
}

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = (charset ?? 'us-ascii').trim().toLowerCase();
  try {
    return new TextDecoder(name === 'us-ascii' ? 'utf-8' : name).decode(bytes);
  } catch {
    // an unknown charset: the block is ASCII, which every charset here keeps
    return bytes.toString('latin1');
  }
}
