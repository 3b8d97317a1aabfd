// One connection to ubusd: the socket, the hello that gives our client id, frames in and out,
// and our own requests matched to ubusd's answers by sequence number. It does not reconnect:
// UbusClient opens a new one when this one closes.
import { connect, type Socket } from 'node:net';
import { BlobError, type BlobWriter } from './blob';
import { encodeMessage, FrameReader, FramingError, MAX_MESSAGE, MsgType, parseMessage, UbusStatus, type UbusMessage } from './wire';

/** ubusd's answer to one of our requests: the data messages, then the status. */
export interface Reply {
  readonly status: number;
  readonly data: readonly UbusMessage[];
}

export interface ConnectionEvents {
  /** ubusd said hello: we have a client id. */
  ready(localId: number): void;
  /** A message that is not an answer to our requests (an invoke, a notify...). */
  message(m: UbusMessage): void;
  /** A frame that broke the format; `fatal` when the stream could not go on. */
  malformed(reason: string, fatal: boolean): void;
  closed(why: string): void;
}

interface Pending {
  readonly deadline: number;
  readonly data: UbusMessage[];
  readonly settle: (reply: Reply) => void;
  /** A ping: ubusd answers with one data message (the pong) and no status. */
  readonly pong?: true;
}

/** A message that would make ubusd drop us: never sent. */
export class MessageTooLarge extends Error {
  constructor(readonly size: number) {
    super(`message of ${size} bytes exceeds ubus's limit of ${MAX_MESSAGE}`);
  }
}

export class UbusConnection {
  private readonly socket: Socket;
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private localId = 0;
  private closed = false;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(path: string, private readonly events: ConnectionEvents, private readonly requestTimeoutMs: number) {
    this.socket = connect(path);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.close(err.code ?? err.message));
    this.socket.on('close', () => this.close('closed by ubusd'));
  }

  get id(): number {
    return this.localId;
  }

  /** Bytes handed to the socket and not yet written: how far ubusd is behind us. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Resolves true once ubusd has answered a ping, so it has read everything sent before it.
   * ubusd stops reading a client once it sees the connection's end: what arrives together with
   * the end is dropped, so a client that answers and then leaves waits for this first.
   */
  async ping(): Promise<boolean> {
    return (await this.request(MsgType.ping, 0, () => { /* no attributes */ }, true)).status === UbusStatus.ok;
  }

  /** Sends a message that expects no answer (replies to invokes). */
  send(type: number, seq: number, peer: number, fill: (w: BlobWriter) => void): void {
    this.write(encodeMessage(type, seq, peer, fill));
  }

  /** Sends a request and resolves with ubusd's answer (status timeout or connection failed on no answer). */
  request(type: number, peer: number, fill: (w: BlobWriter) => void, pong?: true): Promise<Reply> {
    if (this.closed) return Promise.resolve({ status: UbusStatus.connectionFailed, data: [] });
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    const message = encodeMessage(type, seq, peer, fill);
    return new Promise<Reply>((resolve) => {
      this.pending.get(seq)?.settle({ status: UbusStatus.timeout, data: [] }); // 65536 requests ago
      this.pending.set(seq, { deadline: Date.now() + this.requestTimeoutMs, data: [], settle: resolve, ...(pong ? { pong } : {}) });
      this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.requestTimeoutMs)).unref();
      try {
        this.write(message);
      } catch (err) {
        this.pending.delete(seq);
        throw err;
      }
    });
  }

  close(why = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.socket.destroy();
    for (const p of this.pending.values()) p.settle({ status: UbusStatus.connectionFailed, data: [] });
    this.pending.clear();
    this.events.closed(why);
  }

  private write(message: Uint8Array): void {
    if (message.length - 8 > MAX_MESSAGE) throw new MessageTooLarge(message.length);
    if (!this.closed) this.socket.write(message);
  }

  private received(chunk: Buffer): void {
    this.reader.push(chunk);
    for (;;) {
      let frame: Uint8Array | null;
      try {
        frame = this.reader.next();
      } catch (err) {
        if (!(err instanceof FramingError)) throw err;
        this.events.malformed(err.message, true);
        this.close(`unreadable stream: ${err.message}`);
        return;
      }
      if (frame === null || this.closed) return;
      let m: UbusMessage;
      try {
        m = parseMessage(frame);
      } catch (err) {
        if (!(err instanceof BlobError)) throw err;
        this.events.malformed(`${describeFrame(frame)}: ${err.message}`, false);
        continue;
      }
      this.dispatch(m);
    }
  }

  private dispatch(m: UbusMessage): void {
    if (this.localId === 0) {
      if (m.type !== MsgType.hello || m.peer === 0) {
        this.events.malformed(`expected hello from ubusd, got message type ${m.type}`, true);
        this.close('no hello');
        return;
      }
      this.localId = m.peer;
      this.events.ready(m.peer);
      return;
    }
    if (m.type === MsgType.status || m.type === MsgType.data) {
      const p = this.pending.get(m.seq);
      if (p === undefined) return; // an answer to a request we gave up on
      if (m.type === MsgType.data && p.pong !== true) {
        p.data.push(m);
        return;
      }
      this.pending.delete(m.seq);
      p.settle({ status: m.type === MsgType.data ? UbusStatus.ok : m.status ?? UbusStatus.invalidArgument, data: p.data });
      return;
    }
    this.events.message(m);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [seq, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(seq);
      p.settle({ status: UbusStatus.timeout, data: [] });
    }
  }
}

function describeFrame(frame: Uint8Array): string {
  return `message type ${frame[1]} of ${frame.length} bytes`;
}
