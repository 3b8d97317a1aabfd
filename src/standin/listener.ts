// One hardened HTTP/1 listener: short header and request deadlines (slowloris), small headers,
// no keep-alive, the connection gate (connection-gate.ts) over all listeners, and anything that
// is not HTTP answered 400 and counted. The listener itself knows nothing of pages.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../node-http';
import type { Socket } from 'node:net';
import type { ConnectionGate, GateCounters } from './connection-gate';
import type { StandInSettings } from './settings';

export interface ListenerCounters extends GateCounters {
  /** Bytes that were not HTTP (answered 400). */
  notHttp: number;
  /** Header block larger than the limit (answered 431). */
  headersTooLarge: number;
  /** Headers or request not complete in time (answered 408 and closed). */
  timeouts: number;
  /** Connections reset or broken by the client. */
  connectionErrors: number;
}

export function newListenerCounters(): ListenerCounters {
  return { connectionsRefused: 0, connectionsEvicted: 0, notHttp: 0, headersTooLarge: 0, timeouts: 0, connectionErrors: 0 };
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly settings: StandInSettings;
  readonly gate: ConnectionGate;
  readonly counters: ListenerCounters;
  readonly onRequest: RequestHandler;
}

function rawAnswer(status: string): string {
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\nCache-Control: no-store\r\n\r\n`;
}

/** Starts a listener; resolves once it listens, rejects with the bind error (EADDRINUSE ...). */
export function openListener(o: ListenerOptions): Promise<Server> {
  const server = nodeHttp().createServer({
    maxHeaderSize: 8192,
    headersTimeout: o.settings.headersTimeout * 1000,
    requestTimeout: o.settings.requestTimeout * 1000,
    keepAlive: false,
    // How often the deadlines above are checked; Node's default (30 s) would let a slow client
    // hold a connection for up to 30 s past them.
    connectionsCheckingInterval: 500,
    // The page never reads Host; HTTP/1.0 clients without one still get it.
    requireHostHeader: false,
  }, (req, res) => {
    o.gate.requestArrived(req, res);
    o.onRequest(req, res);
  });
  server.maxHeadersCount = 64;
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket: Socket) => {
    if (!o.gate.admit(socket)) socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      o.counters.connectionErrors++;
      socket.destroy();
      return;
    }
    let status = '400 Bad Request';
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') { o.counters.timeouts++; status = '408 Request Timeout'; }
    else if (err.code === 'HPE_HEADER_OVERFLOW') { o.counters.headersTooLarge++; status = '431 Request Header Fields Too Large'; }
    else o.counters.notHttp++;
    socket.end(rawAnswer(status));
    socket.destroySoon();
  });
  // CONNECT is not for us; without a listener Node would just drop the socket uncounted.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    o.counters.notHttp++;
    socket.end(rawAnswer('405 Method Not Allowed'));
  });
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off('error', failed);
      // A listener error after start (EMFILE ...) must not take the daemon down.
      server.on('error', () => { o.counters.connectionErrors++; });
      resolve(server);
    });
  });
}

/** Stops accepting, lets open answers finish for `graceMs`, then cuts what is left. */
export function closeListener(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.once('close', () => clearTimeout(timer));
  });
}
