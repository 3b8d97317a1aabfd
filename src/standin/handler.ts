// Answers one request on the listener of one down server: any path and method gets the page
// (503 with Retry-After), except the form post and the event stream. Nothing from the request
// is shown but the path the page returns to (made safe, escaped) and the typed address
// (escaped); the server's name and address come from backsoon's tables.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseIp, type IpAddress } from '../net/ip';
import { formatMac } from '../net/mac';
import { normalizeMailAddress } from '../notify/mail-address';
import type { UtcOffset } from '../notify/time-format';
import { networkOf } from './connection-gate';
import type { CsrfTokens } from './csrf';
import type { DeclinedClients } from './declined';
import { safeReturnPath } from './escape';
import type { EventStreams } from './events';
import { mailInputProblem, parseFormPost, type FormPost } from './form';
import { chooseCatalog, type Catalog } from './i18n';
import { macOfNeighbour } from './neighbour';
import {
  contentSecurityPolicy, EVENTS_PATH, REGISTER_PATH, renderBack, renderConfirmation, renderDeclined, renderDownPage,
  renderProblem, type Offer, type PageContext, type Problem, type ServerView,
} from './page';
import type { WindowLimiter } from './rate-limit';
import type { StandInSettings } from './settings';
import type { StandInCallbacks, StandInCounters } from './types';

export interface HandlerDeps {
  readonly settings: StandInSettings;
  readonly catalogs: readonly Catalog[];
  readonly csrf: CsrfTokens;
  readonly callbacks: StandInCallbacks;
  readonly clientPosts: WindowLimiter;
  readonly addressRegistrations: WindowLimiter;
  readonly events: EventStreams;
  /** Is traffic to this server (its address's text) still redirected here? Also while its redirect is being removed. */
  readonly redirected: (server: string) => boolean;
  readonly declined: DeclinedClients;
  readonly counters: StandInCounters;
  readonly utcOffset: UtcOffset;
}

/** Seconds a browser should wait before trying the down server again. */
const RETRY_AFTER = '30';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  connection: 'close',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, { ...PAGE_HEADERS, 'content-security-policy': contentSecurityPolicy(), 'content-length': String(body.length), ...extra });
  res.end(body);
}

/**
 * The client's address as the socket shows it (an IPv4 client of a dual-stack listener arrives
 * as ::ffff:a.b.c.d and is IPv4); null only for a socket already gone.
 */
function clientOf(req: IncomingMessage): IpAddress | null {
  return parseIp(req.socket.remoteAddress ?? '');
}

/** The client's address as text (keys of the rate limits, the form token, the page). */
function clientText(client: IpAddress | null): string {
  return client?.text ?? '?';
}

function queryLang(url: string): string | null {
  const q = url.indexOf('?');
  if (q < 0) return null;
  const m = /(?:^|&)lang=([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)(?:&|$)/.exec(url.slice(q + 1));
  return m ? m[1] : null;
}

export function handleRequest(d: HandlerDeps, server: IpAddress, req: IncomingMessage, res: ServerResponse): void {
  req.on('error', () => res.destroy());
  try {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    if (path === EVENTS_PATH && req.method === 'GET') eventStream(d, server, req, res);
    else if (path === REGISTER_PATH && req.method === 'POST') formPost(d, server, req, res).catch((err) => failed(d, res, err));
    else downPage(d, server, req, res, url).catch((err) => failed(d, res, err));
  } catch (err) {
    failed(d, res, err);
  }
}

function failed(d: HandlerDeps, res: ServerResponse, err: unknown): void {
  d.counters.internalErrors++;
  d.callbacks.log('error', `stand-in: answering a request failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
    res.end('internal error\n');
  } else {
    res.destroy();
  }
}

/** The page's context; the policy's text is awaited (the daemon bounds how long). */
async function context(d: HandlerDeps, server: IpAddress, view: ServerView, client: IpAddress | null, catalog: Catalog, returnPath: string): Promise<PageContext> {
  const now = d.callbacks.now();
  const extraText = client === null ? null : limitText(await d.callbacks.pageText?.(server, client, catalog.tag) ?? null);
  return {
    catalog,
    catalogs: d.catalogs,
    server: view,
    client: clientText(client),
    now,
    utcOffset: d.utcOffset,
    returnPath,
    token: d.csrf.issue(clientText(client), server.text, now),
    extraText,
  };
}

function limitText(text: string | null): string | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}

/** A return path that is not one of the stand-in's own. */
function returnPathOf(url: string): string {
  const path = safeReturnPath(url);
  return path.startsWith('/.backsoon/') ? '/' : path;
}

/** `mac`: the client's, from macOf (0: not known). */
function offerFor(d: HandlerDeps, server: IpAddress, client: IpAddress | null, mac: number, now: number): Offer {
  if (d.declined.has(server.text, clientText(client))) return { kind: 'declined' };
  const known = client === null ? null : d.callbacks.lookupContact(server, client, mac);
  if (known === null) return { kind: 'ask' };
  if (known.source === 'config') return { kind: 'known', mail: known.mail, configured: true };
  if (now - known.registeredAt < d.settings.reaskAfter) return { kind: 'known', mail: known.mail, configured: false };
  return { kind: 'stale', mail: known.mail, registeredAt: known.registeredAt };
}

async function downPage(d: HandlerDeps, server: IpAddress, req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
  const catalog = chooseCatalog(d.catalogs, req.headers['accept-language'], queryLang(url));
  const returnPath = returnPathOf(url);
  const view = d.callbacks.serverInfo(server);
  if (view === null) {
    send(res, 503, renderBack(catalog, server.text, returnPath), { 'retry-after': '1' });
    return;
  }
  const client = clientOf(req);
  const now = d.callbacks.now();
  // The neighbour table is read once per page: the attempt and the offer take the same MAC.
  const mac = client === null ? 0 : macOf(d, client);
  if (client !== null) d.callbacks.noticeAttempt?.(server, client, now, mac);
  d.counters.pages++;
  const c = await context(d, server, view, client, catalog, returnPath);
  send(res, 503, renderDownPage(c, offerFor(d, server, client, mac, now)), { 'retry-after': RETRY_AFTER });
}

/** The client's MAC from the router's neighbour table (0: not known, e.g. not on the link). */
function macOf(d: HandlerDeps, client: IpAddress): number {
  return d.callbacks.macOf ? d.callbacks.macOf(client) : macOfNeighbour(client);
}

/**
 * A page's stream. The page reloads at its "back" event, so that event waits until the redirect
 * is gone: told earlier (the engine has the server back, the stand-in has not yet removed its
 * rules), the page would reload into the stand-in again. It goes at once only when the redirect
 * is already gone and a connection made before still reaches the listener.
 */
function eventStream(d: HandlerDeps, server: IpAddress, req: IncomingMessage, res: ServerResponse): void {
  d.events.attach(server.text, clientText(clientOf(req)), res, !d.redirected(server.text));
}

/** Reads the body up to max_body; null (after answering 413) when it is larger. */
function readBody(d: HandlerDeps, req: IncomingMessage, res: ServerResponse, catalog: Catalog): Promise<string | null> {
  const tooLarge = () => {
    d.counters.tooLarge++;
    send(res, 413, renderProblem(catalog, 'tooLarge'));
    // Nothing more of this body is read; the connection closes once the answer is out.
    res.on('finish', () => req.socket.destroy());
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > d.settings.maxBody) {
    tooLarge();
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > d.settings.maxBody) {
        done = true;
        req.pause();
        tooLarge();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks).toString('utf8')); } });
    req.on('close', () => { if (!done) { done = true; resolve(null); } });
  });
}

async function formPost(d: HandlerDeps, server: IpAddress, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  let catalog = chooseCatalog(d.catalogs, req.headers['accept-language'], queryLang(url));
  const client = clientOf(req);
  const who = clientText(client);
  // Every post counts, valid or not, so a flood is cut before any work is done for it. An IPv6
  // client picks any address of its /64 (RFC 8981), so the /64 is what is counted.
  const verdict = d.clientPosts.take(client?.family === 6 ? networkOf(client.text) : who, d.callbacks.now());
  if (!verdict.allowed) {
    d.counters.refused.clientRate++;
    problem(res, 429, catalog, 'tooManyClient', { minutes: String(Math.ceil(verdict.retryAfter / 60)) }, verdict.retryAfter);
    res.on('finish', () => req.socket.destroy());
    return;
  }
  const body = await readBody(d, req, res, catalog);
  if (body === null) return;
  const form = parseFormPost(body, req.headers['content-type']);
  if (!form.ok || client === null) {
    d.counters.refused.badForm++;
    problem(res, 400, catalog, 'badRequest');
    return;
  }
  const post = form.post;
  if (post.lang) catalog = chooseCatalog(d.catalogs, undefined, post.lang);
  const view = d.callbacks.serverInfo(server);
  if (view === null) {
    d.counters.refused.notDown++;
    send(res, 503, renderBack(catalog, server.text, post.returnPath), { 'retry-after': '1' });
    return;
  }
  const now = d.callbacks.now();
  const c = await context(d, server, view, client, catalog, post.returnPath);
  if (!d.csrf.check(post.token, who, server.text, now)) {
    d.counters.refused.csrf++;
    // The form again, with a fresh token; but not for the operator's address, which has none.
    const offer = offerFor(d, server, client, macOf(d, client), now);
    const again: Offer = offer.kind === 'known' && offer.configured ? offer : { kind: 'ask', error: 'expired', typed: printableTyped(post) };
    send(res, 403, renderDownPage(c, again));
    return;
  }
  if (post.choice === 'no') {
    d.declined.add(server.text, who);
    d.counters.declined++;
    d.callbacks.declined?.(server, client, now);
    send(res, 200, renderDeclined(c));
    return;
  }
  const why = mailInputProblem(post.mail);
  if (why !== null) {
    d.counters.refused.badMail++;
    d.callbacks.log('debug', `stand-in: ${who} gave an unusable address for ${server.text}: ${why}`);
    send(res, 400, renderDownPage(c, { kind: 'ask', error: 'badMail', typed: printableTyped(post) }));
    return;
  }
  const address = d.addressRegistrations.take(normalizeMailAddress(post.mail), now);
  if (!address.allowed) {
    d.counters.refused.addressRate++;
    problem(res, 429, catalog, 'tooManyAddress', { hours: String(Math.ceil(address.retryAfter / 3600)) }, address.retryAfter, post.returnPath);
    return;
  }
  const mac = macOf(d, client);
  const outcome = await d.callbacks.register(server, client, mac, post.mail, now);
  if (outcome === 'not-down') {
    d.counters.refused.notDown++;
    send(res, 503, renderBack(catalog, view.name, post.returnPath), { 'retry-after': '1' });
    return;
  }
  if (outcome === 'full') {
    d.counters.refused.tableFull++;
    problem(res, 503, catalog, 'full', {}, 60, post.returnPath);
    return;
  }
  if (outcome === 'configured' || outcome === 'other-device') {
    // Someone else's contact stays: the operator's, or another device's (docs/SECURITY.md, "Registrations").
    if (outcome === 'configured') d.counters.refused.configured++;
    else d.counters.refused.otherDevice++;
    d.callbacks.log('info', `stand-in: registration from ${who} (MAC ${mac === 0 ? 'not known' : formatMac(mac)}) for ${server.text} refused: ` +
      (outcome === 'configured' ? 'the configuration names a contact for this address or device' : 'the address is registered from another device'));
    problem(res, 409, catalog, outcome === 'configured' ? 'configured' : 'otherDevice', {}, undefined, post.returnPath);
    return;
  }
  if (outcome === 'not-saved') {
    d.counters.refused.notSaved++;
    problem(res, 503, catalog, 'notSaved', {}, 60, post.returnPath);
    return;
  }
  d.declined.remove(server.text, who);
  d.counters.registrations++;
  d.callbacks.log('info', `stand-in: ${who} registered for the return of ${view.name} (${server.text})`);
  send(res, 200, renderConfirmation(c, post.mail));
}

/** The typed address shown again for correction, unless it holds control characters. */
function printableTyped(post: FormPost): string {
  return /[\u0000-\u001f\u007f]/.test(post.mail) ? '' : post.mail.slice(0, 254);
}

function problem(res: ServerResponse, status: number, catalog: Catalog, what: Problem, vals: Record<string, string> = {},
  retryAfter?: number, returnPath: string | null = null): void {
  send(res, status, renderProblem(catalog, what, vals, returnPath), retryAfter !== undefined ? { 'retry-after': String(Math.ceil(retryAfter)) } : {});
}
