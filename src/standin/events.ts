// The event streams open pages keep (Server-Sent Events): when their server is back each gets
// one "back" event and is closed, and the page loads what the user wanted. Bounded in total and
// per client; a comment line every `heartbeat` seconds keeps idle NAT and proxies from dropping them.
import type { ServerResponse } from 'node:http';

interface Stream {
  readonly res: ServerResponse;
  readonly client: string;
}

export class EventStreams {
  private readonly byServer = new Map<string, Set<Stream>>();
  private readonly perClient = new Map<string, number>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;
  /** "back" events delivered. */
  sent = 0;
  /** Streams refused at a cap. */
  refused = 0;

  constructor(
    private readonly maxStreams: number,
    private readonly maxPerClient: number,
    heartbeatSeconds = 20,
  ) {
    this.timer = setInterval(() => this.heartbeat(), heartbeatSeconds * 1000);
    this.timer.unref();
  }

  get open(): number {
    return this.total;
  }

  /**
   * Takes over `res` as a stream for `server`. Returns false (and answers 503) at a cap.
   * `back` true: the server is already back, so the event goes out at once.
   */
  attach(server: string, client: string, res: ServerResponse, back: boolean): boolean {
    const mine = this.perClient.get(client) ?? 0;
    if (!back && (this.total >= this.maxStreams || mine >= this.maxPerClient)) {
      this.refused++;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30', 'cache-control': 'no-store', connection: 'close' });
      res.end('too many open pages\n');
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'close',
      'x-content-type-options': 'nosniff',
    });
    // A lost stream is retried by the browser after this many milliseconds.
    res.write('retry: 5000\n\n');
    if (back) {
      this.sendBack(res);
      return true;
    }
    res.socket?.setTimeout(0);
    const stream: Stream = { res, client };
    let set = this.byServer.get(server);
    if (set === undefined) this.byServer.set(server, (set = new Set()));
    set.add(stream);
    this.total++;
    this.perClient.set(client, mine + 1);
    res.on('close', () => this.forget(server, stream));
    return true;
  }

  /** The server is back: tell every page of it, and close their streams. */
  back(server: string): number {
    const set = this.byServer.get(server);
    if (set === undefined) return 0;
    let n = 0;
    for (const s of [...set]) {
      this.sendBack(s.res);
      n++;
    }
    return n;
  }

  /** Ends every stream (stop). */
  closeAll(): void {
    for (const set of this.byServer.values()) for (const s of [...set]) s.res.destroy();
    clearInterval(this.timer);
  }

  private sendBack(res: ServerResponse): void {
    this.sent++;
    res.end('event: back\ndata: {}\n\n');
  }

  private forget(server: string, stream: Stream): void {
    const set = this.byServer.get(server);
    if (set === undefined || !set.delete(stream)) return;
    if (set.size === 0) this.byServer.delete(server);
    this.total--;
    const left = (this.perClient.get(stream.client) ?? 1) - 1;
    if (left <= 0) this.perClient.delete(stream.client);
    else this.perClient.set(stream.client, left);
  }

  private heartbeat(): void {
    for (const set of this.byServer.values()) for (const s of set) s.res.write(': waiting\n\n');
  }
}
