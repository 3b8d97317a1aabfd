// The recovery mail of the patent's Fig. 8 ("Server failure recovery notice": recovered
// server's name and address, recovery time), plus what a reader asks next: when it went down,
// for how long, and why this mail came to them. Rendered once, when the notice is queued, so
// every retry sends the same bytes and the same Message-ID.
import { mailAddressProblem, parseMailbox, printable } from './mail-address';
import { cleanText } from './mail-header';
import { assembleTextMail, outageHeader } from './mime';
import type { RecoveryNotice } from './notice';
import { formatDuration, formatIsoLocal, systemUtcOffset, type UtcOffset } from './time-format';

export interface MailRenderOptions {
  /** The configured sender (MailConfig.from): "addr" or "Name <addr>". */
  readonly from: string;
  /** Unix seconds for the Date header: when the notice was composed. */
  readonly date: number;
  /** The router's UTC offset; defaults to the process's time zone. */
  readonly utcOffset?: UtcOffset;
  /** The operator policy's texts (src/policy render hook), in place of backsoon's own. */
  readonly subject?: string;
  readonly text?: string;
  /** Who sends it, for the closing line: the router itself (default) or a delegated agent. */
  readonly sentBy?: 'router' | 'agent';
}

export interface RenderedMail {
  /** SMTP envelope. */
  readonly envelopeFrom: string;
  readonly to: string;
  /** The subject and body as a reader sees them (body lines end in LF). */
  readonly subject: string;
  readonly text: string;
  /** "<...@domain>", derived from the recipient and the outage, so it is stable. */
  readonly messageId: string;
  /** The whole RFC 5322 message, CRLF line ends, ready for SMTP DATA. */
  readonly raw: string;
}

export const NOTICE_TITLE = 'Server failure recovery notice';

/** Longest server name shown; UCI allows any length, a subject line should not. */
const MAX_NAME = 100;

/** Throws when the recipient or the sender is not a plain mail address (see mail-address.ts). */
export function renderRecoveryMail(notice: RecoveryNotice, options: MailRenderOptions): RenderedMail {
  const toProblem = mailAddressProblem(notice.to);
  if (toProblem !== null) {
    throw new Error(
      `recovery notice for client ${printable(notice.client)}: mail address '${printable(notice.to)}' ${toProblem}; ` +
      'fix the contact (config contact, or the address entered on the stand-in page)',
    );
  }
  const sender = parseMailbox(options.from, "config mail option 'from'");
  const offset = options.utcOffset ?? systemUtcOffset;

  const address = cleanText(notice.server.address, 45);
  const name = cleanText(notice.server.name, MAX_NAME);
  const server = name === '' || name === address ? address : `${name} (${address})`;
  const subject = options.subject !== undefined && cleanText(options.subject, MAX_NAME + 80) !== ''
    ? cleanText(options.subject, MAX_NAME + 80)
    : `${NOTICE_TITLE}: ${server}`;
  const client = cleanText(notice.client, 45);
  const others = (notice.addresses ?? []).filter((a) => a !== notice.client).map((a) => cleanText(a, 45));
  const text = options.text !== undefined && options.text.trim() !== ''
    ? options.text.replace(/\r\n?/g, '\n').replace(/\n?$/, '\n')
    : [
    NOTICE_TITLE,
    '',
    'The server you tried to reach while it was down is available again.',
    '',
    `  Server:          ${server}`,
    `  Recovered at:    ${formatIsoLocal(notice.recoveredAt, offset)}`,
    `  Down since:      ${formatIsoLocal(notice.outageStart, offset)}`,
    `  Outage duration: ${formatDuration(notice.recoveredAt - notice.outageStart)}`,
    `  Your first try:  ${formatIsoLocal(notice.firstAttempt, offset)}`,
    `  Your address:    ${client}`,
    ...(others.length > 0 ? [`  Also tried from: ${others.join(', ')}`] : []),
    ...(notice.mac !== undefined ? [`  Your device:     MAC ${cleanText(notice.mac, 17)}`] : []),
    '',
    `You receive this notice because the device at ${client} tried to reach`,
    options.sentBy === 'agent'
      ? 'this server during the outage. A notice service sent it once, automatically;'
      : 'this server during the outage. Your router sent it once, automatically;',
    'there is no need to reply.',
    '',
  ].join('\n');

  const { messageId, raw } = assembleTextMail({
    from: sender, to: notice.to, subject, subjectMax: MAX_NAME + 80, date: options.date, utcOffset: offset,
    idKind: 'recovery', idSeed: `${notice.to.toLowerCase()}\n${notice.outage}`,
    extraHeaders: [outageHeader(notice.outage)], text,
  });
  return {
    envelopeFrom: sender.address,
    to: notice.to,
    subject: cleanText(subject, MAX_NAME + 80),
    text,
    messageId,
    raw,
  };
}
