// The POP3 response parser: status lines and multi-line blocks however TCP cuts them, the
// byte-stuffing of lines that start with ".", and bounded memory on a hostile server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pop3ProtocolError, Pop3Reader } from '../../src/agent/pop3-reader';

const wire = Buffer.from(
  '+OK 120 octets\r\n' +
  'Subject: dots\r\n' +
  '\r\n' +
  '..\r\n' +              // a line that is a single "." in the message
  '..leading dot\r\n' +
  'middle . dot\r\n' +
  '.\r\n' +
  '+OK next\r\n',
);
const message = 'Subject: dots\r\n\r\n.\r\n.leading dot\r\nmiddle . dot\r\n';

function readAll(chunks: Buffer[]): { status: string; block: string; next: string } {
  const r = new Pop3Reader();
  let status: string | null = null;
  let block: Buffer | null = null;
  let next: string | null = null;
  for (const c of chunks) {
    r.push(c);
    status ??= r.takeLine();
    if (status !== null && block === null) block = r.takeBlock(1 << 20);
    if (block !== null && next === null) next = r.takeLine();
  }
  return { status: status ?? '', block: block?.toString('latin1') ?? '(incomplete)', next: next ?? '' };
}

test('a RETR answer in one piece: status, un-stuffed message, then the next answer', () => {
  assert.equal(readAll([wire]), { status: '+OK 120 octets', block: message, next: '+OK next' });
});

test('cut at every byte boundary, and byte by byte, it reads the same', () => {
  for (let at = 1; at < wire.length; at++) {
    assert.equal(readAll([wire.subarray(0, at), wire.subarray(at)]), { status: '+OK 120 octets', block: message, next: '+OK next' }, `cut at ${at}`);
  }
  const bytes = [...wire].map((b) => Buffer.from([b]));
  assert.equal(readAll(bytes), { status: '+OK 120 octets', block: message, next: '+OK next' });
});

test('a server that ends lines with LF alone is read too', () => {
  const lf = Buffer.from(wire.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  assert.equal(readAll([lf]), { status: '+OK 120 octets', block: message, next: '+OK next' });
});

test('an unfinished block stays unfinished', () => {
  const r = new Pop3Reader();
  r.push(Buffer.from('line one\r\n.\r'));
  assert.is(r.takeBlock(100), null);
  r.push(Buffer.from('\n'));
  assert.is(r.takeBlock(100)?.toString(), 'line one\r\n');
});

test('a block larger than allowed, or an endless status line, is refused', () => {
  const r = new Pop3Reader();
  r.push(Buffer.from(`${'x'.repeat(60)}\r\n${'y'.repeat(60)}\r\n`));
  assert.throws(() => r.takeBlock(100), (e: unknown) => e instanceof Pop3ProtocolError && e.kind === 'too-large');
  const s = new Pop3Reader();
  s.push(Buffer.alloc(9000, 0x41));
  assert.throws(() => s.takeLine(8192), (e: unknown) => e instanceof Pop3ProtocolError && e.kind === 'too-long');
  const t = new Pop3Reader();
  t.push(Buffer.alloc(200, 0x41)); // no line end yet, already too large for the block
  assert.throws(() => t.takeBlock(100), /larger than 100 bytes/);
});

test('8-bit bytes pass through the block untouched', () => {
  const r = new Pop3Reader();
  const body = Buffer.from([0xe3, 0x81, 0x82, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a]);
  r.push(body);
  assert.equal([...r.takeBlock(100)!], [0xe3, 0x81, 0x82, 0x0d, 0x0a]);
});

test.run();
