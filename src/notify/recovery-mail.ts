// A recovery notice into the outbox as a mail: rendered once, keyed by address and outage so
// that one person is told once per outage however many of their devices tried.
import { normalizeMailAddress } from './mail-address';
import { MAIL_CHANNEL, type MailPayload } from './mail';
import type { RecoveryNotice } from './notice';
import type { EnqueueResult, Outbox } from './outbox/outbox';
import { renderRecoveryMail, type MailRenderOptions } from './render-mail';

export function recoveryMailKey(notice: RecoveryNotice): string {
  return `mail:${normalizeMailAddress(notice.to)}|${notice.outage}`;
}

/** Throws when the notice's address or the configured sender is not a usable mail address. */
export async function queueRecoveryMail(outbox: Outbox, notice: RecoveryNotice, options: MailRenderOptions): Promise<EnqueueResult> {
  const mail = renderRecoveryMail(notice, options);
  const payload: MailPayload = { from: mail.envelopeFrom, to: mail.to, raw: mail.raw };
  return outbox.enqueue(MAIL_CHANNEL, recoveryMailKey(notice), payload);
}
