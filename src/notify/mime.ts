// One plain-text mail as RFC 5322 / MIME text, for every mail backsoon writes (the recovery
// notice, the targets mail of P13/P14, the agent's notices): the header block in one order,
// a Message-ID derived from what the mail is about (so every retry and every replay of the
// same notice carries the same one), and a body sent as 7bit when it can be, else base64.
import { nodeCrypto } from '../node-crypto';
import type { Mailbox } from './mail-address';
import { cleanText, encodeUnstructured, formatMailbox, headerField } from './mail-header';
import { formatMailDate, type UtcOffset } from './time-format';

export interface TextMail {
  /** The sender, already checked (parseMailbox). */
  readonly from: Mailbox;
  /** The recipient, already checked (mailAddressProblem). */
  readonly to: string;
  /** As a reader sees it; cleaned and encoded here, cut to `subjectMax` characters. */
  readonly subject: string;
  readonly subjectMax: number;
  /** Unix seconds, and the router's offset for the Date header. */
  readonly date: number;
  readonly utcOffset: UtcOffset;
  /** The Message-ID is "<KIND.HASH@domain of from>", HASH from `idSeed`. */
  readonly idKind: string;
  readonly idSeed: string;
  /** Fields after the standard ones, in this order (values are cleaned by the caller). */
  readonly extraHeaders: readonly (readonly [string, string])[];
  /** The body, LF line ends. */
  readonly text: string;
}

export interface AssembledMail {
  readonly messageId: string;
  /** The whole message, CRLF line ends, ready for SMTP DATA. */
  readonly raw: string;
}

export function assembleTextMail(m: TextMail): AssembledMail {
  const domain = m.from.address.slice(m.from.address.lastIndexOf('@') + 1);
  const digest = nodeCrypto().createHash('sha256').update(m.idSeed).digest('hex');
  const messageId = `<${m.idKind}.${digest.slice(0, 32)}@${domain}>`;
  // 7bit only for what it may carry: printable ASCII, TAB, lines of at most 998 octets. Text
  // with a NUL, a stray CR, a very long line or anything beyond ASCII goes as base64.
  const ascii = /^[\t\n\u0020-\u007e]*$/.test(m.text) && m.text.split('\n').every((line) => line.length <= 998);
  const headers = [
    headerField('From', formatMailbox(m.from)),
    headerField('To', m.to),
    headerField('Subject', encodeUnstructured(m.subject, m.subjectMax)),
    headerField('Date', formatMailDate(m.date, m.utcOffset)),
    headerField('Message-ID', messageId),
    headerField('MIME-Version', '1.0'),
    headerField('Content-Type', 'text/plain; charset=utf-8'),
    headerField('Content-Transfer-Encoding', ascii ? '7bit' : 'base64'),
    // RFC 3834: keeps vacation responders from answering the router.
    headerField('Auto-Submitted', 'auto-generated'),
    ...m.extraHeaders.map(([name, value]) => headerField(name, value)),
  ];
  const body = ascii
    ? m.text.replace(/\n/g, '\r\n')
    : (Buffer.from(m.text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n';
  return { messageId, raw: `${headers.join('\r\n')}\r\n\r\n${body}` };
}

/** The X-Backsoon-Outage value: the outage id ("server@since") in header-safe characters. */
export function outageHeader(outage: string): readonly [string, string] {
  return ['X-Backsoon-Outage', cleanText(outage, 80).replace(/[^A-Za-z0-9.:@_-]/g, '_')];
}
