// Mail address syntax, checked before an address reaches a header or an SMTP command.
// Deliberately narrower than RFC 5321/5322: a dot-atom local part and a host-name domain
// (IDN domains in their xn-- form). Quoted local parts, address literals, comments and
// non-ASCII are refused: a recovery notice does not need them, and each is a way to smuggle
// text into a header.

const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Why `text` is not an acceptable mail address, or null when it is. */
export function mailAddressProblem(text: string): string | null {
  if (typeof text !== 'string' || text.length === 0) return 'is empty';
  if (text.length > 254) return 'is longer than 254 characters';
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'contains a control character (CR, LF, TAB, ...)';
  if (/[^\u0020-\u007e]/.test(text)) return 'contains a non-ASCII character (write the domain as xn--...)';
  const at = text.lastIndexOf('@');
  if (at <= 0) return "has no local part before '@'";
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length > 64) return 'has a local part longer than 64 characters';
  for (const atom of local.split('.')) {
    if (atom.length === 0) return "has an empty part between dots, or a leading/trailing '.', before '@'";
    if (!ATEXT.test(atom)) return `has a character not allowed in a local part in '${local}'`;
  }
  if (domain.length === 0) return "has no domain after '@'";
  if (domain.length > 253) return 'has a domain longer than 253 characters';
  for (const label of domain.split('.')) {
    if (!LABEL.test(label)) return `has a domain '${domain}' that is not a host name (letters, digits, '-', dots)`;
  }
  return null;
}

export function isMailAddress(text: string): boolean {
  return mailAddressProblem(text) === null;
}

/** The form used for dedup: the domain is case-insensitive, and so in practice is the local part. */
export function normalizeMailAddress(address: string): string {
  return address.toLowerCase();
}

export interface Mailbox {
  readonly name: string | null;
  readonly address: string;
}

/**
 * Reads a configured sender, "addr", "<addr>" or "Display Name <addr>".
 * Throws an error naming the value and the fix.
 */
export function parseMailbox(text: string, where: string): Mailbox {
  const trimmed = text.trim();
  const angle = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
  const address = angle ? angle[2] : trimmed;
  const problem = mailAddressProblem(address);
  if (problem !== null) {
    throw new Error(`${where}: mail address '${printable(address)}' ${problem}; write it as name@host.example`);
  }
  const rawName = angle ? angle[1].trim().replace(/^"(.*)"$/, '$1') : '';
  return { name: rawName === '' ? null : rawName, address };
}

/** Shows an untrusted value in an error message without letting it break the line. */
export function printable(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text).slice(1, -1);
}
