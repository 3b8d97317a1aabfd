// Parsers for the kinds of values the schema names. Each turns the UCI text into the typed value
// or says, in words an admin can act on, what the value must look like.
import { parseIPv4, formatPrefix, prefixMask } from '../net/ipv4';
import { formatIPv6, parseIPv6 } from '../net/ipv6';
import { parseIp, parseIpPrefix, type IpAddress, type IpPrefix } from '../net/ip';
import { parseMac } from '../net/mac';
import type { ProbeSpec } from './types';

/** The typed value each kind produces. */
export interface KindValue {
  bool: boolean;
  uint: number;
  duration: number;
  port: number;
  text: string;
  enum: string;
  ipv4: number;
  ip: IpAddress;
  prefix: IpPrefix;
  mac: number;
  mail: string;
  oid: string;
  host: string;
  iface: string;
  path: string;
  listen: string;
  probe: ProbeSpec;
  icmp_code: number;
  icmp6_code: number;
}
export type ValueKind = keyof KindValue;

export interface Limits {
  /** uint/duration: smallest value; text: shortest length. */
  readonly min?: number;
  /** uint/duration: largest value; text: longest length. */
  readonly max?: number;
  /** enum: the allowed words. */
  readonly values?: readonly string[];
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T, warning?: string): Parsed<T> => (warning ? { ok: true, value, warning } : { ok: true, value });
const bad = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** The words OpenWrt's shell reads as booleans (config_get_bool, validate_data's output), lowercase only. */
export const TRUE_WORDS = ['1', 'yes', 'on', 'true', 'enabled'] as const;
export const FALSE_WORDS = ['0', 'no', 'off', 'false', 'disabled'] as const;

/** Any control character (CR and LF included): none of our values may carry one. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function parseBool(text: string): Parsed<boolean> {
  if ((TRUE_WORDS as readonly string[]).includes(text)) return ok(true);
  if ((FALSE_WORDS as readonly string[]).includes(text)) return ok(false);
  const lower = text.toLowerCase();
  // validate_data accepts any case, but hands an init script '' for it: lowercase only
  const hint = (TRUE_WORDS as readonly string[]).includes(lower) || (FALSE_WORDS as readonly string[]).includes(lower)
    ? ` (write '${lower}' in lowercase: OpenWrt's scripts read only that)` : '';
  return bad(`must be 1 or 0 (yes/no, on/off, true/false and enabled/disabled are read too)${hint}`);
}

/** A whole number as plain decimal digits: no sign, blank, leading zero or hex, as validate_data and the daemon both read it. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function parseWhole(text: string, min: number, max: number, what: string, hint = ''): Parsed<number> {
  const range = `${what} from ${min} to ${max}`;
  if (!DECIMAL.test(text) || text.length > String(max).length) {
    const meant = /^[\s+]*0*([0-9]+)\s*$/.exec(text);
    const plain = meant && meant[1] !== text ? ` (write it as ${Number(meant[1])}, in plain decimal digits)` : '';
    return bad(`must be ${range}${hint || plain}`);
  }
  const n = Number(text);
  if (n < min || n > max) return bad(`must be ${range}`);
  return ok(n);
}

export function parseUint(text: string, limits: Limits): Parsed<number> {
  return parseWhole(text, limits.min ?? 0, limits.max ?? 0xffffffff, 'a whole number');
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseDuration(text: string, limits: Limits): Parsed<number> {
  const unit = /^([0-9]{1,9})([smhd])$/.exec(text);
  const hint = unit ? ` (units are not read: write ${Number(unit[1]) * UNIT_SECONDS[unit[2]]} for ${text})` : '';
  return parseWhole(text, limits.min ?? 0, limits.max ?? 0xffffffff, 'a whole number of seconds', hint);
}

export function parsePort(text: string): Parsed<number> {
  return parseWhole(text, 1, 65535, 'a port number');
}

export function parseText(text: string, limits: Limits): Parsed<string> {
  const min = limits.min ?? 1;
  const max = limits.max ?? 255;
  if (text.length < min) return bad(min === 1 ? 'must not be empty' : `must be at least ${min} characters long`);
  if (text.length > max) return bad(`must be at most ${max} characters long`);
  return ok(text);
}

export function parseEnum(text: string, limits: Limits): Parsed<string> {
  const values = limits.values ?? [];
  if (values.includes(text)) return ok(text);
  const folded = values.find((v) => v.toLowerCase() === text.toLowerCase());
  const hint = folded ? ` (did you mean '${folded}'?)` : '';
  return bad(`must be one of: ${values.join(', ')}${hint}`);
}

export function parseAddress(text: string): Parsed<number> {
  const addr = parseIPv4(text);
  return addr === null ? bad('must be an IPv4 address such as 192.0.2.10') : ok(addr);
}

/** An address of either family, as servers and management stations may have. */
export function parseIpAddress(text: string): Parsed<IpAddress> {
  const ip = parseIp(text);
  return ip === null ? bad('must be an IPv4 address such as 192.0.2.10 or an IPv6 address such as 2001:db8::10 (no prefix length, no %zone)') : ok(ip);
}

export function parseNetwork(text: string): Parsed<IpPrefix> {
  const prefix = parseIpPrefix(text);
  if (prefix) return ok(prefix);
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  const addr = m ? parseIPv4(m[1]) : null;
  const length = m ? Number(m[2]) : NaN;
  if (addr !== null && length <= 32) {
    const network = formatPrefix({ network: (addr & prefixMask(length)) >>> 0, length });
    return bad(`host bits must be zero: did you mean ${network}?`);
  }
  const v6 = /^([0-9A-Fa-f:.]+)\/(0|[1-9][0-9]{0,2})$/.exec(text);
  const host = v6 ? parseIp(v6[1]) : null;
  if (host !== null && host.family === 6 && Number(v6![2]) <= 128) {
    return bad(`host bits must be zero: did you mean ${ipv6Network(host, Number(v6![2]))}?`);
  }
  return bad('must be a network such as 192.0.2.0/24 or 2001:db8:1::/64, or a single address such as 192.0.2.10');
}

/** The /length network holding an IPv6 address, as text (for the hint above). */
function ipv6Network(host: IpAddress, length: number): string {
  const bytes = host.bytes.slice();
  for (let bit = length; bit < 128; bit++) bytes[bit >> 3] &= ~(1 << (7 - (bit & 7)));
  return `${formatIPv6(bytes)}/${length}`;
}

export function parseMacAddress(text: string): Parsed<number> {
  const mac = /^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){5}$/.test(text) ? parseMac(text.replace(/-/g, ':')) : parseMac(text);
  if (mac === null) return bad('must be a MAC address such as 02:00:5e:10:00:01');
  if (mac === 0) return bad('00:00:00:00:00:00 means "no address": give the client\'s real MAC address');
  if (Math.floor(mac / 2 ** 40) % 2 === 1) return bad('is a multicast or broadcast address; a client\'s MAC address is unicast');
  return ok(mac);
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isHostName(text: string): boolean {
  return text.length <= 253 && text.split('.').every((label) => HOST_LABEL.test(label));
}

/** A plain addr-spec (local@domain), ASCII only; no display names, comments or quoted local parts. */
export function parseMail(text: string): Parsed<string> {
  const example = 'such as admin@example.org';
  if (text.length > 254) return bad(`must be a mail address of at most 254 characters, ${example}`);
  if (/\s/.test(text)) return bad(`must be a single mail address without blanks, ${example}`);
  const at = text.lastIndexOf('@');
  if (at < 0) return bad(`must be a mail address ${example}: it has no '@'`);
  if (text.indexOf('@') !== at) return bad(`must be a single mail address ${example}: it has more than one '@'`);
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length === 0 || local.length > 64) return bad(`must be a mail address ${example}: the part before '@' must be 1 to 64 characters`);
  if (!LOCAL_PART.test(local)) return bad(`must be a mail address ${example}: '${local}' is not a valid part before '@' (letters, digits, . and !#$%&'*+/=?^_\`{|}~- ; no '..' and no '.' at either end)`);
  const literal = /^\[([0-9.]+)\]$/.exec(domain);
  if (literal ? parseIPv4(literal[1]) === null : !isHostName(domain) || domain === '') {
    return bad(`must be a mail address ${example}: '${domain}' is not a valid domain`);
  }
  return ok(text);
}

export function parseOid(text: string): Parsed<string> {
  const oid = text.startsWith('.') ? text.slice(1) : text;
  const arcs = oid.split('.');
  const valid = arcs.length >= 2 && arcs.length <= 128 &&
    arcs.every((a) => /^(0|[1-9][0-9]{0,9})$/.test(a) && Number(a) <= 0xffffffff) && Number(arcs[0]) <= 2;
  return valid ? ok(oid) : bad('must be a numeric OID such as 1.3.6.1.4.1.8072.2.3.0.1 (names from MIBs are not read)');
}

/** A host name, an IPv4 address or an IPv6 address (without brackets), as LuCI's host(1) takes it. */
export function parseHost(text: string): Parsed<string> {
  if (parseIPv4(text) !== null || parseIPv6(text) !== null || (isHostName(text) && !/^[0-9.]+$/.test(text))) return ok(text);
  return bad('must be a host name such as smtp.example.org, an IPv4 address or an IPv6 address');
}

/**
 * A Linux network device name, kept to the characters OpenWrt's devices use: the kernel would
 * take more, but nothing a shell splitting the list of devices could glob or split.
 */
export function parseInterface(text: string): Parsed<string> {
  if (/^[A-Za-z0-9._-]{1,15}$/.test(text) && text !== '.' && text !== '..') return ok(text);
  return bad("must be a network device name as 'ip link' shows it, such as br-lan or eth0.2 (1 to 15 letters, digits, '.', '_' or '-')");
}

/** An absolute path of printable ASCII, at most PATH_MAX - 1 bytes. */
export function parsePath(text: string): Parsed<string> {
  if (/^\/[ -~]{0,4094}$/.test(text)) return ok(text);
  return bad(text.startsWith('/') ? 'must be an absolute path of printable ASCII characters (at most 4095)' : 'must be an absolute path, starting with /');
}

export function parseListen(text: string): Parsed<string> {
  const m = /^(.*):([^:]*)$/.exec(text);
  if (m && parseIPv4(m[1]) !== null && parsePort(m[2]).ok) return ok(text);
  return bad('must be ADDRESS:PORT, such as 127.0.0.1:9100 (0.0.0.0:9100 listens on every address)');
}

export function parseProbe(text: string): Parsed<ProbeSpec> {
  if (text === 'arp' || text === 'neigh') return ok({ method: text, port: 0 });
  const m = /^tcp:(.*)$/.exec(text);
  if (m) {
    const port = parsePort(m[1]);
    return port.ok ? ok({ method: 'tcp', port: port.value }) : bad(`must be tcp:PORT with a port from 1 to 65535`);
  }
  return bad("must be 'arp', 'neigh' or 'tcp:PORT' (such as tcp:443)");
}

/** ICMP destination-unreachable codes (RFC 792, 1122, 1812), as the reference shows them. */
export const ICMP_CODES: readonly { code: number; name: string; use: 'down' | 'live' | 'policy' }[] = [
  { code: 0, name: 'network unreachable', use: 'down' },
  { code: 1, name: 'host unreachable', use: 'down' },
  { code: 2, name: 'protocol unreachable', use: 'live' },
  { code: 3, name: 'port unreachable', use: 'live' },
  { code: 4, name: 'fragmentation needed', use: 'live' },
  { code: 5, name: 'source route failed', use: 'down' },
  { code: 6, name: 'destination network unknown', use: 'down' },
  { code: 7, name: 'destination host unknown', use: 'down' },
  { code: 8, name: 'source host isolated', use: 'down' },
  { code: 9, name: 'network administratively prohibited', use: 'policy' },
  { code: 10, name: 'host administratively prohibited', use: 'policy' },
  { code: 11, name: 'network unreachable for type of service', use: 'down' },
  { code: 12, name: 'host unreachable for type of service', use: 'down' },
  { code: 13, name: 'communication administratively prohibited', use: 'policy' },
  { code: 14, name: 'host precedence violation', use: 'policy' },
  { code: 15, name: 'precedence cutoff in effect', use: 'policy' },
];

/** ICMPv6 destination-unreachable codes (type 1): RFC 4443 3.1, RFC 6554 (7), RFC 8883 (8). */
export const ICMP6_CODES: readonly { code: number; name: string; use: 'down' | 'live' | 'policy' }[] = [
  { code: 0, name: 'no route to destination', use: 'down' },
  { code: 1, name: 'communication administratively prohibited', use: 'policy' },
  { code: 2, name: 'beyond scope of source address', use: 'live' },
  { code: 3, name: 'address unreachable', use: 'down' },
  { code: 4, name: 'port unreachable', use: 'live' },
  { code: 5, name: 'source address failed ingress/egress policy', use: 'policy' },
  { code: 6, name: 'reject route to destination', use: 'policy' },
  { code: 7, name: 'error in source routing header', use: 'live' },
  { code: 8, name: 'headers too long', use: 'live' },
];

function parseCode(text: string, codes: typeof ICMP_CODES, what: string): Parsed<number> {
  const n = parseWhole(text, 0, codes.length - 1, what);
  if (!n.ok) return n;
  const info = codes[n.value];
  if (info.use === 'live') {
    return bad(`code ${n.value} (${info.name}) comes from a live server or a working path: it cannot mean the server is down`);
  }
  if (info.use === 'policy') {
    return ok(n.value, `code ${n.value} (${info.name}) is a firewall's refusal, not a down server; clients may wait for a "recovery" that only a rule change brings`);
  }
  return ok(n.value);
}

export function parseIcmpCode(text: string): Parsed<number> {
  return parseCode(text, ICMP_CODES, 'an ICMP destination-unreachable code');
}

export function parseIcmp6Code(text: string): Parsed<number> {
  return parseCode(text, ICMP6_CODES, 'an ICMPv6 destination-unreachable code');
}

type Parser<K extends ValueKind> = (text: string, limits: Limits) => Parsed<KindValue[K]>;

export const PARSERS: { readonly [K in ValueKind]: Parser<K> } = {
  bool: parseBool,
  uint: parseUint,
  duration: parseDuration,
  port: parsePort,
  text: parseText,
  enum: parseEnum,
  ipv4: parseAddress,
  ip: parseIpAddress,
  prefix: parseNetwork,
  mac: parseMacAddress,
  mail: parseMail,
  oid: parseOid,
  host: parseHost,
  iface: parseInterface,
  path: parsePath,
  listen: parseListen,
  probe: parseProbe,
  icmp_code: parseIcmpCode,
  icmp6_code: parseIcmp6Code,
};

export function parseValue<K extends ValueKind>(kind: K, text: string, limits: Limits): Parsed<KindValue[K]> {
  return PARSERS[kind](text, limits);
}
