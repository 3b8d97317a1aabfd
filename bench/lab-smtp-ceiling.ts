// The MTA's own ceiling, for bench/lab-recovery.ts: a plain SMTP load generator (no nodemailer,
// no outbox, no disk) that sends COUNT copies of a recovery mail over CONNECTIONS connections,
// each session sending message after message and pipelining (RFC 2920: MAIL, RCPT and DATA in
// one write, and the next message's envelope right behind the end of the last one's data).
// Run inside the router namespace, where exim listens on 127.0.0.1:
//   node --import tsx bench/lab-smtp-ceiling.ts PORT COUNT CONNECTIONS
// Prints one JSON line: {"count","connections","failed","firstMs","lastMs","cpuSeconds"} (ms from the start).
import { connect, type Socket } from 'node:net';
import { renderRecoveryMail } from '../src/notify/render-mail';

interface Result { count: number; connections: number; failed: number; firstMs: number; lastMs: number; cpuSeconds: number }

/** Replies of one session, line by line, as promises in order. */
class Replies {
  private buffer = '';
  private readonly waiting: ((reply: string) => void)[] = [];
  private readonly ready: string[] = [];
  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (;;) {
        const end = this.buffer.indexOf('\r\n');
        if (end < 0) break;
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (/^\d{3}-/.test(line)) continue; // a multi-line reply ends with "NNN "
        const w = this.waiting.shift();
        if (w) w(line);
        else this.ready.push(line);
      }
    });
  }
  next(): Promise<string> {
    const r = this.ready.shift();
    return r !== undefined ? Promise.resolve(r) : new Promise((resolve) => this.waiting.push(resolve));
  }
}

async function session(port: number, messages: string[], from: string, start: number, result: Result): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const replies = new Replies(socket);
  const expect = async (code: string) => {
    const line = await replies.next();
    if (!line.startsWith(code)) throw new Error(`expected ${code}, got ${line}`);
  };
  await expect('220');
  socket.write('EHLO bench.example.test\r\n');
  await expect('250');
  const envelope = (i: number) => `MAIL FROM:<${from}>\r\nRCPT TO:<ceiling${i}@example.test>\r\nDATA\r\n`;
  socket.write(envelope(0));
  for (let i = 0; i < messages.length; i++) {
    await expect('250'); // MAIL
    await expect('250'); // RCPT
    await expect('354'); // DATA
    // the end of this message, and the next envelope behind it
    socket.write(`${messages[i]}.\r\n${i + 1 < messages.length ? envelope(i + 1) : ''}`);
    const line = await replies.next();
    if (!line.startsWith('250')) result.failed++;
    const t = performance.now() - start;
    result.firstMs = Math.min(result.firstMs, t);
    result.lastMs = Math.max(result.lastMs, t);
  }
  socket.write('QUIT\r\n');
  socket.end();
}

async function main(): Promise<void> {
  const [portText, countText, connText] = process.argv.slice(2);
  const port = Number(portText);
  const count = Number(countText);
  const connections = Number(connText);
  if (!(port > 0 && port < 65536 && count >= 1 && connections >= 1 && connections <= 100)) {
    process.stderr.write('usage: lab-smtp-ceiling.ts PORT COUNT CONNECTIONS\n');
    process.exit(2);
  }
  const now = Date.now() / 1000;
  const from = 'backsoon@router.example.test';
  const mail = renderRecoveryMail({
    to: 'ceiling@example.test', client: '198.19.0.1', server: { name: 'www.example.test', address: '198.51.100.10' },
    outageStart: now - 300, recoveredAt: now, firstAttempt: now - 120, lastAttempt: now - 60, outage: `198.51.100.10@${now - 300}`,
  }, { from, date: now });
  // dot-stuffed once (render-mail's body has no line starting with "."), CRLF-terminated
  const body = mail.raw.endsWith('\r\n') ? mail.raw : `${mail.raw}\r\n`;
  const result: Result = { count, connections, failed: 0, firstMs: Infinity, lastMs: 0, cpuSeconds: 0 };
  const share = Array.from({ length: connections }, (_, c) => Math.floor(count / connections) + (c < count % connections ? 1 : 0));
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(share.map((n) => session(port, Array.from({ length: n }, () => body), from, start, result)));
  const used = process.cpuUsage(cpu);
  result.cpuSeconds = (used.user + used.system) / 1e6;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`lab-smtp-ceiling: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
