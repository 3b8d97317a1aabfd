// A second process for notify-outbox.test.ts: opens the outbox in DIR, says "holding" (or the
// error) and stays until killed.
//   node --import tsx test/unit/outbox-holder.ts DIR
import { Outbox } from '../../src/notify/outbox/outbox';

Outbox.open({ dir: process.argv[2], log: () => {} }).then(
  () => { process.stdout.write('holding\n'); setInterval(() => {}, 1 << 30); },
  (err: Error) => { process.stdout.write(`refused: ${err.message}\n`); process.exit(1); },
);
