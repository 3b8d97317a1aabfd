// The addresses and MACs of the server-side interfaces, read when needed (DHCP, SLAAC or an
// operator may change them while the daemon runs).
import { networkInterfaces } from 'node:os';
import { parseIp } from '../net/ip';
import { parseMac } from '../net/mac';
import type { InterfaceAddress } from './probe-plan';

/**
 * One entry per address of each named interface, IPv4 and IPv6 alike, in the given order.
 * Link-local IPv6 addresses are left out: no server is watched by one.
 */
export function interfaceAddresses(names: readonly string[]): InterfaceAddress[] {
  const all = networkInterfaces();
  const out: InterfaceAddress[] = [];
  for (const name of names) {
    for (const a of all[name] ?? []) {
      if (a.cidr === null || a.scopeid) continue;
      const address = parseIp(a.address);
      const prefix = Number(a.cidr.slice(a.cidr.indexOf('/') + 1));
      const mac = parseMac(a.mac) ?? 0;
      if (address !== null && Number.isInteger(prefix)) out.push({ name, address, prefix, mac });
    }
  }
  return out;
}
