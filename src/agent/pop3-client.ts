// A small POP3 client (RFC 1939, STLS from RFC 2595), just what the agent needs: log in with
// USER/PASS over TLS or STARTTLS, list messages with their unique ids, fetch one, mark it
// deleted, and QUIT (the server deletes only then). One command at a time; every wait has a
// deadline; every failure is a Pop3Error saying what to fix. docs/DELEGATION.md says why this
// is not an npm package.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsMode } from '../config/types';
import { Pop3ProtocolError, Pop3Reader } from './pop3-reader';

export interface Pop3Options {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly user: string;
  readonly password: string;
  /** PEM of the CA(s) to trust instead of the system's. */
  readonly ca?: string | Buffer;
  /** ms for connecting and for each answer (default 30 s). */
  readonly timeoutMs?: number;
  /** Largest message fetched, bytes (default 10 MiB). */
  readonly maxMessageBytes?: number;
}

export type Pop3ErrorKind = 'connect' | 'tls' | 'auth' | 'server' | 'protocol' | 'timeout' | 'closed';

export class Pop3Error extends Error {
  constructor(message: string, readonly kind: Pop3ErrorKind) {
    super(message);
    this.name = 'Pop3Error';
  }
}

export interface Pop3Listing {
  /** Message number in this session. */
  readonly n: number;
  readonly size: number;
  /** UIDL id, stable across sessions; null when the server has no UIDL. */
  readonly uid: string | null;
}

type Waiter =
  | { readonly kind: 'line'; resolve(line: string): void; reject(err: Error): void }
  | { readonly kind: 'block'; readonly max: number; resolve(block: Buffer): void; reject(err: Error): void };

const DEFAULT_MAX_MESSAGE = 10 * 1024 * 1024;

export class Pop3Client {
  private socket: net.Socket;
  private readonly reader = new Pop3Reader();
  private waiter: Waiter | null = null;
  private failure: Error | null = null;
  private readonly timeoutMs: number;
  private readonly maxMessage: number;
  private readonly where: string;
  /** The deadline of the answer being waited for; data arriving pushes it back (a large RETR). */
  private deadline: NodeJS.Timeout | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.deadline?.refresh();
    this.reader.push(chunk);
    this.pump();
  };

  private constructor(socket: net.Socket, private readonly options: Pop3Options) {
    this.socket = socket;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.where = `POP3 server ${options.host}:${options.port}`;
    this.attach(socket);
  }

  /** Connects, reads the greeting, upgrades to TLS when asked, and logs in. */
  static async connect(options: Pop3Options): Promise<Pop3Client> {
    const where = `POP3 server ${options.host}:${options.port}`;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const socket = await withDeadline<net.Socket>(timeoutMs, `${where}: no connection within ${timeoutMs / 1000} s`, (settle) => {
      const s = options.tls === 'tls'
        ? tls.connect({ host: options.host, port: options.port, ...tlsOptions(options) }, () => settle.ok(s))
        : net.connect({ host: options.host, port: options.port }, () => settle.ok(s));
      s.once('error', (err) => settle.fail(connectError(err, where, options)));
      return () => s.destroy();
    });
    const client = new Pop3Client(socket, options);
    try {
      const greeting = await client.status('the greeting');
      if (!greeting.startsWith('+OK')) throw new Pop3Error(`${where} refused the session: ${printable(greeting)}`, 'server');
      if (options.tls === 'starttls') await client.startTls();
      await client.login();
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  /** Every message with its size and unique id (UIDL; null ids when the server has none). */
  async list(): Promise<Pop3Listing[]> {
    const sizes = parseListing(await this.multi('LIST'), 'LIST');
    let uids = new Map<number, string>();
    const uidl = await this.command('UIDL', true, false);
    if (uidl !== null) uids = new Map([...parseListing(uidl, 'UIDL')].map(([n, v]) => [n, v]));
    return [...sizes].map(([n, size]) => ({ n, size: Number(size), uid: uids.get(n) ?? null }));
  }

  /** The whole message, CRLF line ends, as the server stores it. */
  async retrieve(n: number): Promise<Buffer> {
    return this.multi(`RETR ${n}`, this.maxMessage);
  }

  /** Marks a message deleted; the server removes it at quit(). */
  async delete(n: number): Promise<void> {
    await this.command(`DELE ${n}`, false, true);
  }

  /** Ends the session; the messages marked deleted are removed now. */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT', false, true);
    } finally {
      this.socket.end();
    }
  }

  /** Drops the connection without QUIT: nothing marked deleted is removed. */
  destroy(): void {
    this.failure ??= new Pop3Error(`${this.where}: session closed`, 'closed');
    this.socket.destroy();
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err) => this.fail(new Pop3Error(`${this.where}: ${err.message}`, 'closed')));
    socket.on('close', () => this.fail(new Pop3Error(`${this.where} closed the connection`, 'closed')));
  }

  private async startTls(): Promise<void> {
    const answer = await this.command('STLS', false, false);
    if (answer === null) {
      throw new Pop3Error(`${this.where} does not offer STLS; set pop3_tls 'tls' (port 995) if it speaks TLS from the start`, 'tls');
    }
    // Anything sent after the +OK and before the handshake was not protected by TLS and would be
    // read as if it were: refuse it (the STARTTLS command injection of CVE-2011-0411 and kin).
    if (this.reader.pending > 0) throw new Pop3Error(`${this.where} sent data before the TLS handshake; refusing the session`, 'tls');
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    // the TLS socket reports the connection's failures from now on; this keeps an error of the
    // plain socket from going unhandled meanwhile
    plain.on('error', () => {});
    const secure = await withDeadline<tls.TLSSocket>(this.timeoutMs, `${this.where}: no TLS handshake within ${this.timeoutMs / 1000} s`, (settle) => {
      const s = tls.connect({ socket: plain, ...tlsOptions(this.options) }, () => settle.ok(s));
      s.once('error', (err) => settle.fail(connectError(err, this.where, this.options)));
      return () => s.destroy();
    });
    this.socket = secure;
    this.attach(secure);
  }

  private async login(): Promise<void> {
    await this.command(`USER ${this.options.user}`, false, true, 'USER');
    const pass = await this.command(`PASS ${this.options.password}`, false, false, 'PASS');
    if (pass === null) {
      throw new Pop3Error(`${this.where} refused user '${this.options.user}': ${printable(this.lastErr)}; check pop3_user and pop3_password`, 'auth');
    }
  }

  private lastErr = '';

  /**
   * Sends `line`; resolves with the status line, or null on -ERR when `mustSucceed` is false
   * (-ERR throws otherwise). `shown` replaces the command in messages (so no password is).
   */
  private async command(line: string, multi: false, mustSucceed: boolean, shown?: string): Promise<string | null>;
  private async command(line: string, multi: true, mustSucceed: boolean, shown?: string): Promise<Buffer | null>;
  private async command(line: string, multi: boolean, mustSucceed: boolean, shown = line): Promise<string | Buffer | null> {
    if (/[\r\n]/.test(line)) throw new Pop3Error(`POP3 command ${shown}: holds a line break; check pop3_user and pop3_password`, 'protocol');
    if (this.failure !== null) throw this.failure;
    this.socket.write(`${line}\r\n`);
    const status = await this.status(shown);
    if (!status.startsWith('+OK')) {
      this.lastErr = status;
      if (status.startsWith('-ERR') && !mustSucceed) return null;
      if (status.startsWith('-ERR')) throw new Pop3Error(`${this.where} answered ${shown} with ${printable(status)}`, 'server');
      throw new Pop3Error(`${this.where} answered ${shown} with '${printable(status)}', which is not POP3`, 'protocol');
    }
    return multi ? this.block(shown, this.maxMessage) : status;
  }

  private async multi(line: string, max = 1024 * 1024): Promise<Buffer> {
    if (this.failure !== null) throw this.failure;
    this.socket.write(`${line}\r\n`);
    const status = await this.status(line);
    if (!status.startsWith('+OK')) throw new Pop3Error(`${this.where} answered ${line} with ${printable(status)}`, 'server');
    return this.block(line, max);
  }

  private status(what: string): Promise<string> {
    return this.wait<string>(what, (resolve, reject) => ({ kind: 'line', resolve, reject }));
  }

  private block(what: string, max: number): Promise<Buffer> {
    return this.wait<Buffer>(what, (resolve, reject) => ({ kind: 'block', max, resolve, reject }));
  }

  private wait<T>(what: string, make: (resolve: (v: T) => void, reject: (e: Error) => void) => Waiter): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure !== null) { reject(this.failure); return; }
      const timer = setTimeout(() => {
        this.fail(new Pop3Error(`${this.where}: no answer to ${what} within ${this.timeoutMs / 1000} s`, 'timeout'));
        this.socket.destroy();
      }, this.timeoutMs);
      this.deadline = timer;
      const settle = () => { clearTimeout(timer); if (this.deadline === timer) this.deadline = null; };
      this.waiter = make(
        (v) => { settle(); resolve(v as T); },
        (e) => { settle(); reject(e); },
      );
      this.pump();
    });
  }

  private pump(): void {
    const w = this.waiter;
    if (w === null) return;
    try {
      if (w.kind === 'line') {
        const line = this.reader.takeLine();
        if (line === null) return;
        this.waiter = null;
        w.resolve(line);
      } else {
        const block = this.reader.takeBlock(w.max);
        if (block === null) return;
        this.waiter = null;
        w.resolve(block);
      }
    } catch (err) {
      const message = err instanceof Pop3ProtocolError && err.kind === 'too-large'
        ? `${this.where}: ${err.message}; such a message is not a targets mail`
        : `${this.where}: ${err instanceof Error ? err.message : String(err)}`;
      this.fail(new Pop3Error(message, 'protocol'));
      this.socket.destroy();
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }
}

function tlsOptions(options: Pop3Options): tls.ConnectionOptions {
  return {
    // SNI takes host names only
    ...(net.isIP(options.host) === 0 ? { servername: options.host } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    rejectUnauthorized: true,
  };
}

function connectError(err: NodeJS.ErrnoException, where: string, options: Pop3Options): Pop3Error {
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME|ISSUER/.test(code)) {
    return new Pop3Error(`${where}: its TLS certificate is not trusted (${code}: ${err.message}); ` +
      (options.ca === undefined ? 'give the CA that signed it as option pop3_ca' : 'check option pop3_ca and pop3_host'), 'tls');
  }
  if (/^ERR_SSL|EPROTO/.test(code)) {
    return new Pop3Error(`${where}: TLS failed (${code}: ${err.message}); check pop3_tls and pop3_port`, 'tls');
  }
  return new Pop3Error(`${where}: ${code !== '' ? `${code} ` : ''}${err.message}`, 'connect');
}

interface Settle<T> { ok(value: T): void; fail(err: Error): void }

/** Runs `start`, which settles once; after `ms` without that, cancels it and rejects. */
function withDeadline<T>(ms: number, message: string, start: (settle: Settle<T>) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      cancel();
      reject(new Pop3Error(message, 'timeout'));
    }, ms);
    const cancel = start({
      ok: (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } },
      fail: (e) => { if (!done) { done = true; clearTimeout(timer); cancel(); reject(e); } },
    });
  });
}

/** "N VALUE" lines of LIST and UIDL. */
function parseListing(block: Buffer, what: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of block.toString('latin1').split('\r\n')) {
    if (line === '') continue;
    const m = /^(\d+) +(\S+)/.exec(line);
    if (m === null) throw new Pop3Error(`POP3 ${what} line '${printable(line)}' is not 'NUMBER VALUE'`, 'protocol');
    out.set(Number(m[1]), m[2]);
  }
  return out;
}

function printable(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f-\u00ff]/g, '?');
  return one.length > 200 ? `${one.slice(0, 197)}...` : one;
}
