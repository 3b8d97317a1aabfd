// The MAC of a client on the router's own segment, from the kernel's ARP table, for the
// registration (a client's IPv4 address may change, its MAC less often). 0 when not known.
import { readFileSync } from 'node:fs';
import { parseMac } from '../net/mac';

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
