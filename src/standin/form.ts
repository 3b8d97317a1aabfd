// The form post: "tell me" with a mail address, or "no thanks". Parsed from
// application/x-www-form-urlencoded with every field bounded; the address is checked with the
// same rules the mailer applies, so nothing that could break a header is ever stored.
import { mailAddressProblem } from '../notify/mail-address';
import { safeReturnPath } from './escape';

export interface FormPost {
  readonly choice: 'yes' | 'no';
  /** As typed, spaces at the ends removed; '' for "no thanks". */
  readonly mail: string;
  readonly token: string | null;
  readonly returnPath: string;
  readonly lang: string | null;
}

export type FormResult = { readonly ok: true; readonly post: FormPost } | { readonly ok: false; readonly reason: string };

const MAX_FIELD = 1024;

export function parseFormPost(body: string, contentType: string | undefined): FormResult {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, reason: `content type '${type}' is not a form` };
  const fields = new Map<string, string>();
  for (const pair of body.split('&').slice(0, 16)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeField(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeField(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === null || value === null) return { ok: false, reason: 'a field is not valid percent-encoded UTF-8' };
    if (value.length > MAX_FIELD) return { ok: false, reason: `field '${name.slice(0, 20)}' is longer than ${MAX_FIELD} characters` };
    if (!fields.has(name)) fields.set(name, value); // the first of repeated fields counts
  }
  const choice = fields.get('choice') === 'no' ? 'no' : 'yes';
  const lang = fields.get('lang') ?? null;
  return {
    ok: true,
    post: {
      choice,
      mail: choice === 'no' ? '' : (fields.get('mail') ?? '').replace(/^ +| +$/g, ''),
      token: fields.get('csrf') ?? null,
      returnPath: safeReturnPath(fields.get('return')),
      lang: lang !== null && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang) ? lang : null,
    },
  };
}

function decodeField(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** Why the typed address cannot be used (for the log; the page shows a translated message), or null. */
export function mailInputProblem(mail: string): string | null {
  if (/[\r\n]/.test(mail)) return 'contains CR or LF';
  return mailAddressProblem(mail);
}
