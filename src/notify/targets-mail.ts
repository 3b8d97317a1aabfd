// The "recovery notification targets" mail (P13: to the recovered server's own notifier, P14:
// to a management station): a few lines for a person, then the block of targets-format.ts for
// `backsoon agent`. Rendered once when queued, so every retry sends the same bytes.
import { mailAddressProblem, normalizeMailAddress, parseMailbox, printable } from './mail-address';
import { cleanText } from './mail-header';
import { assembleTextMail, outageHeader } from './mime';
import type { RenderedMail } from './render-mail';
import { formatTargetsBlock, formatUtc, TARGETS_FORMAT_VERSION, type RecoveryTargets } from './targets-format';
import { formatDuration, formatIsoLocal, systemUtcOffset, type UtcOffset } from './time-format';

export const TARGETS_TITLE = 'Server failure recovery notification targets';

/** Clients listed in the human part; all of them are always in the block. */
const LISTED = 50;
const MAX_NAME = 100;

export interface TargetsRenderOptions {
  /** Unix seconds for the Date header; default: now. */
  readonly date?: number;
  /** The router's UTC offset for the human part; defaults to the process's time zone. */
  readonly utcOffset?: UtcOffset;
}

/**
 * The targets mail for `to` (the server's mailbox, table 75, or the management station's).
 * Throws when `to` or `from` is not a plain mail address, or an address in `targets` is not IPv4.
 */
export function renderTargetsMail(targets: RecoveryTargets, to: string, from: string, options: TargetsRenderOptions = {}): RenderedMail {
  const toProblem = mailAddressProblem(to);
  if (toProblem !== null) {
    throw new Error(`targets mail for server ${printable(targets.server.address)}: mailbox '${printable(to)}' ${toProblem}; ` +
      "fix option mailbox of its config server section (or option nms of config mail)");
  }
  const sender = parseMailbox(from, "config mail option 'from'");
  const offset = options.utcOffset ?? systemUtcOffset;
  const date = options.date ?? Math.floor(Date.now() / 1000);

  const address = cleanText(targets.server.address, 45);
  const name = cleanText(targets.server.name, MAX_NAME);
  const server = name === '' || name === address ? address : `${name} (${address})`;
  const subject = `${TARGETS_TITLE}: ${server}`;
  const n = targets.clients.length;
  const listed = targets.clients.slice(0, LISTED).map((c) => `  ${c.client}`);
  if (n > LISTED) listed.push(`  ... and ${n - LISTED} more (all of them are in the block below)`);
  const human = [
    TARGETS_TITLE,
    '',
    `The server ${server} is available again. While it was down, the`,
    `client${n === 1 ? '' : 's'} below tried to reach it. Please tell ${n === 1 ? 'its user' : 'their users'} that it is back.`,
    '',
    `  Server address:  ${address}`,
    `  Down since:      ${formatIsoLocal(targets.outageStart, offset)}`,
    `  Recovered at:    ${formatIsoLocal(targets.recoveredAt, offset)}`,
    `  Outage duration: ${formatDuration(targets.recoveredAt - targets.outageStart)}`,
    `  Clients (${n}):`,
    ...listed,
    '',
    '`backsoon agent` reads the block below and mails each client\'s user;',
    `its format (version ${TARGETS_FORMAT_VERSION}) is described in backsoon's docs/DELEGATION.md.`,
    '',
  ];
  const text = `${human.join('\n')}\n${formatTargetsBlock(targets)}`;

  const { messageId, raw } = assembleTextMail({
    from: sender, to, subject, subjectMax: MAX_NAME + 80, date, utcOffset: offset,
    idKind: 'targets', idSeed: `${to.toLowerCase()}\n${targets.outage}`,
    extraHeaders: [
      ['X-Backsoon-Targets', String(TARGETS_FORMAT_VERSION)],
      outageHeader(targets.outage),
      ['X-Backsoon-Recovered-At', formatUtc(targets.recoveredAt)],
    ],
    text,
  });
  return {
    envelopeFrom: sender.address,
    to,
    subject: cleanText(subject, MAX_NAME + 80),
    text,
    messageId,
    raw,
  };
}

/** One targets mail per mailbox and outage, however often the recovery is replayed. */
export function targetsMailKey(to: string, outage: string): string {
  return `targets:${normalizeMailAddress(to)}|${outage}`;
}
