// ubus messages on the unix socket: an 8-byte header (version 0, type, 16-bit sequence number,
// 32-bit peer id; big-endian) followed by one blob attribute whose payload holds the message's
// attributes (object id, method, status, data...). Frames are not padded on the wire.
import { BLOB_HEADER, BlobError, BlobWriter, forEachAttr, padded } from './blob';

export const MsgType = {
  hello: 0,
  status: 1,
  data: 2,
  ping: 3,
  lookup: 4,
  invoke: 5,
  addObject: 6,
  removeObject: 7,
  subscribe: 8,
  unsubscribe: 9,
  notify: 10,
  monitor: 11,
} as const;

export const Attr = {
  status: 1,
  objPath: 2,
  objId: 3,
  method: 4,
  objType: 5,
  signature: 6,
  data: 7,
  target: 8,
  active: 9,
  noReply: 10,
  subscribers: 11,
  user: 12,
  group: 13,
} as const;

/** The status codes a ubus reply carries (`ubus call` exits with them). */
export const UbusStatus = {
  ok: 0,
  invalidCommand: 1,
  invalidArgument: 2,
  methodNotFound: 3,
  notFound: 4,
  noData: 5,
  permissionDenied: 6,
  timeout: 7,
  notSupported: 8,
  unknownError: 9,
  connectionFailed: 10,
  noMemory: 11,
  parseError: 12,
  systemError: 13,
} as const;

const STATUS_NAMES = Object.fromEntries(Object.entries(UbusStatus).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)]));

/** "invalid argument" for 2; for log lines. */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `status ${status}`;
}

/** The ids ubusd itself answers to. */
export const SystemObject = { event: 1, acl: 2, monitor: 3 } as const;

export const HEADER = 8;
/** ubusd's limit (UBUS_MAX_MSGLEN): it disconnects a client that sends a larger message. */
export const MAX_MESSAGE = 1024 * 1024;

/** A byte range of a message (a nested attribute's payload). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface UbusMessage {
  readonly type: number;
  readonly seq: number;
  readonly peer: number;
  /** The whole frame; spans point into it. */
  readonly bytes: Uint8Array;
  readonly status?: number;
  readonly objPath?: string;
  readonly objId?: number;
  readonly method?: string;
  readonly objType?: number;
  readonly signature?: Span;
  readonly data?: Span;
  readonly target?: number;
  readonly active?: boolean;
  readonly noReply?: boolean;
  readonly user?: string;
  readonly group?: string;
}

/** A frame that cannot be delimited: nothing after it on the stream can be trusted. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** Writes one message: header, then the attributes `fill` adds to the body. */
export function encodeMessage(type: number, seq: number, peer: number, fill: (w: BlobWriter) => void): Uint8Array {
  const w = new BlobWriter();
  w.u8(0);
  w.u8(type);
  w.u16(seq);
  w.u32(peer);
  w.open(0);
  fill(w);
  w.close();
  return w.finish();
}

/** Cuts a byte stream into frames. Memory is bounded by one frame of at most MAX_MESSAGE. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame, or null until more bytes come. Throws FramingError. */
  next(): Uint8Array | null {
    if (this.buffered < HEADER + BLOB_HEADER) return null;
    const head = this.gather(HEADER + BLOB_HEADER);
    if (head[0] !== 0) throw new FramingError(`message header version ${head[0]}, expected 0`);
    const len = ((head[9] << 16) | (head[10] << 8) | head[11]) >>> 0; // the 24-bit length field
    if (len < BLOB_HEADER) throw new FramingError(`message body length ${len} is less than its own header`);
    if (padded(len) > MAX_MESSAGE) throw new FramingError(`message body of ${len} bytes exceeds ubus's ${MAX_MESSAGE}`);
    const total = HEADER + len;
    if (this.buffered < total) return null;
    const all = this.gather(total);
    const frame = all.subarray(0, total);
    const rest = all.subarray(total);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }

  /** At least `n` bytes in the first chunk (joining chunks when needed). */
  private gather(n: number): Uint8Array {
    if (this.chunks[0].length < n) {
      const joined = new Uint8Array(this.buffered);
      let at = 0;
      for (const c of this.chunks) { joined.set(c, at); at += c.length; }
      this.chunks = [joined];
    }
    return this.chunks[0];
  }
}

const INT32_ATTRS: ReadonlySet<number> = new Set([Attr.status, Attr.objId, Attr.objType, Attr.target]);
const STRING_ATTRS: ReadonlySet<number> = new Set([Attr.objPath, Attr.method, Attr.user, Attr.group]);
const INT8_ATTRS: ReadonlySet<number> = new Set([Attr.active, Attr.noReply]);

/**
 * A frame's header and attributes, each checked for its type's size (int32: 4 bytes, strings
 * NUL-terminated). Throws BlobError: the caller drops the message. Unknown attributes are
 * skipped, as libubus skips them.
 */
export function parseMessage(frame: Uint8Array): UbusMessage {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < HEADER + BLOB_HEADER) throw new BlobError(`message of ${frame.length} bytes is shorter than its headers`);
  const end = HEADER + (view.getUint32(HEADER) & 0x00ffffff);
  if (end > frame.length || end < HEADER + BLOB_HEADER) throw new BlobError(`message body length does not match its ${frame.length} bytes`);
  const m: { -readonly [K in keyof UbusMessage]: UbusMessage[K] } = {
    type: frame[1], seq: view.getUint16(2), peer: view.getUint32(4), bytes: frame,
  };
  forEachAttr(frame, HEADER + BLOB_HEADER, end, (attr) => {
    const len = attr.end - attr.data;
    if (INT32_ATTRS.has(attr.id) || INT8_ATTRS.has(attr.id)) {
      const want = INT32_ATTRS.has(attr.id) ? 4 : 1;
      if (len !== want) throw new BlobError(`attribute ${attr.id} has ${len} bytes, not ${want}`);
    } else if (STRING_ATTRS.has(attr.id)) {
      if (len < 1 || frame[attr.end - 1] !== 0) throw new BlobError(`string attribute ${attr.id} does not end in NUL`);
    }
    const span = { start: attr.data, end: attr.end };
    const text = () => new TextDecoder().decode(frame.subarray(attr.data, frame.indexOf(0, attr.data)));
    switch (attr.id) {
      case Attr.status: m.status = view.getInt32(attr.data); break;
      case Attr.objPath: m.objPath = text(); break;
      case Attr.objId: m.objId = view.getUint32(attr.data); break;
      case Attr.method: m.method = text(); break;
      case Attr.objType: m.objType = view.getUint32(attr.data); break;
      case Attr.signature: m.signature = span; break;
      case Attr.data: m.data = span; break;
      case Attr.target: m.target = view.getUint32(attr.data); break;
      case Attr.active: m.active = frame[attr.data] !== 0; break;
      case Attr.noReply: m.noReply = frame[attr.data] !== 0; break;
      case Attr.subscribers: break;
      case Attr.user: m.user = text(); break;
      case Attr.group: m.group = text(); break;
      default: break;
    }
  });
  return m;
}
