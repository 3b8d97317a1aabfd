// The kernel-side filters of the live capture (pcap-filter(7) text), built from the config so
// that only the few packets the detectors read ever cross into JavaScript:
//   client side: ICMP destination unreachable, and TCP segments with SYN or RST set;
//   server side: ARP;
// and the same over IPv6, in a clause of its own (ipv6Side): ICMPv6 destination unreachable and
// TCP SYN/RST on the client side, neighbour solicitations and advertisements on the server side.
// With watched servers configured, TCP and ARP are narrowed to them, and ICMP to messages whose
// quoted header was addressed to them (the server is inside the ICMP payload, not in the outer
// header, whose source is the router and destination the client).
// ICMP and ICMPv6 errors are taken only from the router (icmpSources): a client's forged error is then
// mostly not even captured. The engine's own check of the source is the guard that holds
// regardless (src/engine/router-addresses.ts).
import { formatIPv4, formatPrefix, prefixContains, prefixMask, type Prefix } from '../net/ipv4';
import { prefixHolds, type IpAddress, type IpPrefix } from '../net/ip';

export type InterfaceRole = 'client' | 'server';

export interface FilterScope {
  /** Watched server addresses and networks; both empty means every server. */
  readonly servers: readonly IpAddress[];
  readonly networks: readonly IpPrefix[];
  /**
   * The router's own addresses. A SYN from one of them is the router's own connection (a TCP
   * probe, a mail to a watched host), never a client's attempt.
   */
  readonly ownAddresses?: readonly number[];
  /**
   * The router's addresses: ICMP and ICMPv6 errors are taken only with one of them, of the same
   * family, as IP source (none of a family: no error of that family at all). Absent: any source.
   */
  readonly icmpSources?: readonly IpAddress[];
  /** Also match the same packets inside 802.1Q/802.1ad tags (default true). */
  readonly vlan?: boolean;
}

/**
 * Beyond this many servers and networks the capture takes every packet of the kinds above and
 * leaves the choice to the engine: each target costs a few BPF instructions per direction, and
 * the kernel refuses programs of more than 4096.
 */
export const MAX_FILTER_TARGETS = 64;

const TCP_SYN_OR_RST = '(tcp[tcpflags] & (tcp-syn|tcp-rst)) != 0';
const TCP_PURE_SYN = '(tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst)) == tcp-syn';
const ICMP_UNREACHABLE = 'icmp[icmptype] == icmp-unreach';
// The quoted IPv4 header starts 8 bytes into the ICMP message; its destination 16 bytes further.
const QUOTED_DST = 'icmp[24:4]';

/** The filter for an interface with the given roles ('client', 'server' or both). */
export function captureFilter(roles: Iterable<InterfaceRole>, scope: FilterScope): string {
  const set = new Set(roles);
  const parts: string[] = [];
  const v4 = ipv4Scope(scope);
  if (set.has('client')) parts.push(clientSide(v4));
  if (set.has('server')) parts.push(serverSide(v4));
  if (parts.length === 0) throw new Error('captureFilter: an interface needs at least one role, client or server');
  const v6 = ipv6Side(set, scope);
  if (v6 !== null) parts.push(v6);
  return withVlan(parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(' or '), scope);
}

/** ICMP unreachable and TCP SYN / SYN-ACK / RST (P3, P4, P8). */
export function clientSideFilter(scope: FilterScope): string {
  return captureFilter(['client'], scope);
}

/** ARP requests and replies (arp-silence, P8). */
export function serverSideFilter(scope: FilterScope): string {
  return captureFilter(['server'], scope);
}

function clientSide(scope: Ipv4Scope): string {
  const targets = watchedTargets(scope);
  const tcp = [TCP_SYN_OR_RST];
  if (targets !== null) tcp.push(`(${targets.map(hostOrNet).join(' or ')})`);
  const own = unique(scope.ownAddresses ?? []);
  if (own.length > 0) tcp.push(`not (${TCP_PURE_SYN} and (${own.map((a) => `src host ${formatIPv4(a)}`).join(' or ')}))`);
  const icmp = [ICMP_UNREACHABLE];
  const from = icmpFrom(scope.icmpSources);
  if (from !== null) icmp.push(from);
  if (targets !== null) icmp.push(`(${targets.map(quotedDestinationIn).join(' or ')})`);
  return `(${tcp.join(' and ')}) or (${icmp.join(' and ')})`;
}

/** The source condition of the ICMP part, or null for none. */
function icmpFrom(sources: readonly number[] | undefined): string | null {
  if (sources === undefined) return null;
  const list = unique(sources);
  // No router address known: no ICMP error can count, so none is taken.
  if (list.length === 0) return 'icmp[icmptype] == 255';
  return `(${list.map((a) => `src host ${formatIPv4(a)}`).join(' or ')})`;
}

function serverSide(scope: Ipv4Scope): string {
  const targets = watchedTargets(scope);
  return targets === null ? 'arp' : `arp and (${targets.map(hostOrNet).join(' or ')})`;
}

/**
 * libpcap's `vlan` shifts the offsets of everything after it, even across `or`, so the whole
 * untagged expression comes first and is repeated in full after the one `vlan` (pcap-filter(7)).
 */
function withVlan(expr: string, scope: FilterScope): string {
  return scope.vlan === false ? expr : `(${expr}) or (vlan and (${expr}))`;
}

/** The IPv4 side of the scope, in the 32-bit form the IPv4 clauses are written from. */
interface Ipv4Scope {
  readonly servers: readonly number[];
  readonly networks: readonly Prefix[];
  readonly ownAddresses?: readonly number[];
  readonly icmpSources?: readonly number[];
  /** Watched IPv6 servers or networks exist: then no IPv4 target does not mean "every server". */
  readonly others: boolean;
}

function ipv4Scope(scope: FilterScope): Ipv4Scope {
  return {
    servers: scope.servers.filter((s) => s.family === 4).map((s) => s.v4),
    networks: scope.networks.filter((n) => n.family === 4).map((n) => ({ network: n.v4, length: n.length })),
    ownAddresses: scope.ownAddresses,
    icmpSources: scope.icmpSources?.filter((a) => a.family === 4).map((a) => a.v4),
    others: scope.servers.some((s) => s.family === 6) || scope.networks.some((n) => n.family === 6),
  };
}

/** Watched servers and networks, servers inside a listed network dropped; null = no narrowing. */
function watchedTargets(scope: Ipv4Scope): Prefix[] | null {
  const networks = uniquePrefixes(scope.networks);
  if (networks.some((n) => n.length === 0)) return null;
  const servers = unique(scope.servers).filter((s) => !networks.some((n) => prefixContains(n, s)));
  const targets = [...servers.map((s) => ({ network: s >>> 0, length: 32 })), ...networks];
  if (targets.length > MAX_FILTER_TARGETS || (targets.length === 0 && !scope.others)) return null;
  // Only IPv6 targets are watched: no IPv4 server is, 0.0.0.0/32 matches nothing a client sends to.
  return targets.length === 0 ? [{ network: 0, length: 32 }] : targets;
}

// ---- IPv6 ----
// libpcap cannot index tcp[] or icmp6[] over IPv6, so the clauses read fixed offsets from the
// IPv6 header (ip6[N]): they see TCP and ICMPv6 directly after the 40-byte header, as routers
// send their ICMPv6 errors and ND, and as clients send SYNs; a segment behind an extension header
// is not captured (the engine would read it, the filter does not pass it).
const IP6_NEXT = 'ip6[6]';
const IP6_TCP_FLAGS = 'ip6[53]';
const IP6_ICMP_TYPE = 'ip6[40]';
/** ICMPv6 unreachable: 8 bytes of ICMPv6, then the quoted IPv6 header, its destination 24 bytes in. */
const IP6_QUOTED_DST = 72;
/** NS and NA: the target address 8 bytes into the ICMPv6 message. */
const IP6_ND_TARGET = 48;

/** The IPv6 clause for the roles, or null when no IPv6 server is watched. */
function ipv6Side(roles: ReadonlySet<InterfaceRole>, scope: FilterScope): string | null {
  const targets = watchedTargetsV6(scope);
  if (targets !== null && targets.length === 0) return null;
  const parts: string[] = [];
  if (roles.has('client')) {
    // SYN or RST (0x02 | 0x04), and destination unreachable (type 1)
    const tcp = [`${IP6_NEXT} == 6`, `(${IP6_TCP_FLAGS} & 0x06) != 0`];
    if (targets !== null) tcp.push(`(${targets.map(hostOrNet6).join(' or ')})`);
    const icmp = [`${IP6_NEXT} == 58`, `${IP6_ICMP_TYPE} == 1`];
    const from = icmp6From(scope.icmpSources);
    if (from !== null) icmp.push(from);
    if (targets !== null) icmp.push(`(${targets.map((t) => addressAt(IP6_QUOTED_DST, t)).join(' or ')})`);
    parts.push(`(${tcp.join(' and ')})`, `(${icmp.join(' and ')})`);
  }
  if (roles.has('server')) {
    // neighbour solicitation (135) and advertisement (136)
    const nd = [`${IP6_NEXT} == 58`, `(${IP6_ICMP_TYPE} == 135 or ${IP6_ICMP_TYPE} == 136)`];
    if (targets !== null) nd.push(`(${targets.map((t) => addressAt(IP6_ND_TARGET, t)).join(' or ')})`);
    parts.push(`(${nd.join(' and ')})`);
  }
  return `ip6 and (${parts.join(' or ')})`;
}

/** The IPv6 source condition of the ICMPv6 part (the router's IPv6 addresses), or null for none. */
function icmp6From(sources: FilterScope['icmpSources']): string | null {
  if (sources === undefined) return null;
  const list = [...new Set(sources.filter((a) => a.family === 6).map((a) => a.text))];
  // No IPv6 router address known: no ICMPv6 error can count, so none is taken.
  if (list.length === 0) return `${IP6_ICMP_TYPE} == 255`;
  return `(${list.map((a) => `ip6 src host ${a}`).join(' or ')})`;
}

/** Watched IPv6 servers and networks; null = no narrowing (every server watched, or too many). */
function watchedTargetsV6(scope: FilterScope): IpPrefix[] | null {
  if (scope.servers.length === 0 && scope.networks.length === 0) return null;
  if (scope.networks.some((n) => n.family === 6 && n.length === 0)) return null;
  const networks = scope.networks.filter((n) => n.family === 6).filter((n, i, all) => all.findIndex((m) => m.text === n.text) === i);
  const servers = scope.servers.filter((s) => s.family === 6 && !networks.some((n) => prefixHolds(n, s.bytes)))
    .filter((s, i, all) => all.findIndex((o) => o.text === s.text) === i)
    .map((s) => ({ family: 6 as const, bytes: s.bytes, length: 128, v4: -1, text: `${s.text}/128` }));
  const targets = [...servers, ...networks];
  return targets.length > MAX_FILTER_TARGETS ? null : targets;
}

function hostOrNet6(p: IpPrefix): string {
  return p.length === 128 ? `ip6 host ${p.text.slice(0, -4)}` : `ip6 net ${p.text}`;
}

/** The 16-byte address at ip6[offset] lies in `p`: one 32-bit comparison per word the prefix covers. */
function addressAt(offset: number, p: IpPrefix): string {
  const tests: string[] = [];
  for (let word = 0; word * 32 < p.length; word++) {
    const b = p.bytes;
    const value = ((b[word * 4] << 24) | (b[word * 4 + 1] << 16) | (b[word * 4 + 2] << 8) | b[word * 4 + 3]) >>> 0;
    const bits = Math.min(32, p.length - word * 32);
    const at = `ip6[${offset + word * 4}:4]`;
    tests.push(bits === 32 ? `${at} == ${hex(value)}` : `(${at} & ${hex(prefixMask(bits))}) == ${hex(value)}`);
  }
  return tests.length === 0 ? 'ip6' : `(${tests.join(' and ')})`;
}

function hostOrNet(p: Prefix): string {
  return p.length === 32 ? `host ${formatIPv4(p.network)}` : `net ${formatPrefix(p)}`;
}

function quotedDestinationIn(p: Prefix): string {
  const value = hex(p.network);
  return p.length === 32 ? `${QUOTED_DST} == ${value}` : `(${QUOTED_DST} & ${hex(prefixMask(p.length))}) == ${value}`;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function unique(addrs: readonly number[]): number[] {
  return [...new Set(addrs.map((a) => a >>> 0))];
}

function uniquePrefixes(prefixes: readonly Prefix[]): Prefix[] {
  const seen = new Set<string>();
  const out: Prefix[] = [];
  for (const p of prefixes) {
    const key = formatPrefix(p);
    if (!seen.has(key)) { seen.add(key); out.push(p); }
  }
  return out;
}
