// A child process for mail-crash.test.ts: queues COUNT recovery notices (user0..user{COUNT-1}
// of one outage) into the outbox in DIR and sends them through the MTA on 127.0.0.1:PORT,
// printing one line per event so the test can kill it (-9) at a chosen point.
//   tsx test/lab/mail-driver.ts DIR PORT COUNT [hold]
// "hold": queue, print "holding", and wait to be killed without sending anything.
import { createMailTransport, MAIL_CHANNEL, mailChannel } from '../../src/notify/mail';
import { Outbox } from '../../src/notify/outbox/outbox';
import { queueRecoveryMail } from '../../src/notify/recovery-mail';
import { FROM, mailConfig, notice } from './mail-helpers';

async function main(): Promise<void> {
  const [dir, portText, countText, mode] = process.argv.slice(2);
  const port = Number(portText);
  const count = Number(countText);
  if (!dir || !(port > 0) || !(count > 0)) throw new Error('usage: mail-driver.ts DIR PORT COUNT [hold]');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let sent = 0;
  const outbox = await Outbox.open({
    dir,
    backoff: { initialMs: 200, maxMs: 1000, jitter: 0.25 },
    onEvent: (e) => { if (e.type === 'sent') out(`sent ${++sent}`); },
    log: (level, line) => out(`log ${level}: ${line}`),
  });
  const render = { from: FROM, date: 1_795_000_724 };
  let queued = 0;
  let duplicate = 0;
  for (let i = 0; i < count; i++) {
    const r = await queueRecoveryMail(outbox, notice(i, 'crash@1'), render);
    if (r.status === 'queued') queued++;
    else duplicate++;
  }
  out(`queued ${queued} duplicate ${duplicate}`);
  if (mode === 'hold') {
    out('holding');
    setInterval(() => {}, 1 << 30);
    return;
  }
  const transport = createMailTransport(mailConfig({ address: '127.0.0.1', port }));
  outbox.registerChannel(MAIL_CHANNEL, mailChannel(transport));
  await outbox.settled();
  out(`done ${JSON.stringify(outbox.stats())}`);
  await outbox.close();
  transport.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`mail-driver: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
