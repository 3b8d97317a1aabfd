// The kernel-side filters of the live capture (pcap-filter(7) text), built from the config so
// that only the few packets the detectors read ever cross into JavaScript:
//   client side: ICMP destination unreachable, and TCP segments with SYN or RST set;
//   server side: ARP.
// With watched servers configured, TCP and ARP are narrowed to them, and ICMP to messages whose
// quoted header was addressed to them (the server is inside the ICMP payload, not in the outer
// header, whose source is the router and destination the client).
// ICMP errors are taken only from the router (icmpSources): a client's forged error is then
// mostly not even captured. The engine's own check of the source is the guard that holds
// regardless (src/engine/router-addresses.ts).
import { formatIPv4, formatPrefix, prefixContains, prefixMask, type Prefix } from '../net/ipv4';

export type InterfaceRole = 'client' | 'server';

export interface FilterScope {
  /** Watched server addresses and networks; both empty means every server. */
  readonly servers: readonly number[];
  readonly networks: readonly Prefix[];
  /**
   * The router's own addresses. A SYN from one of them is the router's own connection (a TCP
   * probe, a mail to a watched host), never a client's attempt.
   */
  readonly ownAddresses?: readonly number[];
  /**
   * The router's IPv4 addresses: ICMP errors are taken only with one of them as IP source
   * (none: no ICMP error at all). Absent: from any source.
   */
  readonly icmpSources?: readonly number[];
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
  if (set.has('client')) parts.push(clientSide(scope));
  if (set.has('server')) parts.push(serverSide(scope));
  if (parts.length === 0) throw new Error('captureFilter: an interface needs at least one role, client or server');
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

function clientSide(scope: FilterScope): string {
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
function icmpFrom(sources: FilterScope['icmpSources']): string | null {
  if (sources === undefined) return null;
  const list = unique(sources);
  // No router address known: no ICMP error can count, so none is taken.
  if (list.length === 0) return 'icmp[icmptype] == 255';
  return `(${list.map((a) => `src host ${formatIPv4(a)}`).join(' or ')})`;
}

function serverSide(scope: FilterScope): string {
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

/** Watched servers and networks, servers inside a listed network dropped; null = no narrowing. */
function watchedTargets(scope: FilterScope): Prefix[] | null {
  const networks = uniquePrefixes(scope.networks);
  if (networks.some((n) => n.length === 0)) return null;
  const servers = unique(scope.servers).filter((s) => !networks.some((n) => prefixContains(n, s)));
  const targets = [...servers.map((s) => ({ network: s >>> 0, length: 32 })), ...networks];
  if (targets.length === 0 || targets.length > MAX_FILTER_TARGETS) return null;
  return targets;
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
