// The IPv4 addresses and MACs of the server-side interfaces, read when needed (DHCP or an
// operator may change them while the daemon runs).
import { networkInterfaces } from 'node:os';
import { parseIPv4 } from '../net/ipv4';
import { parseMac } from '../net/mac';
import type { InterfaceAddress } from './probe-plan';

/** One entry per IPv4 address of each named interface that has one, in the given order. */
export function interfaceAddresses(names: readonly string[]): InterfaceAddress[] {
  const all = networkInterfaces();
  const out: InterfaceAddress[] = [];
  for (const name of names) {
    for (const a of all[name] ?? []) {
      if (a.family !== 'IPv4' || a.cidr === null) continue;
      const address = parseIPv4(a.address);
      const prefix = Number(a.cidr.slice(a.cidr.indexOf('/') + 1));
      const mac = parseMac(a.mac) ?? 0;
      if (address !== null && Number.isInteger(prefix)) out.push({ name, address, prefix, mac });
    }
  }
  return out;
}
