// The receiving half of POP3 (RFC 1939) as a pure parser: bytes in, status lines and
// multi-line blocks out. A block ends at a line holding a lone "."; a line starting with "."
// had one added by the server ("byte-stuffing") and loses it here. Bytes come in whatever
// pieces TCP delivers, so the terminator may be split over any number of chunks.

export class Pop3ProtocolError extends Error {
  constructor(message: string, readonly kind: 'too-long' | 'too-large') {
    super(message);
    this.name = 'Pop3ProtocolError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');

export class Pop3Reader {
  private buffer: Buffer = Buffer.alloc(0);
  private block: Buffer[] | null = null;
  private blockBytes = 0;

  /** Bytes received and not taken yet. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /**
   * The next status line ("+OK ..." / "-ERR ..."), without its line end, or null when it has
   * not arrived in full. Throws when more than `maxLength` bytes come without a line end.
   */
  takeLine(maxLength = 8192): string | null {
    const end = this.buffer.indexOf(LF);
    if (end < 0) {
      if (this.buffer.length > maxLength) throw new Pop3ProtocolError(`a response line is longer than ${maxLength} bytes`, 'too-long');
      return null;
    }
    const line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === CR ? end - 1 : end);
    this.buffer = this.buffer.subarray(end + 1);
    return line.toString('latin1');
  }

  /**
   * The body of a multi-line response (after its status line): un-stuffed, every line ending
   * in CRLF, without the final "." line; null until that line has arrived. Throws when the
   * body grows beyond `maxBytes` (the connection is then out of step and must be dropped).
   */
  takeBlock(maxBytes: number): Buffer | null {
    this.block ??= [];
    for (;;) {
      const end = this.buffer.indexOf(LF);
      if (end < 0) {
        if (this.blockBytes + this.buffer.length > maxBytes) this.tooLarge(maxBytes);
        return null;
      }
      let line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === CR ? end - 1 : end);
      this.buffer = this.buffer.subarray(end + 1);
      if (line.length === 1 && line[0] === DOT) {
        const out = Buffer.concat(this.block);
        this.block = null;
        this.blockBytes = 0;
        return out;
      }
      if (line.length > 0 && line[0] === DOT) line = line.subarray(1);
      this.block.push(line, CRLF);
      this.blockBytes += line.length + 2;
      if (this.blockBytes > maxBytes) this.tooLarge(maxBytes);
    }
  }

  private tooLarge(maxBytes: number): never {
    this.block = null;
    this.blockBytes = 0;
    this.buffer = Buffer.alloc(0);
    throw new Pop3ProtocolError(`a multi-line response is larger than ${maxBytes} bytes`, 'too-large');
  }
}
