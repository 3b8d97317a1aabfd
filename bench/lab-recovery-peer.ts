// The peer of bench/lab-recovery.ts: the same recovery mails sent by backsoon's own SMTP
// transport (src/notify/mail.ts: its SMTP pool), as many in flight as the daemon's mail
// channel, but with no engine, no outbox and no disk: what the MTA takes when nothing else is
// in the way.
// Run inside the router namespace, where exim listens on 127.0.0.1:
//   node --import tsx bench/lab-recovery-peer.ts PORT COUNT
// Prints one JSON line: {"count","renderMs","firstMs","lastMs","cpuSeconds"} (ms from the first send).
import type { MailConfig } from '../src/config/types';
import { createMailTransport, mailChannel, type MailPayload } from '../src/notify/mail';
import { renderRecoveryMail } from '../src/notify/render-mail';

async function main(): Promise<void> {
  const [portText, countText] = process.argv.slice(2);
  const port = Number(portText);
  const count = Number(countText);
  if (!(port > 0 && port < 65536 && count >= 1 && count <= 100_000)) {
    process.stderr.write('usage: lab-recovery-peer.ts PORT COUNT (1..100000)\n');
    process.exit(2);
  }
  const config: MailConfig = {
    host: '127.0.0.1', port, tls: 'none', user: null, password: null,
    from: 'backsoon@router.example.test', heloName: null, nms: null,
  };
  const renderStart = performance.now();
  const now = Date.now() / 1000;
  const mails: MailPayload[] = [];
  for (let i = 0; i < count; i++) {
    const client = `198.19.${(i >> 8) & 255}.${i & 255}`;
    const m = renderRecoveryMail({
      to: `peer${i + 1}@example.test`, client, server: { name: 'www.example.test', address: '198.51.100.10' },
      outageStart: now - 300, recoveredAt: now, firstAttempt: now - 120, lastAttempt: now - 60, outage: `198.51.100.10@${now - 300}`,
    }, { from: config.from, date: now });
    mails.push({ from: m.envelopeFrom, to: m.to, raw: m.raw });
  }
  const renderMs = performance.now() - renderStart;
  const transport = createMailTransport(config);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let first = Infinity;
  let last = 0;
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < mails.length) {
      const mail = mails[next++];
      const r = await transport.send(mail);
      if (r.status !== 'sent') failed++;
      const t = performance.now() - start;
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
  };
  await Promise.all(Array.from({ length: mailChannel(transport).concurrency }, worker));
  const cpu = process.cpuUsage(cpuStart);
  transport.close();
  process.stdout.write(`${JSON.stringify({ count, failed, renderMs, firstMs: first, lastMs: last, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
  process.exit(0);
}

void main();
