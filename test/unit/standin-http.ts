// Small HTTP clients for the stand-in: whole requests, raw bytes over one connection (for
// what is not HTTP, or arrives slowly), the page's event stream. Used in-process by the unit
// tests (127.0.0.1, distinct 127.x client addresses) and inside the lab's client namespace.
import { request } from 'node:http';
import { connect } from 'node:net';

/** Where the stand-in answers: a port on 127.0.0.1, or an address and port (the lab's down server). */
export type Target = number | { readonly host: string; readonly port: number };

const hostOf = (t: Target) => (typeof t === 'number' ? '127.0.0.1' : t.host);
const portOf = (t: Target) => (typeof t === 'number' ? t : t.port);

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Ask {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's (local) address; any 127.x.y.z works against 127.0.0.1. */
  from?: string;
}

export function fetchPage(port: Target, a: Ask = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostOf(port), port: portOf(port), method: a.method ?? 'GET', path: a.path ?? '/', headers: a.headers ?? {},
      ...(a.from !== undefined ? { localAddress: a.from } : {}), agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(a.body);
  });
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/** The form token of a page. */
export function tokenOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no form token in the page:\n${html.slice(0, 500)}`);
  return m[1];
}

/** Gets a page as `from`, then posts the form with its token. */
export async function register(port: Target, fields: Record<string, string>, from?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const page = await fetchPage(port, { from, headers });
  return fetchPage(port, {
    method: 'POST', path: '/.backsoon/register', from,
    headers: { ...FORM_HEADERS, ...headers }, body: form({ csrf: tokenOf(page.body), ...fields }),
  });
}

export interface RawReply {
  /** Everything the server sent before it closed. */
  text: string;
  /** The server closed the connection (false: the client gave up at its deadline). */
  closedByServer: boolean;
}

/** Sends `chunks` (each after `gapMs`) over one connection and reads until the server closes. */
export function raw(port: Target, chunks: (string | Buffer)[], gapMs = 0, giveUpMs = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostOf(port), port: portOf(port) });
    let text = '';
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    const deadline = setTimeout(() => finish(false), giveUpMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else if (!settled) { settled = true; clearTimeout(deadline); reject(err); }
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (settled) return;
        socket.write(c);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

/** Opens the page's event stream and resolves with what arrived until the server closed it. */
export function eventStream(port: Target, from?: string): { opened: Promise<Reply>; ended: Promise<string> } {
  let opened!: (r: Reply) => void;
  let ended!: (s: string) => void;
  const o = new Promise<Reply>((r) => (opened = r));
  const e = new Promise<string>((r) => (ended = r));
  const req = request({ host: hostOf(port), port: portOf(port), path: '/.backsoon/events', ...(from !== undefined ? { localAddress: from } : {}), agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      body += d;
      if (body.startsWith('retry:')) opened({ status: res.statusCode ?? 0, headers: res.headers, body });
    });
    res.on('end', () => { opened({ status: res.statusCode ?? 0, headers: res.headers, body }); ended(body); });
    res.on('error', () => ended(body));
  });
  req.on('error', () => ended(''));
  req.end();
  return { opened: o, ended: e };
}
