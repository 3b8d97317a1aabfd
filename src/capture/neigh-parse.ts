// One line of `ip monitor neigh` (iproute2) as data, either family. Recorded forms (iproute2 6.1):
//   198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a REACHABLE
//   198.51.100.10 dev s0 FAILED
//   Deleted 198.51.100.10 dev s0 lladdr 02:00:c6:33:64:0a STALE
//   miss 198.51.100.10 dev s0 INCOMPLETE                      (app_solicit requests)
//   198.51.100.20 dev s0 lladdr 02:00:00:00:00:20 router NOARP
//   198.51.100.22 dev s0 lladdr 02:00:00:00:00:22 STALE proto static
//   2001:db8:5::10 dev s0 lladdr 02:00:c6:33:64:0a router REACHABLE
//   2001:db8:5::10 dev s0 FAILED
// A bridge's forwarding entries come on the same channel, a device and a MAC with no address
// (isBridgeEntry; every router with a bridged LAN prints them as its ports learn):
//   dev c0 lladdr 02:00:c0:00:02:0a REACHABLE
//   Deleted dev c0 lladdr 02:00:c0:00:02:0a STALE
// Flags (router, proxy, managed, extern_learn, ...) and "proto X" may appear anywhere after the
// address; states are the upper-case NUD names, several when several bits are set.
import { parseIp, type IpAddress } from '../net/ip';
import { parseMac } from '../net/mac';

export type NeighbourKind = 'update' | 'deleted' | 'miss';

export const NUD_STATES = [
  'INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'NOARP', 'PERMANENT', 'NONE',
] as const;
export type NudState = (typeof NUD_STATES)[number];

export interface NeighbourLine {
  readonly kind: NeighbourKind;
  /** Either family (a link-local or scoped IPv6 address does not parse: the line is not read). */
  readonly addr: IpAddress;
  readonly dev: string;
  /** 48-bit MAC, 0 when the line has no lladdr. */
  readonly lladdr: number;
  readonly states: readonly NudState[];
}

const stateSet: ReadonlySet<string> = new Set(NUD_STATES);
/** Words that take the next word as their value. */
const VALUED = new Set(['dev', 'lladdr', 'proto', 'protocol', 'used', 'probes', 'vrf']);

/** Parses one line; null when it is not a neighbour line of the forms above. */
export function parseNeighbourLine(line: string): NeighbourLine | null {
  const words = line.trim().split(/\s+/);
  let i = 0;
  let kind: NeighbourKind = 'update';
  if (words[0] === 'Deleted') { kind = 'deleted'; i++; }
  else if (words[0] === 'miss') { kind = 'miss'; i++; }
  const addr = parseIp(words[i] ?? '');
  if (addr === null) return null;
  let dev = '';
  let lladdr = 0;
  const states: NudState[] = [];
  for (i++; i < words.length; i++) {
    const word = words[i];
    if (stateSet.has(word)) { states.push(word as NudState); continue; }
    if (!VALUED.has(word)) {
      // A flag such as router or managed: lower-case letters and underscores only.
      if (!/^[a-z_]+$/.test(word)) return null;
      continue;
    }
    const value = words[++i];
    if (value === undefined) return null;
    if (word === 'dev') dev = value;
    else if (word === 'lladdr') {
      const mac = parseMac(value);
      if (mac === null) return null;
      lladdr = mac;
    }
  }
  if (dev === '' || states.length === 0) return null;
  return { kind, addr, dev, lladdr, states };
}

/** A bridge's forwarding entry (no address): says nothing about a host, not a line to report. */
export function isBridgeEntry(line: string): boolean {
  return /^\s*(?:Deleted\s+)?dev\s+\S+/.test(line);
}
