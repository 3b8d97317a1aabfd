// The networks of the client-side devices, as the kernel has them now: the default client
// networks (only clients inside them are registered) when the configuration names none.
// Link-local networks are left out: a client's attempt to a routed server never comes from a
// link-local address, and fe80::/64 would let any neighbour forge 2^64 sources.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatIp, parseIp, parseIpPrefix, type IpPrefix } from '../net/ip';
import { isLinkLocalIPv6 } from '../net/ipv6';

/** Each address's network (host bits cleared) on the named devices, but link-local; none named: none. */
export function lanNetworks(devices: readonly string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): IpPrefix[] {
  const out: IpPrefix[] = [];
  for (const device of devices) {
    for (const info of interfaces[device] ?? []) {
      if (info.cidr === null) continue;
      const prefix = networkOf(info.cidr);
      if (prefix === null || (prefix.family === 6 && isLinkLocalIPv6(prefix.bytes))) continue;
      if (!out.some((p) => p.text === prefix.text)) out.push(prefix);
    }
  }
  return out;
}

/** "192.168.1.1/24" -> 192.168.1.0/24 (either family). */
export function networkOf(cidr: string): IpPrefix | null {
  const [address, lengthText] = cidr.split('/');
  const ip = parseIp(address.split('%')[0]);
  const length = Number(lengthText);
  if (ip === null || !Number.isInteger(length)) return null;
  const bytes = ip.bytes.slice();
  const bits = ip.family === 4 ? 96 + length : length;
  for (let bit = bits; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return parseIpPrefix(`${formatIp(bytes)}/${length}`);
}
