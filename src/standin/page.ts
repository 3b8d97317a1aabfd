// The pages (the patent's Fig. 32): the server is down, your attempt was noticed, shall we tell
// you; the confirmation; short message pages. Plain HTML with a little CSS; the one script only
// adds the self-reload. Every value comes from backsoon's own tables or is escaped.
import { nodeCrypto } from '../node-crypto';
import { escapeHtml, maskMail } from './escape';
import { fillHtml, fillText, type Catalog, type Messages } from './i18n';
import { durationParts, type UtcOffset } from '../notify/time-format';

export const EVENTS_PATH = '/.backsoon/events';
export const REGISTER_PATH = '/.backsoon/register';

const CSS = [
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK JP",sans-serif;background:#f3f4f6;color:#1d232b}',
  'main{max-width:36rem;margin:2.5rem auto;padding:1.75rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}',
  'h1{font-size:1.35rem;line-height:1.3;margin:0 0 1rem;color:#9b2c2c}',
  'h1.ok{color:#21633a}',
  '.v{font-weight:600}',
  '.ask{border-top:1px solid #e2e5e9;margin-top:1.25rem;padding-top:1rem}',
  'label{display:block;font-weight:600;margin-bottom:.3rem}',
  'input[type=email]{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8d97a3;border-radius:4px}',
  '.buttons{margin-top:.8rem;display:flex;gap:.5rem;flex-wrap:wrap}',
  'button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #1f5fbf;background:#1f5fbf;color:#fff;cursor:pointer}',
  'button.no{background:#fff;color:#1f5fbf}',
  '.error{color:#9b2c2c;font-weight:600}',
  '.mail{font-size:1.15rem;font-weight:600;padding:.5rem .75rem;background:#eef4ff;border-radius:4px;word-break:break-all}',
  '.small,footer,nav{font-size:.85rem;color:#56606b}',
  'summary{cursor:pointer;color:#1f5fbf}',
  '.js-only{display:none}.js .js-only{display:inline}',
  'nav{margin-top:1.25rem}nav a,nav span{margin-right:.75rem}nav a{color:#1f5fbf}',
  'footer{margin-top:1rem;border-top:1px solid #e2e5e9;padding-top:.75rem}',
].join('');

// The page asks its own listener (same origin: the down server's address) to say when the
// server is back, then loads the page the user wanted. Each response closes its connection,
// so that load opens a new one, which after recovery is no longer redirected.
const SCRIPT = [
  '(function(){var d=document.documentElement;d.className+=" js";',
  'if(!window.EventSource)return;',
  'var back=d.getAttribute("data-return")||"/",gone=false;',
  `var es=new EventSource(${JSON.stringify(EVENTS_PATH)});`,
  'function go(){if(gone)return;gone=true;es.close();location.replace(back);}',
  'es.addEventListener("back",go);',
  // Closed for good (not a stand-in any more, e.g. the real server answered): try the page.
  'es.onerror=function(){if(es.readyState===2)setTimeout(go,5000);};',
  '})();',
].join('');

const sha256 = (text: string) => `'sha256-${nodeCrypto().createHash('sha256').update(text).digest('base64')}'`;

let csp: string | null = null;

/**
 * Only the inline style and script above may run; the form may post only to its own origin.
 * Made at the first page (the hashes need node:crypto, which a daemon at rest leaves unloaded).
 */
export function contentSecurityPolicy(): string {
  return csp ??= [
    "default-src 'none'",
    `style-src ${sha256(CSS)}`,
    `script-src ${sha256(SCRIPT)}`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface ServerView {
  readonly name: string;
  readonly address: string;
  /** Unix seconds: when the outage began. */
  readonly since: number;
}

export interface PageContext {
  readonly catalog: Catalog;
  /** Every catalog, for the language links. */
  readonly catalogs: readonly Catalog[];
  readonly server: ServerView;
  readonly client: string;
  readonly now: number;
  readonly utcOffset: UtcOffset;
  /** Where the page goes when the server is back (already made safe). */
  readonly returnPath: string;
  /** The form token for this client and server. */
  readonly token: string;
  /** Text from the operator's policy (plain text, shown escaped). */
  readonly extraText?: string | null;
}

/** What the down page offers (Fig. 32(1)). */
export type Offer =
  | { readonly kind: 'ask'; readonly error?: 'badMail' | 'expired'; readonly typed?: string }
  /** `configured`: the operator's address (config contact), which the page cannot change. */
  | { readonly kind: 'known'; readonly mail: string; readonly configured: boolean }
  | { readonly kind: 'stale'; readonly mail: string; readonly registeredAt: number }
  | { readonly kind: 'declined' };

const two = (n: number) => String(n).padStart(2, '0');

/** "2026-11-25 22:43 (UTC+09:00)" on the router's clock. */
export function formatPageTime(t: number, utcOffset: UtcOffset): string {
  const offset = utcOffset(t);
  const d = new Date((Math.floor(t) + offset * 60) * 1000);
  const abs = Math.abs(offset);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} ` +
    `(UTC${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)})`;
}

/** The page's wording of a duration, in the visitor's language: the same units as the notices'. */
export function formatPageDuration(seconds: number, m: Messages): string {
  const p = durationParts(seconds);
  switch (p.unit) {
    case 's': return fillText(m.agoSeconds, { s: String(p.s) });
    case 'min': return fillText(m.agoMinutes, { m: String(p.m) });
    case 'h': return fillText(m.agoHours, { h: String(p.h), m: String(p.m) });
    case 'd': return fillText(m.agoDays, { d: String(p.d), h: String(p.h) });
  }
}

interface Layout {
  readonly lang: string;
  readonly title: string;
  readonly body: string;
  /** Keep an event stream open and go to returnPath when the server is back. */
  readonly live: string | null;
}

function layout(l: Layout): string {
  const live = l.live === null ? '' : ` data-return="${escapeHtml(l.live)}"`;
  return '<!doctype html>\n' +
    `<html lang="${escapeHtml(l.lang)}"${live}><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="robots" content="noindex"><title>${escapeHtml(l.title)}</title><style>${CSS}</style></head>\n` +
    `<body><main>\n${l.body}</main>` + (l.live === null ? '' : `<script>${SCRIPT}</script>`) + '</body></html>\n';
}

function hiddenFields(c: PageContext): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(c.token)}">` +
    `<input type="hidden" name="return" value="${escapeHtml(c.returnPath)}">` +
    `<input type="hidden" name="lang" value="${escapeHtml(c.catalog.tag)}">`;
}

function mailForm(c: PageContext, yesLabel: string, typed = ''): string {
  const m = c.catalog.messages;
  return `<form method="post" action="${REGISTER_PATH}">${hiddenFields(c)}\n` +
    `<label for="mail">${escapeHtml(m.mailLabel)}</label>` +
    `<input type="email" id="mail" name="mail" autocomplete="email" maxlength="254" required value="${escapeHtml(typed)}">\n` +
    `<div class="buttons"><button type="submit" name="choice" value="yes">${escapeHtml(yesLabel)}</button>` +
    `<button type="submit" name="choice" value="no" class="no" formnovalidate>${escapeHtml(m.no)}</button></div>` +
    `<p class="small">${escapeHtml(m.privacy)}</p></form>\n`;
}

function reloadNote(m: Messages): string {
  return `<p class="small"><span class="js-only">${escapeHtml(m.reloadAuto)}</span><noscript>${escapeHtml(m.reloadManual)}</noscript></p>\n`;
}

function languageLinks(c: PageContext): string {
  if (c.catalogs.length < 2) return '';
  const links = c.catalogs.map((cat) => cat.tag === c.catalog.tag
    ? `<span lang="${escapeHtml(cat.tag)}">${escapeHtml(cat.messages.language)}</span>`
    : `<a lang="${escapeHtml(cat.tag)}" href="?lang=${encodeURIComponent(cat.tag)}">${escapeHtml(cat.messages.language)}</a>`);
  return `<nav>${links.join('')}</nav>\n`;
}

function footer(c: PageContext): string {
  return `<footer>${fillHtml(c.catalog.messages.footer, { name: c.server.name, address: c.server.address })}</footer>\n`;
}

function values(c: PageContext): Record<string, string> {
  return {
    name: c.server.name,
    address: c.server.address,
    since: formatPageTime(c.server.since, c.utcOffset),
    duration: formatPageDuration(c.now - c.server.since, c.catalog.messages),
    client: c.client,
  };
}

/** Fig. 32(1): the server is down, since when, this attempt was noticed, and the offer. */
export function renderDownPage(c: PageContext, offer: Offer): string {
  const m = c.catalog.messages;
  const v = values(c);
  let ask = '';
  switch (offer.kind) {
    case 'ask':
      ask = `<p>${escapeHtml(m.ask)}</p>\n` +
        (offer.error ? `<p class="error" role="alert">${escapeHtml(m[offer.error])}</p>\n` : '') +
        mailForm(c, m.yes, offer.typed);
      break;
    case 'stale':
      ask = `<p>${escapeHtml(m.ask)}</p>\n<p>${fillHtml(m.stale, { mail: maskMail(offer.mail), date: formatPageTime(offer.registeredAt, c.utcOffset) })}</p>\n` +
        mailForm(c, m.yes);
      break;
    case 'known':
      // A form for the operator's address would only be refused (409 'configured'): none is offered.
      ask = offer.configured
        ? `<p>${fillHtml(m.knownConfigured, { mail: maskMail(offer.mail) })}</p>\n`
        : `<p>${fillHtml(m.known, { mail: maskMail(offer.mail) })}</p>\n` +
          `<details><summary>${escapeHtml(m.change)}</summary>${mailForm(c, m.change)}</details>\n`;
      break;
    case 'declined':
      ask = `<p>${escapeHtml(m.declined)}</p>\n<details><summary>${escapeHtml(m.changedMind)}</summary>${mailForm(c, m.yes)}</details>\n`;
      break;
  }
  const body = `<h1>${fillHtml(m.heading, v)}</h1>\n<p>${fillHtml(m.down, v)}</p>\n<p>${fillHtml(m.noticed, v)}</p>\n` +
    (c.extraText ? `<p>${escapeHtml(c.extraText)}</p>\n` : '') +
    `<section class="ask">${ask}</section>\n` + reloadNote(m) + languageLinks(c) + footer(c);
  return layout({ lang: c.catalog.tag, title: fillText(m.title, v), body, live: c.returnPath });
}

/** Fig. 32(2): the address is registered. */
export function renderConfirmation(c: PageContext, mail: string): string {
  const m = c.catalog.messages;
  const v = values(c);
  const body = `<h1 class="ok">${escapeHtml(m.confirmTitle)}</h1>\n<p>${fillHtml(m.confirmed, v)}</p>\n` +
    `<p class="mail">${escapeHtml(mail)}</p>\n<p>${fillHtml(m.down, v)}</p>\n` + reloadNote(m) + footer(c);
  return layout({ lang: c.catalog.tag, title: m.confirmTitle, body, live: c.returnPath });
}

/** "No thanks" was chosen (P15). */
export function renderDeclined(c: PageContext): string {
  const m = c.catalog.messages;
  const v = values(c);
  const body = `<h1 class="ok">${escapeHtml(m.declinedTitle)}</h1>\n<p>${fillHtml(m.declinedDone, v)}</p>\n` +
    `<p>${fillHtml(m.down, v)}</p>\n` + reloadNote(m) + footer(c);
  return layout({ lang: c.catalog.tag, title: m.declinedTitle, body, live: c.returnPath });
}

/** The server is no longer down: a link back to what the user wanted, and the reload once the redirect is gone. */
export function renderBack(catalog: Catalog, name: string, returnPath: string): string {
  const m = catalog.messages;
  const body = `<h1 class="ok">${fillHtml(m.back, { name })}</h1>\n<p><a href="${escapeHtml(returnPath)}">${escapeHtml(m.backLink)}</a></p>\n`;
  // Live: shown while the redirect is still being removed, it moves on once that is done.
  return layout({ lang: catalog.tag, title: fillText(m.back, { name }), body, live: returnPath });
}

export type Problem = 'tooManyClient' | 'tooManyAddress' | 'tooLarge' | 'badRequest' | 'full' | 'notSaved' | 'configured' | 'otherDevice';

/** A refusal, in the client's language; `values` fills {minutes} and {hours}. */
export function renderProblem(catalog: Catalog, problem: Problem, vals: Record<string, string> = {}, returnPath: string | null = null): string {
  const m = catalog.messages;
  const text = fillHtml(m[problem], vals);
  const link = returnPath === null ? '' : `<p><a href="${escapeHtml(returnPath)}">${escapeHtml(m.backLink)}</a></p>\n`;
  return layout({ lang: catalog.tag, title: fillText(m[problem], vals), body: `<h1>${text}</h1>\n${link}`, live: null });
}
