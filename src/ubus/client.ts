// A ubus client that stays on the bus: it registers its objects (and event listeners) on every
// connection to ubusd, answers calls to them, sends events, and reconnects after ubusd restarts
// (procd restarts it on a router). Nothing it receives can stop it: a malformed message is
// counted and dropped, an unreadable stream is closed and opened again.
import type { LogLevel } from '../daemon/log';
import { BlobError, type BlobWriter } from './blob';
import { decodeTable, int32, writeTable, writeValue, type BlobmsgTable, type BlobmsgTypeId } from './blobmsg';
import { MessageTooLarge, UbusConnection, type Reply } from './connection';
import { Attr, MsgType, statusName, SystemObject, UbusStatus, type UbusMessage } from './wire';

/** Who called, as ubusd tells it. */
export interface CallContext {
  readonly object: string;
  readonly method: string;
  /** The caller's ubus client id. */
  readonly peer: number;
  /** The caller's user and group when ubusd passes them (non-root callers under ACLs). */
  readonly user?: string;
  readonly group?: string;
}

/** A method's answer: one data message when `data` is given, then the status (0 when absent). */
export interface MethodReply {
  readonly status?: number;
  readonly data?: object;
}

export interface UbusMethod {
  readonly name: string;
  /** Argument names and their blobmsg types, as `ubus list -v` shows them. */
  readonly args?: Readonly<Record<string, BlobmsgTypeId>>;
  handle(args: BlobmsgTable, call: CallContext): MethodReply | Promise<MethodReply>;
}

export interface UbusObjectSpec {
  readonly path: string;
  readonly methods: readonly UbusMethod[];
}

export type EventHandler = (id: string, data: BlobmsgTable) => void;

export interface UbusClientOptions {
  socket: string;
  objects?: readonly UbusObjectSpec[];
  /** Event patterns to listen to (`*` at the end matches a prefix), as `ubus listen` takes them. */
  listeners?: readonly { pattern: string; handle: EventHandler }[];
  log: (level: LogLevel, message: string) => void;
  /** First delay before reconnecting, doubled per failure up to `retryMaxMs`. */
  retryFirstMs?: number;
  retryMaxMs?: number;
  /** How long ubusd may take to answer one of our requests. */
  requestTimeoutMs?: number;
  /** Events are dropped (and counted) while this many bytes wait for ubusd to read them. */
  maxQueuedBytes?: number;
}

export interface UbusCounters {
  /** 1 while the objects are registered. */
  connected: number;
  /** Successful registrations (the first one and each after a reconnect). */
  registrations: number;
  /** Connections lost or that failed to open. */
  disconnects: number;
  calls: number;
  /** Calls answered with a status other than ok. */
  callErrors: number;
  eventsSent: number;
  /** Not connected, ubusd behind by maxQueuedBytes, or too large. */
  eventsDropped: number;
  /** ubusd answered an event with an error (an ACL, say). */
  eventsRefused: number;
  eventsReceived: number;
  /** Messages that broke the format, dropped. */
  malformed: number;
  /** Replies larger than ubus allows, replaced by an error status. */
  repliesTooLarge: number;
}

interface Registered {
  readonly spec: UbusObjectSpec;
  readonly methods: ReadonlyMap<string, UbusMethod>;
}

const LOG_EVERY_MS = 60_000;

export class UbusClient {
  private readonly opts: Required<Omit<UbusClientOptions, 'objects' | 'listeners'>>;
  private readonly objects: readonly UbusObjectSpec[];
  private readonly listeners: readonly { pattern: string; handle: EventHandler }[];
  private conn: UbusConnection | null = null;
  /** Object id -> our object, for the current connection. */
  private byId = new Map<number, Registered>();
  private listenerIds = new Map<number, EventHandler>();
  private ready = false;
  private running = false;
  /** Calls whose handler has not answered yet; retire() waits for them. */
  private handling = 0;
  private retiring = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private downSince: number | null = null;
  private lastComplaint = new Map<string, number>();
  readonly counters: UbusCounters = {
    connected: 0, registrations: 0, disconnects: 0, calls: 0, callErrors: 0, eventsSent: 0,
    eventsDropped: 0, eventsRefused: 0, eventsReceived: 0, malformed: 0, repliesTooLarge: 0,
  };

  constructor(options: UbusClientOptions) {
    this.opts = { retryFirstMs: 250, retryMaxMs: 5000, requestTimeoutMs: 5000, maxQueuedBytes: 4 * 1024 * 1024, ...options };
    this.objects = options.objects ?? [];
    this.listeners = options.listeners ?? [];
    this.retryMs = this.opts.retryFirstMs;
  }

  get socket(): string {
    return this.opts.socket;
  }

  /** True while the objects are registered and events can go out. */
  get isReady(): boolean {
    return this.ready;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    this.retiring = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.conn?.close('stopped');
    this.conn = null;
  }

  /**
   * Stops once the calls in hand are answered, connecting no more meanwhile. A reload that moves
   * ubus_socket runs inside a call on this connection: its caller still gets the answer, then
   * this client goes (stop() would drop the answer with the connection).
   */
  retire(): void {
    this.running = false; // a retry timer that fires meanwhile finds it stopped
    if (this.handling === 0) this.stop();
    else this.retiring = true;
  }

  /** The last call in hand is answered: stop once ubusd has read the answers (UbusConnection.ping). */
  private leaveAfterAnswers(conn: UbusConnection): void {
    void conn.ping().then(() => {
      if (this.retiring && this.conn === conn) this.stop();
    });
  }

  /** Resolves once the objects are registered (for tests and startup ordering). */
  whenReady(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (this.ready) resolve(true);
        else if (Date.now() >= until || !this.running) resolve(false);
        else setTimeout(check, 10);
      };
      check();
    });
  }

  /**
   * Sends event `id` (ubusd hands it to every `ubus listen` whose pattern matches). Returns
   * false when it was dropped: not connected, ubusd behind, or too large.
   */
  sendEvent(id: string, data: object): boolean {
    const conn = this.conn;
    if (!this.ready || conn === null || conn.queuedBytes > this.opts.maxQueuedBytes) {
      this.counters.eventsDropped++;
      return false;
    }
    let reply: Promise<Reply>;
    try {
      reply = conn.request(MsgType.invoke, SystemObject.event, (w) => {
        w.putU32(Attr.objId, SystemObject.event);
        w.putString(Attr.method, 'send');
        w.open(Attr.data);
        writeValue(w, 'id', id);
        writeValue(w, 'data', data);
        w.close();
      });
    } catch (err) {
      if (!(err instanceof MessageTooLarge)) throw err;
      this.counters.eventsDropped++;
      this.complain('event-size', 'warn', `ubus: event ${id} not sent: ${err.message}`);
      return false;
    }
    this.counters.eventsSent++;
    void reply.then((r) => {
      if (r.status === UbusStatus.ok || r.status === UbusStatus.connectionFailed) return;
      this.counters.eventsRefused++;
      this.complain('event-refused', 'warn', `ubus: ubusd refused event ${id}: ${statusName(r.status)}`);
    });
    return true;
  }

  /** Calls `method` of object `path` (looked up first), as `ubus call` does. */
  async call(path: string, method: string, args: object = {}): Promise<{ status: number; data: BlobmsgTable | null }> {
    const conn = this.conn;
    if (conn === null || conn.id === 0) return { status: UbusStatus.connectionFailed, data: null };
    const found = await conn.request(MsgType.lookup, 0, (w) => w.putString(Attr.objPath, path));
    const objId = found.data.find((m) => m.objPath === path)?.objId;
    if (found.status !== UbusStatus.ok || objId === undefined) return { status: found.status || UbusStatus.notFound, data: null };
    const reply = await conn.request(MsgType.invoke, objId, (w) => {
      w.putU32(Attr.objId, objId);
      w.putString(Attr.method, method);
      w.open(Attr.data);
      writeTable(w, args);
      w.close();
    });
    const first = reply.data.find((m) => m.data !== undefined);
    let data: BlobmsgTable | null = null;
    if (first?.data !== undefined) {
      try {
        data = decodeTable(first.bytes, first.data.start, first.data.end);
      } catch (err) {
        if (!(err instanceof BlobError)) throw err;
        this.counters.malformed++;
        return { status: UbusStatus.parseError, data: null };
      }
    }
    return { status: reply.status, data };
  }

  stats(): UbusCounters {
    return { ...this.counters, connected: this.ready ? 1 : 0 };
  }

  // ---- connection lifecycle --------------------------------------------------------------

  private open(): void {
    const conn = new UbusConnection(this.opts.socket, {
      ready: () => { void this.register(conn); },
      message: (m) => this.received(conn, m),
      malformed: (reason, fatal) => {
        this.counters.malformed++;
        this.complain('malformed', 'warn', `ubus: dropped a malformed message from ${this.opts.socket}${fatal ? ' and reconnect' : ''}: ${reason}`);
      },
      closed: (why) => this.closed(conn, why),
    }, this.opts.requestTimeoutMs);
    this.conn = conn;
  }

  /** Adds our objects and listeners on a fresh connection; any failure closes it (and we retry). */
  private async register(conn: UbusConnection): Promise<void> {
    const byId = new Map<number, Registered>();
    const listenerIds = new Map<number, EventHandler>();
    for (const spec of this.objects) {
      const r = await conn.request(MsgType.addObject, 0, (w) => {
        w.putString(Attr.objPath, spec.path);
        writeSignature(w, spec);
      });
      const id = r.data.find((m) => m.objId !== undefined)?.objId;
      if (conn !== this.conn) return;
      if (r.status !== UbusStatus.ok || id === undefined) {
        const why = r.status === UbusStatus.invalidArgument ? 'another process has registered it' : statusName(r.status);
        this.complain('register', 'error', `ubus: cannot register object ${spec.path} on ${this.opts.socket}: ${why}; retrying`);
        conn.close(`object ${spec.path} not registered`);
        return;
      }
      byId.set(id, { spec, methods: new Map(spec.methods.map((m) => [m.name, m])) });
    }
    for (const listener of this.listeners) {
      const added = await conn.request(MsgType.addObject, 0, () => { /* no path: a listener */ });
      const id = added.data.find((m) => m.objId !== undefined)?.objId;
      const registered = id === undefined ? null : await conn.request(MsgType.invoke, SystemObject.event, (w) => {
        w.putU32(Attr.objId, SystemObject.event);
        w.putString(Attr.method, 'register');
        w.open(Attr.data);
        writeValue(w, 'pattern', listener.pattern);
        writeValue(w, 'object', int32(id)); // a 32-bit id, often above int32's range
        w.close();
      });
      if (conn !== this.conn) return;
      if (id === undefined || registered?.status !== UbusStatus.ok) {
        this.complain('register', 'error', `ubus: cannot listen to ${listener.pattern} on ${this.opts.socket}: ${statusName(registered?.status ?? added.status)}; retrying`);
        conn.close('listener not registered');
        return;
      }
      listenerIds.set(id, listener.handle);
    }
    if (conn !== this.conn) return;
    this.byId = byId;
    this.listenerIds = listenerIds;
    this.ready = true;
    this.retryMs = this.opts.retryFirstMs;
    this.counters.registrations++;
    const what = this.objects.map((o) => `object ${o.path}`).join(', ') || 'listener';
    if (this.downSince !== null) {
      this.opts.log('info', `ubus: reconnected to ${this.opts.socket} after ${((Date.now() - this.downSince) / 1000).toFixed(1)} s; ${what} registered again`);
    } else {
      this.opts.log('info', `ubus: ${what} registered on ${this.opts.socket}`);
    }
    this.downSince = null;
  }

  private closed(conn: UbusConnection, why: string): void {
    if (conn !== this.conn) return;
    this.conn = null;
    const wasReady = this.ready;
    this.ready = false;
    this.byId = new Map();
    this.listenerIds = new Map();
    if (!this.running) return;
    this.counters.disconnects++;
    if (wasReady) {
      this.downSince = Date.now();
      this.opts.log('warn', `ubus: lost the connection to ubusd at ${this.opts.socket} (${why}); reconnecting`);
    } else {
      this.downSince ??= Date.now();
      this.complain('connect', 'warn', `ubus: cannot reach ubusd at ${this.opts.socket} (${why}); retrying every ${this.opts.retryMaxMs / 1000} s at most`);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) this.open();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.opts.retryMaxMs);
  }

  // ---- incoming ----------------------------------------------------------------------------

  private received(conn: UbusConnection, m: UbusMessage): void {
    if (m.type !== MsgType.invoke) return; // subscriber notices and the like: nothing to do
    const listener = m.objId === undefined ? undefined : this.listenerIds.get(m.objId);
    if (listener !== undefined) {
      this.event(m, listener);
      return;
    }
    this.invoked(conn, m);
  }

  private event(m: UbusMessage, handle: EventHandler): void {
    let data: BlobmsgTable = {};
    try {
      if (m.data !== undefined) data = decodeTable(m.bytes, m.data.start, m.data.end);
    } catch (err) {
      if (!(err instanceof BlobError)) throw err;
      this.malformedData(m, err);
      return;
    }
    this.counters.eventsReceived++;
    try {
      handle(m.method ?? '', data);
    } catch (err) {
      this.opts.log('error', `ubus: event ${m.method} handler: ${(err as Error).message}`);
    }
  }

  private invoked(conn: UbusConnection, m: UbusMessage): void {
    const objId = m.objId ?? 0;
    const object = this.byId.get(objId);
    const method = m.method === undefined ? undefined : object?.methods.get(m.method);
    const answer = (reply: MethodReply) => this.answer(conn, m, objId, reply);
    this.counters.calls++;
    if (object === undefined) { answer({ status: UbusStatus.notFound }); return; }
    if (method === undefined || m.data === undefined) {
      answer({ status: method === undefined ? UbusStatus.methodNotFound : UbusStatus.invalidArgument });
      return;
    }
    let args: BlobmsgTable;
    try {
      args = decodeTable(m.bytes, m.data.start, m.data.end);
    } catch (err) {
      if (!(err instanceof BlobError)) throw err;
      this.malformedData(m, err);
      answer({ status: UbusStatus.invalidArgument, data: { error: `arguments are not valid blobmsg: ${err.message}` } });
      return;
    }
    const call: CallContext = { object: object.spec.path, method: method.name, peer: m.peer, user: m.user, group: m.group };
    this.handling++;
    const done = (reply: MethodReply) => {
      this.handling--;
      answer(reply);
      if (this.retiring && this.handling === 0) this.leaveAfterAnswers(conn);
    };
    let result: MethodReply | Promise<MethodReply>;
    try {
      result = method.handle(args, call);
    } catch (err) {
      result = this.failed(call, err);
    }
    if (result instanceof Promise) result.catch((err: unknown) => this.failed(call, err)).then(done);
    else done(result);
  }

  private failed(call: CallContext, err: unknown): MethodReply {
    this.opts.log('error', `ubus: ${call.object}.${call.method}: ${(err as Error).stack ?? String(err)}`);
    return { status: UbusStatus.unknownError, data: { error: (err as Error).message } };
  }

  /** The reply to an invoke: data, then status; both to the caller's peer id, under its seq. */
  private answer(conn: UbusConnection, m: UbusMessage, objId: number, reply: MethodReply): void {
    if (m.noReply || conn !== this.conn) return; // the caller went away with the old connection
    const status = reply.status ?? UbusStatus.ok;
    if (status !== UbusStatus.ok) this.counters.callErrors++;
    let finalStatus: number = status;
    if (reply.data !== undefined) {
      try {
        conn.send(MsgType.data, m.seq, m.peer, (w) => {
          w.putU32(Attr.objId, objId);
          w.open(Attr.data);
          writeTable(w, reply.data!);
          w.close();
        });
      } catch (err) {
        if (!(err instanceof MessageTooLarge)) throw err;
        this.counters.repliesTooLarge++;
        this.complain('reply-size', 'warn', `ubus: reply to ${m.method} not sent: ${err.message}`);
        finalStatus = UbusStatus.unknownError;
      }
    }
    conn.send(MsgType.status, m.seq, m.peer, (w) => {
      w.putU32(Attr.status, finalStatus);
      w.putU32(Attr.objId, objId);
    });
  }

  private malformedData(m: UbusMessage, err: BlobError): void {
    this.counters.malformed++;
    this.complain('malformed', 'warn', `ubus: dropped ${m.method ?? 'a call'} from client ${m.peer.toString(16)}: its data is malformed (${err.message})`);
  }

  /** A warning at most once a minute per kind: a misbehaving peer must not flood the log. */
  private complain(kind: string, level: LogLevel, message: string): void {
    const now = Date.now();
    const last = this.lastComplaint.get(kind);
    if (last !== undefined && now - last < LOG_EVERY_MS) {
      this.opts.log('debug', message);
      return;
    }
    this.lastComplaint.set(kind, now);
    this.opts.log(level, message);
  }
}

/** The methods and their argument types: a nested attribute of one table per method. */
function writeSignature(w: BlobWriter, spec: UbusObjectSpec): void {
  w.open(Attr.signature);
  for (const method of spec.methods) {
    writeValue(w, method.name, method.args ?? {});
  }
  w.close();
}
