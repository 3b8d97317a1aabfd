// Which probes a down server gets, and through which interface. Pure: the prober supplies the
// server's configuration, the outage's cause and the server-side interfaces' addresses.
//
// arp and neigh prove that the host answers ARP (or IPv6 neighbour discovery), not that its service runs. They are planned
// only for outages of the host (HOST_LEVEL_DOWN: icmp-unreachable, arp-silence, ...); a server down by
// syn-timeout (its host may well answer ARP) gets its tcp probes only.
import { sameIp, type IpAddress } from '../net/ip';
import { HOST_LEVEL_DOWN, type DownCause } from '../engine/decisions';
import type { ProbeMethod, ProbeSpec } from '../config/types';

export interface InterfaceAddress {
  readonly name: string;
  /** An address of the interface (either family), its prefix length, and its MAC (48-bit number). */
  readonly address: IpAddress;
  readonly prefix: number;
  readonly mac: number;
}

export interface PlannedProbe {
  readonly method: ProbeMethod;
  /** TCP port for 'tcp', 0 otherwise. */
  readonly port: number;
  /** The server-side interface for 'arp' and 'neigh'; null for 'tcp'. */
  readonly iface: InterfaceAddress | null;
}

export interface ProbePlan {
  readonly probes: readonly PlannedProbe[];
  /** Configured probes that cannot run, each with why (for a one-time log line). */
  readonly unusable: readonly string[];
}

/**
 * `configured` is the server's `list probe` (undefined or empty: none configured, then 'neigh'
 * when the server sits on a server-side interface's subnet, else nothing).
 */
export function planProbes(
  server: IpAddress,
  cause: DownCause,
  configured: readonly ProbeSpec[] | undefined,
  serverSide: readonly InterfaceAddress[],
): ProbePlan {
  const hostLevel = HOST_LEVEL_DOWN.has(cause);
  const iface = connectedInterface(server, serverSide);
  const specs: readonly ProbeSpec[] = configured && configured.length > 0
    ? configured
    : iface ? [{ method: 'neigh', port: 0 }] : [];
  const probes: PlannedProbe[] = [];
  const unusable: string[] = [];
  for (const spec of specs) {
    if (spec.method === 'tcp') {
      probes.push({ method: 'tcp', port: spec.port, iface: null });
    } else if (!hostLevel) {
      continue; // see the note at the top: the host answering ARP says nothing of its service
    } else if (spec.method === 'arp' && server.family === 6) {
      unusable.push("probe arp is IPv4's; an IPv6 server is probed by neighbour discovery: list probe 'neigh'");
    } else if (iface === null) {
      unusable.push(`probe ${spec.method} needs the server on the subnet of a server_interface, and none has it`);
    } else {
      probes.push({ method: spec.method, port: 0, iface });
    }
  }
  return { probes, unusable };
}

/** The first server-side interface whose subnet holds `server` (not the interface's own address). */
export function connectedInterface(server: IpAddress, serverSide: readonly InterfaceAddress[]): InterfaceAddress | null {
  for (const i of serverSide) {
    if (i.address.family !== server.family || sameIp(i.address, server)) continue;
    if (sameLeadingBits(i.address.bytes, server.bytes, (server.family === 4 ? 96 : 0) + i.prefix)) return i;
  }
  return null;
}

/** Do the first `bits` bits of the two 16-byte addresses agree? */
function sameLeadingBits(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let k = 0; k < whole; k++) if (a[k] !== b[k]) return false;
  const rest = bits & 7;
  return rest === 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) === 0;
}
