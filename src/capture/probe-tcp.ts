// The 'tcp:PORT' probe: one connect with a deadline. A refusal (RST) comes from a live host;
// whether that is enough depends on the outage (see Prober).
import { connect } from 'node:net';
import type { IpAddress } from '../net/ip';

export type TcpProbeResult = 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';

export function tcpProbe(server: IpAddress, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.text, port });
    let done = false;
    const finish = (result: TcpProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // A connected probe ends with RST rather than FIN: no TIME_WAIT on the router and no
      // half-closed session on the server. (resetAndDestroy on a socket still connecting would
      // wait for a connect that may never come.)
      if (result === 'connected') socket.resetAndDestroy();
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => finish('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      switch (err.code) {
        case 'ECONNREFUSED': finish('refused'); break;
        case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EHOSTDOWN': finish('unreachable'); break;
        case 'ETIMEDOUT': finish('timeout'); break;
        default: finish('error');
      }
    });
  });
}
