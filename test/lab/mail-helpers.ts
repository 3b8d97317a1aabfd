// Shared by the mail lab tests: an outbox wired to exim through the real mail transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailConfig } from '../../src/config/types';
import { createMailTransport, MAIL_CHANNEL, mailChannel, type MailTransport, type MailTransportOptions } from '../../src/notify/mail';
import type { RecoveryNotice } from '../../src/notify/notice';
import { Outbox, type OutboxEvent, type OutboxOptions } from '../../src/notify/outbox/outbox';
import type { Exim } from './exim';

export const FROM = 'backsoon <backsoon@router.example.test>';

/** `config mail` for an MTA listening at `mta` (an Exim, or just its address and port). */
export function mailConfig(mta: { readonly address: string; readonly port: number }): MailConfig {
  return {
    host: mta.address, port: mta.port, tls: 'none', user: null, password: null,
    from: FROM, heloName: 'router.example.test', nms: null,
  };
}

export function notice(i: number | string, outage: string, overrides: Partial<RecoveryNotice> = {}): RecoveryNotice {
  const t = 1_795_000_000;
  return {
    to: `user${i}@example.test`, client: `192.0.2.${typeof i === 'number' ? (i % 250) + 1 : 1}`,
    server: { name: 'www.example.test', address: '198.51.100.10' },
    outageStart: t, recoveredAt: t + 723, firstAttempt: t + 61, lastAttempt: t + 300, outage, ...overrides,
  };
}

export interface Wired {
  readonly outbox: Outbox;
  readonly transport: MailTransport;
  readonly events: OutboxEvent[];
  readonly logs: string[];
  readonly dir: string;
  close(): Promise<void>;
}

/** An outbox in a fresh temp dir, with the mail channel going to `exim`. */
export async function wire(exim: Exim, options: Partial<OutboxOptions> = {}, transportOptions: MailTransportOptions = {}, concurrency?: number): Promise<Wired> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-ml-outbox-'));
  const events: OutboxEvent[] = [];
  const logs: string[] = [];
  const outbox = await Outbox.open({
    dir,
    backoff: { initialMs: 300, maxMs: 1000, jitter: 0.25 },
    log: (level, line) => logs.push(`${level}: ${line}`),
    onEvent: (e) => events.push(e),
    ...options,
  });
  const transport = createMailTransport(mailConfig(exim), { connectionTimeoutMs: 2000, greetingTimeoutMs: 2000, ...transportOptions });
  outbox.registerChannel(MAIL_CHANNEL, mailChannel(transport, concurrency));
  return {
    outbox, transport, events, logs, dir,
    async close() {
      await outbox.close();
      transport.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
