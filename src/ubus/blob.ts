// libubox's blob attributes, the layer under both ubus messages and blobmsg: a 32-bit
// big-endian word (bit 31 "extended", bits 24-30 the id, bits 0-23 the length of header plus
// payload), then the payload, then zeros up to the next multiple of 4. A container's payload is
// its children, each padded, so a container's length is a multiple of 4.

export const BLOB_HEADER = 4;
const utf8 = new TextEncoder();
const ID_SHIFT = 24;
const ID_MASK = 0x7f;
const LEN_MASK = 0x00ffffff;
const EXTENDED = 0x80000000;

/** The largest length the 24-bit field can hold. */
export const BLOB_MAX_LEN = LEN_MASK;

export function padded(len: number): number {
  return (len + 3) & ~3;
}

/** Input that breaks the format: the message is dropped (and counted) by whoever reads it. */
export class BlobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobError';
  }
}

/** One attribute where it lies: offsets into the buffer it was read from. */
export interface BlobAttr {
  readonly id: number;
  readonly extended: boolean;
  /** First byte after the header. */
  readonly data: number;
  /** One past the last payload byte (header start + the length field). */
  readonly end: number;
  /** Where the next attribute starts (end, padded). */
  readonly next: number;
}

/** Reads the attribute at `off`; it must lie inside [off, limit). */
export function readAttr(bytes: Uint8Array, off: number, limit: number): BlobAttr {
  if (limit - off < BLOB_HEADER) throw new BlobError(`attribute header at offset ${off} cut short (${limit - off} bytes left)`);
  const word = ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
  const len = word & LEN_MASK;
  if (len < BLOB_HEADER) throw new BlobError(`attribute at offset ${off} has length ${len}, less than its own header`);
  // Padding included, as libubox writes it and as its readers require before they look inside.
  if (off + padded(len) > limit) throw new BlobError(`attribute at offset ${off} claims ${len} bytes, only ${limit - off} are there`);
  return { id: (word >>> ID_SHIFT) & ID_MASK, extended: (word & EXTENDED) !== 0, data: off + BLOB_HEADER, end: off + len, next: off + padded(len) };
}

/** Calls `each` for every attribute in [start, end). */
export function forEachAttr(bytes: Uint8Array, start: number, end: number, each: (attr: BlobAttr) => void): void {
  for (let off = start; off < end;) {
    const attr = readAttr(bytes, off, end);
    each(attr);
    off = attr.next;
  }
}

/**
 * Builds attributes into one growing buffer. `open` starts an attribute, `close` writes its
 * length once its payload (bytes or nested attributes) is in; nesting is a stack of opens.
 */
export class BlobWriter {
  private buf: Uint8Array;
  private view: DataView;
  private length = 0;
  private readonly starts: { at: number; word: number }[] = [];

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  get size(): number {
    return this.length;
  }

  /** Starts an attribute; its header is written by `close`. */
  open(id: number, extended = false): void {
    this.reserve(BLOB_HEADER);
    this.starts.push({ at: this.length, word: ((id & ID_MASK) << ID_SHIFT) | (extended ? EXTENDED : 0) });
    this.length += BLOB_HEADER;
  }

  close(): void {
    const top = this.starts.pop();
    if (top === undefined) throw new Error('BlobWriter.close without open');
    const len = this.length - top.at;
    if (len > LEN_MASK) throw new BlobError(`attribute of ${len} bytes exceeds the format's ${LEN_MASK}`);
    this.view.setUint32(top.at, (top.word | len) >>> 0);
    this.pad();
  }

  /** A whole attribute with these payload bytes. */
  put(id: number, payload: Uint8Array, extended = false): void {
    this.open(id, extended);
    this.bytes(payload);
    this.close();
  }

  putU32(id: number, value: number): void {
    this.open(id);
    this.u32(value);
    this.close();
  }

  putU8(id: number, value: number): void {
    this.open(id);
    this.u8(value);
    this.close();
  }

  /** A string attribute: the UTF-8 bytes and a terminating NUL, as C readers expect. */
  putString(id: number, text: string): void {
    this.open(id);
    this.string(text);
    this.close();
  }

  // Raw payload writers, for use between open and close.

  u8(value: number): void {
    this.reserve(1);
    this.buf[this.length++] = value & 0xff;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value & 0xffff);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt.asIntN(64, value));
    this.length += 8;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  string(text: string): void {
    const max = text.length * 3 + 1;
    this.reserve(max);
    const { written } = utf8.encodeInto(text, this.buf.subarray(this.length, this.length + max - 1));
    this.length += written;
    this.buf[this.length++] = 0;
  }

  /** Zeros up to the next multiple of 4. */
  pad(): void {
    const to = padded(this.length);
    this.reserve(to - this.length);
    this.buf.fill(0, this.length, to);
    this.length = to;
  }

  /** Overwrites a 32-bit word already written (message headers). */
  setU32(at: number, value: number): void {
    this.view.setUint32(at, value >>> 0);
  }

  /** The bytes written so far (a copy: the writer may be reused). */
  finish(): Uint8Array {
    if (this.starts.length > 0) throw new Error(`BlobWriter.finish with ${this.starts.length} attribute(s) still open`);
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
