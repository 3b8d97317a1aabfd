// The control socket: a unix socket only root can open (mode 0600), one JSON request per
// line, one JSON answer per line. `backsoon status` and the rpcd plugin speak it.

import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { StatusReport } from './status';

export type ControlHandler = (request: { cmd: string; [k: string]: unknown }) => unknown;

const MAX_REQUEST = 64 * 1024;

export class ControlServer {
  private server: Server | null = null;
  badRequests = 0;

  constructor(private readonly path: string, private readonly handle: ControlHandler, private readonly onError: (msg: string) => void) {}

  async start(): Promise<void> {
    try { unlinkSync(this.path); } catch { /* no stale socket */ }
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`control socket ${this.path}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`)));
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    server.on('error', (err) => this.onError(`control socket: ${err.message}`));
    this.server = server;
  }

  stop(): void {
    this.server?.close();
    this.server = null;
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  private serve(socket: Socket): void {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST) { this.badRequests++; socket.end('{"error":"request too large"}\n'); return; }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        socket.write(JSON.stringify(this.answer(line)) + '\n');
      }
    });
  }

  private answer(line: string): unknown {
    let request: unknown;
    try { request = JSON.parse(line); } catch { this.badRequests++; return { error: 'request is not JSON' }; }
    if (typeof request !== 'object' || request === null || typeof (request as { cmd?: unknown }).cmd !== 'string') {
      this.badRequests++;
      return { error: 'request needs a "cmd" string' };
    }
    try {
      return this.handle(request as { cmd: string });
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}

/** Where the CLI finds the daemon: $BACKSOON_SOCKET, else the default of option control_socket. */
export function defaultSocketPath(): string {
  return process.env.BACKSOON_SOCKET ?? '/var/run/backsoon.sock';
}

/** The daemon's status report; throws with the daemon's own words when it answers an error. */
export async function requestStatus(path: string): Promise<StatusReport> {
  const answer = await controlRequest(path, { cmd: 'status' });
  if (typeof answer === 'object' && answer !== null && 'error' in answer) throw new Error(String((answer as { error: unknown }).error));
  return answer as StatusReport;
}

/** Sends one request and returns the answer (for the CLI). */
export function controlRequest(path: string, request: object, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer from ${path} within ${timeoutMs} ms`)); }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      data += chunk;
      const nl = data.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.end();
        try { resolve(JSON.parse(data.slice(0, nl))); } catch { reject(new Error('answer is not JSON')); }
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'is backsoon running?' : err.code === 'EACCES' ? 'permission denied (run as root)' : err.message;
      reject(new Error(`cannot reach the daemon at ${path}: ${why}`));
    });
  });
}
