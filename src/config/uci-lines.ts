// libuci's line buffer, byte for byte. libuci reads a file with fgets into one buffer that
// starts at 32 bytes and doubles when a line does not fit; a quoted value or a trailing
// backslash reads the next line into the same buffer, after what is already there. The
// parser (uci.ts) then works on that buffer in place, as libuci's does. Modelling the buffer
// rather than "lines" is what makes the odd cases come out as on a router: a NUL byte ends
// what fgets's chunk contributes (the rest of that chunk is lost and the next chunk is
// appended where the NUL was), a NUL at the start of a chunk ends the line there.

const FIRST_SIZE = 32;
const NUL = 0;
const NEWLINE = 0x0a;

export class LineBuffer {
  /** The buffer; its bytes past `size` do not exist in libuci. */
  bytes = new Uint8Array(FIRST_SIZE);
  /** The file line each byte of `bytes` came from (1-based). */
  lineOf = new Int32Array(FIRST_SIZE);
  /** libuci's bufsz. */
  private size = 0;
  /** libuci's buf_filled: where the last successful read ended. */
  filled = 0;
  /** feof(): a read has met the end of the file. */
  atEnd = false;
  /** Lines whose text a NUL byte cut short, to warn about. */
  readonly nulLines: number[] = [];
  private at = 0;
  private line = 1;

  constructor(private readonly input: Uint8Array) {}

  /** uci_getln: reads the next line into the buffer at `offset`, joining chunks until a newline. */
  readLine(offset: number): void {
    if (this.size === 0) this.size = FIRST_SIZE;
    if (offset >= this.size - 1) this.grow();
    let ofs = offset;
    for (;;) {
      this.bytes[ofs] = NUL;
      const count = this.fgets(ofs, this.size - ofs);
      if (count < 0) return;
      // fgets ended the chunk with a NUL at ofs + count, so the search stops there at the latest.
      const length = this.bytes.indexOf(NUL, ofs) - ofs;
      if (length < count) this.nulLines.push(this.lineOf[ofs + length]);
      if (length === 0) return;
      ofs += length;
      this.filled = ofs;
      if (this.bytes[ofs - 1] === NEWLINE) return;
      this.grow();
    }
  }

  /** The file line of buffer position `pos` (its byte, or the byte before the end). */
  lineAt(pos: number): number {
    return this.lineOf[pos] || this.lineOf[Math.max(0, pos - 1)] || this.line;
  }

  /**
   * fgets: up to n-1 bytes, ending after a newline; -1 when nothing is left. A chunk is copied
   * with the typed arrays' own search, copy and fill rather than a loop per byte: a start reads
   * the whole configuration file, and a JavaScript loop over its bytes was hot enough for V8 to
   * run its optimizing compiler at every start (docs/PERFORMANCE.md, "The optimizing compiler at
   * rest").
   */
  private fgets(ofs: number, n: number): number {
    const input = this.input;
    const start = this.at;
    const room = n - 1;
    if (room <= 0) return -1;
    if (start >= input.length) {
      this.atEnd = true;
      return -1;
    }
    const limit = Math.min(input.length, start + room);
    const newline = input.indexOf(NEWLINE, start);
    const endsLine = newline >= 0 && newline < limit;
    const end = endsLine ? newline + 1 : limit;
    // The input ran out before the chunk was full: fgets met the end of the file.
    if (!endsLine && end - start < room) this.atEnd = true;
    const count = end - start;
    this.bytes.set(input.subarray(start, end), ofs);
    this.lineOf.fill(this.line, ofs, ofs + count);
    this.at = end;
    if (endsLine) this.line++;
    this.bytes[ofs + count] = NUL;
    this.lineOf[ofs + count] = this.lineOf[ofs + count - 1];
    return count;
  }

  private grow(): void {
    this.size *= 2;
    if (this.bytes.length >= this.size) return;
    const bytes = new Uint8Array(this.size);
    bytes.set(this.bytes);
    const lineOf = new Int32Array(this.size);
    lineOf.set(this.lineOf);
    this.bytes = bytes;
    this.lineOf = lineOf;
  }
}
