// blobmsg: JSON-like values as blob attributes, the payload of every ubus call, reply and
// event. Each value is an extended attribute whose id is its type and whose payload begins with
// its name (16-bit length, the bytes, a NUL, zeros to a multiple of 4); numbers are big-endian.
// Tables hold named values, arrays unnamed ones.
import { BlobError, BlobWriter, readAttr, type BlobAttr } from './blob';

export const BlobmsgType = {
  unspec: 0, // null
  array: 1,
  table: 2,
  string: 3,
  int64: 4,
  int32: 5,
  int16: 6,
  int8: 7, // also bool
  double: 8,
} as const;
export type BlobmsgTypeId = (typeof BlobmsgType)[keyof typeof BlobmsgType];

/** What a decoded message holds. int8 reads as a boolean, as libubox's JSON output shows it. */
export type BlobmsgValue = null | boolean | number | bigint | string | BlobmsgValue[] | { [name: string]: BlobmsgValue };
export type BlobmsgTable = { [name: string]: BlobmsgValue };

/** A number to be sent with a given width, where the default choice would differ. */
export class Sized {
  constructor(readonly type: 'int8' | 'int16' | 'int32' | 'int64' | 'double', readonly value: number | bigint) {}
}
export const int8 = (v: number) => new Sized('int8', v);
export const int16 = (v: number) => new Sized('int16', v);
export const int32 = (v: number) => new Sized('int32', v);
export const int64 = (v: number | bigint) => new Sized('int64', v);
export const double = (v: number) => new Sized('double', v);

/** Nesting deeper than this is refused on input (it would only serve to exhaust the stack). */
export const MAX_DEPTH = 64;

// ---- encoding --------------------------------------------------------------------------------

/**
 * Writes the entries of `table` as named attributes (the payload of a table or of a message's
 * data). Values map as JSON does: strings, booleans (int8), null, arrays, objects; integers as
 * int32 when they fit, else int64; other numbers as double; bigint as int64; `Sized` as given.
 * Entries whose value is undefined are left out, as JSON.stringify leaves them out.
 */
export function writeTable(w: BlobWriter, table: object, path = ''): void {
  for (const [name, value] of Object.entries(table)) {
    if (value !== undefined) writeValue(w, name, value, `${path}.${name}`);
  }
}

/** `table` as blobmsg bytes (what a ubus message's data attribute carries). */
export function encodeTable(table: object): Uint8Array {
  const w = new BlobWriter();
  writeTable(w, table);
  return w.finish();
}

export function writeValue(w: BlobWriter, name: string, value: unknown, path = name): void {
  if (value === null || value === undefined) {
    open(w, BlobmsgType.unspec, name);
  } else if (typeof value === 'string') {
    open(w, BlobmsgType.string, name);
    w.string(value);
  } else if (typeof value === 'boolean') {
    open(w, BlobmsgType.int8, name);
    w.u8(value ? 1 : 0);
  } else if (typeof value === 'number') {
    writeNumber(w, name, value);
  } else if (typeof value === 'bigint') {
    writeSized(w, name, new Sized('int64', value), path);
  } else if (value instanceof Sized) {
    writeSized(w, name, value, path);
  } else if (Array.isArray(value)) {
    open(w, BlobmsgType.array, name);
    value.forEach((item, i) => writeValue(w, '', item ?? null, `${path}[${i}]`));
  } else if (typeof value === 'object') {
    open(w, BlobmsgType.table, name);
    writeTable(w, value, path);
  } else {
    throw new TypeError(`blobmsg: ${path || 'value'} is a ${typeof value}, which has no blobmsg form`);
  }
  w.close();
}

const encoder = new TextEncoder();
/** The same few names recur in every reply ("client", "lastAttempt"): encode each once. */
const nameCache = new Map<string, Uint8Array>();

function open(w: BlobWriter, type: BlobmsgTypeId, name: string): void {
  let bytes = nameCache.get(name);
  if (bytes === undefined) {
    bytes = encoder.encode(name);
    if (nameCache.size < 1024) nameCache.set(name, bytes);
  }
  if (bytes.length > 0xffff) throw new RangeError(`blobmsg: a name of ${bytes.length} bytes exceeds 65535`);
  w.open(type, true);
  w.u16(bytes.length);
  w.bytes(bytes);
  w.u8(0);
  w.pad();
}

function writeNumber(w: BlobWriter, name: string, value: number): void {
  if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
    open(w, BlobmsgType.int32, name);
    w.u32(value);
  } else if (Number.isSafeInteger(value)) {
    open(w, BlobmsgType.int64, name);
    w.i64(BigInt(value));
  } else {
    open(w, BlobmsgType.double, name);
    w.f64(value);
  }
}

/**
 * The length of encodeTable(table) without building it: replies are cut to fit ubus's limit
 * by trying sizes, and the bytes themselves are written once, when sent.
 */
export function encodedSize(table: object): number {
  let size = 0;
  for (const [name, value] of Object.entries(table)) {
    if (value !== undefined) size += valueSize(name, value);
  }
  return size;
}

function valueSize(name: string, value: unknown): number {
  const head = 4 + ((2 + Buffer.byteLength(name) + 1 + 3) & ~3);
  let payload: number;
  if (value === null || value === undefined) payload = 0;
  else if (typeof value === 'string') payload = Buffer.byteLength(value) + 1;
  else if (typeof value === 'boolean') payload = 1;
  else if (typeof value === 'number') payload = Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff ? 4 : 8;
  else if (typeof value === 'bigint') payload = 8;
  else if (value instanceof Sized) payload = value.type === 'double' || value.type === 'int64' ? 8 : WIDTH[value.type] / 8;
  else if (Array.isArray(value)) payload = value.reduce((n: number, item: unknown) => n + valueSize('', item ?? null), 0);
  else if (typeof value === 'object') payload = encodedSize(value);
  else throw new TypeError(`blobmsg: a ${typeof value} has no blobmsg form`);
  return (head + payload + 3) & ~3;
}

const WIDTH = { int8: 8, int16: 16, int32: 32, int64: 64 } as const;

function writeSized(w: BlobWriter, name: string, sized: Sized, path: string): void {
  if (sized.type === 'double') {
    open(w, BlobmsgType.double, name);
    w.f64(Number(sized.value));
    return;
  }
  const bits = WIDTH[sized.type];
  const v = BigInt(sized.value);
  // Signed or unsigned: C callers read either (blobmsg_get_u32 / (int32_t) casts).
  if (v < -(1n << BigInt(bits - 1)) || v >= 1n << BigInt(bits)) {
    throw new RangeError(`blobmsg: ${path || 'value'} ${v} does not fit ${sized.type}`);
  }
  open(w, BlobmsgType[sized.type], name);
  if (bits === 8) w.u8(Number(BigInt.asUintN(8, v)));
  else if (bits === 16) w.u16(Number(BigInt.asUintN(16, v)));
  else if (bits === 32) w.u32(Number(BigInt.asUintN(32, v)));
  else w.i64(v);
}

// ---- decoding --------------------------------------------------------------------------------

const utf8 = new TextDecoder();

/** Text of bytes [start, end): short ASCII (names, addresses) without the decoder's overhead. */
function text(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** The buffer being decoded, with one view on it for the numbers. */
interface Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

const reader = (bytes: Uint8Array): Reader => ({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });

/** The named attributes in [start, end) as an object; throws BlobError on anything malformed. */
export function decodeTable(bytes: Uint8Array, start: number, end: number): BlobmsgTable {
  return readTable(reader(bytes), start, end, 0);
}

function readTable(r: Reader, start: number, end: number, depth: number): BlobmsgTable {
  if (depth > MAX_DEPTH) throw new BlobError(`nested deeper than ${MAX_DEPTH} levels`);
  const out: BlobmsgTable = {};
  for (let off = start; off < end;) {
    const attr = readAttr(r.bytes, off, end);
    off = attr.next;
    if (!attr.extended) throw new BlobError(`table entry at offset ${attr.data - 4} has no name`);
    const at = nameEnd(r.bytes, attr);
    const len = (r.bytes[attr.data] << 8) | r.bytes[attr.data + 1];
    if (len === 0) throw new BlobError(`table entry at offset ${attr.data - 4} has an empty name`);
    const name = text(r.bytes, attr.data + 2, attr.data + 2 + len);
    const value = readValue(r, attr, at, depth);
    // The first of two equal names wins, as blobmsg_parse takes it.
    if (Object.hasOwn(out, name)) continue;
    // "__proto__" becomes an own entry, never the object's prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}

function readArray(r: Reader, start: number, end: number, depth: number): BlobmsgValue[] {
  if (depth > MAX_DEPTH) throw new BlobError(`nested deeper than ${MAX_DEPTH} levels`);
  const out: BlobmsgValue[] = [];
  for (let off = start; off < end;) {
    const attr = readAttr(r.bytes, off, end);
    off = attr.next;
    // Array items may be named or not (libubox checks names only in tables).
    out.push(readValue(r, attr, nameEnd(r.bytes, attr), depth));
  }
  return out;
}

/** The value of `attr`, whose payload starts at `at` (after its name, if any), checked as
 * libubox's blobmsg_check_attr checks it. */
function readValue(r: Reader, attr: BlobAttr, at: number, depth: number): BlobmsgValue {
  const { bytes, view } = r;
  const len = attr.end - at;
  switch (attr.id) {
    case BlobmsgType.unspec: return null;
    case BlobmsgType.array: return readArray(r, at, attr.end, depth + 1);
    case BlobmsgType.table: return readTable(r, at, attr.end, depth + 1);
    case BlobmsgType.string:
      if (len < 1 || bytes[attr.end - 1] !== 0) throw new BlobError(`string at offset ${at} does not end in NUL`);
      // C readers stop at the first NUL; so does this one.
      return text(bytes, at, bytes.indexOf(0, at));
    case BlobmsgType.int8:
      if (len !== 1) throw widthError('int8', at, len, 1);
      return bytes[at] !== 0;
    case BlobmsgType.int16:
      if (len !== 2) throw widthError('int16', at, len, 2);
      return view.getInt16(at);
    case BlobmsgType.int32:
      if (len !== 4) throw widthError('int32', at, len, 4);
      return view.getInt32(at);
    case BlobmsgType.int64: {
      if (len !== 8) throw widthError('int64', at, len, 8);
      const v = view.getBigInt64(at);
      return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
    }
    case BlobmsgType.double:
      if (len !== 8) throw widthError('double', at, len, 8);
      return view.getFloat64(at);
    default: throw new BlobError(`unknown blobmsg type ${attr.id} at offset ${attr.data - 4}`);
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function widthError(type: string, at: number, len: number, width: number): BlobError {
  return new BlobError(`${type} at offset ${at} has ${len} bytes, not ${width}`);
}

/** Where the payload of a named attribute starts: after length, name, NUL and padding. */
function nameEnd(bytes: Uint8Array, attr: BlobAttr): number {
  if (!attr.extended) return attr.data;
  if (attr.end - attr.data < 2) throw new BlobError(`named attribute at offset ${attr.data - 4} too short for its name length`);
  const len = (bytes[attr.data] << 8) | bytes[attr.data + 1];
  const header = (2 + len + 1 + 3) & ~3;
  if (attr.data + header > attr.end) throw new BlobError(`name of ${len} bytes at offset ${attr.data} runs past its attribute`);
  if (bytes[attr.data + 2 + len] !== 0) throw new BlobError(`name at offset ${attr.data} does not end in NUL`);
  return attr.data + header;
}
