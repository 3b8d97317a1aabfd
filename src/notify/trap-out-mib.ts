// The OIDs of BACKSOON-MIB (board/openwrt/files/usr/share/snmp/mibs/BACKSOON-MIB.txt) under
// the configured arc (config snmp_out option enterprise_oid), and the value encodings its
// objects use. Keep this file and the MIB in step: test/unit/trap-out-mib.test.ts reads both.
import type { IpAddress } from '../net/ip';

/** Sub-identifiers below the arc; the MIB's OBJECT IDENTIFIER assignments, in one place. */
export const MIB_LAYOUT = {
  backsoonNotifications: [0],
  backsoonServerDown: [0, 1],
  backsoonServerRecovered: [0, 2],
  backsoonOutageExpired: [0, 3],
  backsoonObjects: [1],
  /** Obsolete (IPv4 IpAddress), never sent: its OID stays taken. */
  backsoonServerAddress: [1, 1],
  backsoonServerName: [1, 2],
  backsoonOutageStart: [1, 3],
  backsoonOutageEnd: [1, 4],
  backsoonWaitingClients: [1, 5],
  backsoonCause: [1, 6],
  backsoonOutageId: [1, 7],
  backsoonServerInetAddressType: [1, 8],
  backsoonServerInetAddress: [1, 9],
  backsoonConformance: [2],
  backsoonCompliances: [2, 1],
  backsoonGroups: [2, 2],
} as const;

export type MibName = keyof typeof MIB_LAYOUT;

/** INET-ADDRESS-MIB InetAddressType values (RFC 4001) of the families backsoon sends. */
export const INET_ADDRESS_TYPE = { ipv4: 1, ipv6: 2 } as const;

/**
 * InetAddressType and InetAddress of an address (RFC 4001): ipv4(1) with 4 octets, ipv6(2)
 * with 16, network order.
 */
export function inetAddress(ip: IpAddress): { type: number; octets: Buffer } {
  return ip.family === 4
    ? { type: INET_ADDRESS_TYPE.ipv4, octets: Buffer.from(ip.bytes.subarray(12, 16)) }
    : { type: INET_ADDRESS_TYPE.ipv6, octets: Buffer.from(ip.bytes) };
}

/** The default arc: enterprise 32473, reserved for documentation (RFC 5612). */
export const DEFAULT_ENTERPRISE_OID = '1.3.6.1.4.1.32473';

export function mibOid(arc: string, name: MibName): string {
  return [arc, ...MIB_LAYOUT[name]].join('.');
}

/** Scalars are sent with instance .0, as an agent would serve them. */
export function instanceOid(arc: string, name: MibName): string {
  return `${mibOid(arc, name)}.0`;
}

/**
 * SNMPv2-TC DateAndTime of Unix seconds, in UTC with the offset written out (11 octets:
 * year, month, day, hour, minutes, seconds, deci-seconds, '+', 0, 0).
 */
export function dateAndTime(t: number): Buffer {
  const ms = Math.floor(t * 10) * 100;
  const d = new Date(ms);
  const out = Buffer.alloc(11);
  out.writeUInt16BE(d.getUTCFullYear(), 0);
  out[2] = d.getUTCMonth() + 1;
  out[3] = d.getUTCDate();
  out[4] = d.getUTCHours();
  out[5] = d.getUTCMinutes();
  out[6] = d.getUTCSeconds();
  out[7] = Math.floor(d.getUTCMilliseconds() / 100);
  out[8] = 0x2b; // '+'
  out[9] = 0;
  out[10] = 0;
  return out;
}

/** Unix seconds of an 8- or 11-octet DateAndTime (for tests and receivers). */
export function parseDateAndTime(octets: Buffer): number | null {
  if (octets.length !== 8 && octets.length !== 11) return null;
  let ms = Date.UTC(octets.readUInt16BE(0), octets[2] - 1, octets[3], octets[4], octets[5], octets[6], octets[7] * 100);
  if (octets.length === 11) {
    const offset = (octets[9] * 60 + octets[10]) * 60_000;
    ms += octets[8] === 0x2d ? offset : -offset;
  }
  return ms / 1000;
}
