// The optional Prometheus listener (`option metrics_listen 'addr:port'`): GET /metrics only.
import type { Server } from 'node:http';
import { nodeHttp } from '../node-http';
import { METRICS_CONTENT_TYPE } from './metrics';

export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`option metrics_listen '${text}': write it as ADDRESS:PORT, e.g. 192.168.1.1:9100`);
  return { host: m[1], port: Number(m[2]) };
}

export async function startMetricsListener(listen: string, render: () => string): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = nodeHttp().createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    try {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(render());
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10000;
  server.maxConnections = 16;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`metrics listener on ${listen}: ${err.code ?? err.message}`)));
    server.listen(port, host, () => resolve());
  });
  return server;
}
