// Everything that reaches the page goes through here. Attribute values are always written in
// double quotes, so escaping these five characters is enough for text and attributes alike.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** "alice@example.org" -> "a***@example.org": enough to recognise one's own, not to read another's. */
export function maskMail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

/**
 * The path the page returns to when the server is back: the request's own path when it is a
 * plain local one, else "/". Never "//host" or "/\host" (the browser reads those as another
 * site), never an absolute URL, never control characters.
 */
export function safeReturnPath(target: string | undefined): string {
  if (target === undefined || target.length === 0 || target.length > 1024) return '/';
  if (target[0] !== '/' || target[1] === '/' || target[1] === '\\') return '/';
  if (/[\u0000-\u0020\u007f\\]/.test(target)) return '/';
  return target;
}
