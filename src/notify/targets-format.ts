// The machine-readable part of a "recovery notification targets" mail (P13, P14; the patent's
// Fig. 18: the recovered server's address and the addresses of the clients that tried it).
// The router writes it, `backsoon agent` reads it; docs/DELEGATION.md is the specification.
//
// A block of "key: value" lines between two marker lines, inside a text/plain body, so that a
// person reading the mail sees it too and any mail path that keeps plain text keeps it intact:
//
//   -----BEGIN BACKSOON TARGETS-----
//   backsoon-targets: 1
//   server: 198.51.100.10
//   ...
//   client: 192.0.2.7 2026-11-18T11:07:41Z 2026-11-18T11:11:40Z 02:00:5e:10:00:01
//   -----END BACKSOON TARGETS-----
//
// Pure: no Node APIs, so the format can be checked anywhere the engine runs.
import { parseIPv4 } from '../net/ipv4';

export const TARGETS_FORMAT_VERSION = 1;
export const TARGETS_BEGIN = '-----BEGIN BACKSOON TARGETS-----';
export const TARGETS_END = '-----END BACKSOON TARGETS-----';

export interface TargetClient {
  /** Dotted quad. */
  readonly client: string;
  /** Unix seconds: the client's first and last attempt during the outage. */
  readonly firstAttempt: number;
  readonly lastAttempt: number;
  /** "aa:bb:cc:dd:ee:ff" when the router saw it. */
  readonly mac?: string;
}

/** What one targets mail says: one outage of one server and who waited for it. */
export interface RecoveryTargets {
  readonly server: { readonly name: string; readonly address: string };
  /** The engine's outage id ("server@since"): with the recipient, the dedup key of every notice. */
  readonly outage: string;
  /** Unix seconds. */
  readonly outageStart: number;
  readonly recoveredAt: number;
  readonly clients: readonly TargetClient[];
}

export type TargetsParse =
  | { readonly ok: true; readonly targets: RecoveryTargets }
  /** `found`: a block (or its start) is there but wrong; false: the text holds no block at all. */
  | { readonly ok: false; readonly found: boolean; readonly reason: string };

const MAX_NAME = 253;
const MAX_OUTAGE = 80;

/** "2026-11-18T11:06:40Z": whole seconds, UTC, so the reader needs no time zone. */
export function formatUtc(t: number): string {
  return new Date(Math.floor(t) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export function parseUtc(text: string): number | null {
  const m = UTC.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March: refuse what does not come back the same
  return formatUtc(ms / 1000) === text ? ms / 1000 : null;
}

/** One line of text, whatever the input: control characters out, runs of blanks collapsed. */
function oneLine(text: string, max: number): string {
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  const points = Array.from(cleaned);
  return points.length <= max ? cleaned : points.slice(0, max).join('');
}

/** The block, LF line ends, ending in a line break. Throws on an address that is not IPv4. */
export function formatTargetsBlock(t: RecoveryTargets): string {
  if (parseIPv4(t.server.address) === null) throw new Error(`targets: server address '${t.server.address}' is not an IPv4 address`);
  const lines = [
    TARGETS_BEGIN,
    `backsoon-targets: ${TARGETS_FORMAT_VERSION}`,
    `server: ${t.server.address}`,
    `name: ${oneLine(t.server.name, MAX_NAME)}`,
    `outage: ${oneLine(t.outage, MAX_OUTAGE).replace(/\s/g, '_')}`,
    `down-since: ${formatUtc(t.outageStart)}`,
    `recovered-at: ${formatUtc(t.recoveredAt)}`,
    `clients: ${t.clients.length}`,
  ];
  for (const c of t.clients) {
    if (parseIPv4(c.client) === null) throw new Error(`targets: client address '${c.client}' is not an IPv4 address`);
    const mac = c.mac !== undefined && MAC.test(c.mac) ? c.mac.toLowerCase() : '-';
    lines.push(`client: ${c.client} ${formatUtc(c.firstAttempt)} ${formatUtc(c.lastAttempt)} ${mac}`);
  }
  lines.push(TARGETS_END);
  return `${lines.join('\n')}\n`;
}

const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const REQUIRED = ['server', 'outage', 'down-since', 'recovered-at', 'clients'] as const;

/**
 * Finds and reads the block in a decoded mail body. Lenient where mail paths differ (CRLF,
 * trailing blanks, a name line missing), strict where a wrong reading would tell the wrong
 * people: every address, time and the client count must check out, or nothing is read.
 */
export function parseTargetsText(text: string): TargetsParse {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/[ \t]+$/, ''));
  const begins: number[] = [];
  lines.forEach((l, i) => { if (l === TARGETS_BEGIN) begins.push(i); });
  if (begins.length === 0) return { ok: false, found: false, reason: `no '${TARGETS_BEGIN}' line in the body` };
  if (begins.length > 1) return fail(`${begins.length} '${TARGETS_BEGIN}' lines; a targets mail holds one block`);
  const start = begins[0];
  const end = lines.indexOf(TARGETS_END, start + 1);
  if (end < 0) return fail(`no '${TARGETS_END}' line after the begin line: the mail was cut short`);

  const body = lines.slice(start + 1, end);
  const version = /^backsoon-targets: *(\d{1,6})$/.exec(body[0] ?? '');
  if (version === null) return fail("the block does not start with a 'backsoon-targets: N' line");
  if (Number(version[1]) !== TARGETS_FORMAT_VERSION) {
    return fail(`format version ${version[1]}; this backsoon reads version ${TARGETS_FORMAT_VERSION} ` +
      '(update backsoon on this host, or the router, so that both speak the same version)');
  }

  const fields = new Map<string, string>();
  const clientLines: { text: string; line: number }[] = [];
  for (let i = 1; i < body.length; i++) {
    const line = body[i];
    if (line === '') continue;
    const m = /^([a-z][a-z0-9-]*): ?(.*)$/.exec(line);
    if (m === null) return fail(`block line ${i + 1} '${shown(line)}' is not 'key: value'`);
    const [, key, value] = m;
    if (key === 'client') {
      clientLines.push({ text: value, line: i + 1 });
    } else if (fields.has(key)) {
      return fail(`block line ${i + 1}: '${key}' is given twice`);
    } else {
      // unknown keys are skipped: a newer router may add fields within version 1
      fields.set(key, value);
    }
  }
  for (const key of REQUIRED) if (!fields.has(key)) return fail(`the block has no '${key}:' line`);

  const address = fields.get('server')!;
  if (parseIPv4(address) === null) return fail(`server '${shown(address)}' is not an IPv4 address`);
  const outageStart = parseUtc(fields.get('down-since')!);
  if (outageStart === null) return fail(`down-since '${shown(fields.get('down-since')!)}' is not a time like 2026-11-18T11:06:40Z`);
  const recoveredAt = parseUtc(fields.get('recovered-at')!);
  if (recoveredAt === null) return fail(`recovered-at '${shown(fields.get('recovered-at')!)}' is not a time like 2026-11-18T11:18:43Z`);
  const outage = fields.get('outage')!;
  if (!/^[\x21-\x7e]{1,80}$/.test(outage)) return fail(`outage '${shown(outage)}' is not 1 to 80 printable ASCII characters`);
  const count = fields.get('clients')!;
  if (!/^\d{1,9}$/.test(count)) return fail(`clients '${shown(count)}' is not a number`);
  if (Number(count) !== clientLines.length) {
    return fail(`clients says ${Number(count)} but the block has ${clientLines.length} client line(s): the mail was altered or cut`);
  }

  const clients: TargetClient[] = [];
  const seen = new Set<string>();
  for (const { text: value, line } of clientLines) {
    const parts = value.split(/ +/);
    if (parts.length !== 4) return fail(`block line ${line}: a client line is 'client: ADDRESS FIRST LAST MAC' (MAC '-' when unknown)`);
    const [client, first, last, mac] = parts;
    if (parseIPv4(client) === null) return fail(`block line ${line}: client '${shown(client)}' is not an IPv4 address`);
    const firstAttempt = parseUtc(first);
    const lastAttempt = parseUtc(last);
    if (firstAttempt === null || lastAttempt === null) return fail(`block line ${line}: attempt times must look like 2026-11-18T11:07:41Z`);
    if (mac !== '-' && !MAC.test(mac)) return fail(`block line ${line}: MAC '${shown(mac)}' is not aa:bb:cc:dd:ee:ff or '-'`);
    if (seen.has(client)) continue;
    seen.add(client);
    clients.push({ client, firstAttempt, lastAttempt, ...(mac !== '-' ? { mac: mac.toLowerCase() } : {}) });
  }
  const name = oneLine(fields.get('name') ?? '', MAX_NAME);
  return {
    ok: true,
    targets: { server: { name: name === '' ? address : name, address }, outage, outageStart, recoveredAt, clients },
  };
}

function fail(reason: string): TargetsParse {
  return { ok: false, found: true, reason };
}

function shown(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
