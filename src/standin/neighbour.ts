// The MAC of a client on the router's own segment, from the kernel's ARP table, for the
// registration (a client's IPv4 address may change, its MAC less often). 0 when not known.
// IPv6 neighbours are not in /proc (only netlink has them): an IPv6 client's MAC is 0 here,
// and the engine links its addresses to the device from the frames it sees (devices.ts).
import { readFileSync } from 'node:fs';
import type { IpAddress } from '../net/ip';
import { parseMac } from '../net/mac';

/** The client's MAC if the kernel's ARP table has it; 0 for IPv6 clients and unknown ones. */
export function macOfNeighbour(client: IpAddress): number {
  return client.family === 4 ? macFromArpTable(client.text) : 0;
}

/** Reads /proc/net/arp: "IP HWtype Flags HWaddress Mask Device"; flags 0x2 = complete. */
export function macFromArpTable(client: string, file = '/proc/net/arp'): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[0] !== client) continue;
    if ((parseInt(f[2], 16) & 0x2) === 0) continue;
    const mac = parseMac(f[3]);
    if (mac !== null && mac !== 0) return mac;
  }
  return 0;
}
