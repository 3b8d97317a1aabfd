// The stand-in's knobs (config standin) and which servers it stands in for (config server
// with option standin '1'). Durations are seconds, sizes bytes.
import type { IpAddress } from '../net/ip';

export interface StandInSettings {
  /**
   * Address the page listeners bind; connections arrive there through the nftables redirect.
   * '0.0.0.0' (every address) binds '::' for both families where the kernel has IPv6.
   */
  readonly listenAddress: string;
  /** First port of the listener range; one port per down server: portBase .. portBase+portCount-1. */
  readonly portBase: number;
  readonly portCount: number;
  /** TCP ports of a down server answered with a reset (HTTPS cannot be stood in for); [] for none. */
  readonly resetPorts: readonly number[];
  /** A known address older than this is asked for again (P11 [0183]-[0185]). */
  readonly reaskAfter: number;
  /** Largest form post accepted; larger ones get 413. */
  readonly maxBody: number;
  /** Open connections over all listeners, from one client address, and from one /24 (IPv4) or /64 (IPv6). */
  readonly maxConnections: number;
  readonly maxClientConnections: number;
  readonly maxNetworkConnections: number;
  /** Longest a client may take to send its request headers, and its whole request. */
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  /** Form posts one client address may make per clientWindow seconds. */
  readonly clientPosts: number;
  readonly clientWindow: number;
  /** Registrations one mail address may receive (from any client) per addressWindow seconds. */
  readonly addressRegistrations: number;
  readonly addressWindow: number;
  /** Directory of further message catalogs (LANG.json); null: English and Japanese only. */
  readonly languagesDir: string | null;
  /** Manage the nftables table `inet backsoon`; off for in-process tests and the bench. */
  readonly nftables: boolean;
}

export const defaultStandInSettings: StandInSettings = {
  listenAddress: '0.0.0.0',
  portBase: 8480,
  portCount: 64,
  resetPorts: [443],
  reaskAfter: 30 * 86400,
  maxBody: 4096,
  maxConnections: 512,
  maxClientConnections: 32,
  maxNetworkConnections: 256,
  headersTimeout: 10,
  requestTimeout: 20,
  clientPosts: 10,
  clientWindow: 600,
  addressRegistrations: 3,
  addressWindow: 86400,
  languagesDir: null,
  nftables: true,
};

/** A server the stand-in may answer for while it is down. */
export interface StandInServer {
  /** IPv4 or IPv6. */
  readonly address: IpAddress;
  /** The configured host name shown on the page. */
  readonly name: string;
  /** TCP ports whose new connections are redirected to the page (default [80]). */
  readonly ports: readonly number[];
}

/** Why a settings object cannot be used, or null. */
export function standInSettingsProblem(s: StandInSettings): string | null {
  if (!Number.isInteger(s.portBase) || s.portBase < 1) return `listen_port ${s.portBase}: must be a port number`;
  if (!Number.isInteger(s.portCount) || s.portCount < 1) return `listen_ports ${s.portCount}: must be at least 1`;
  if (s.portBase + s.portCount - 1 > 65535) {
    return `listen_port ${s.portBase} with listen_ports ${s.portCount} runs past port 65535; lower one of them`;
  }
  if (s.headersTimeout > s.requestTimeout) {
    return `header_timeout ${s.headersTimeout} exceeds request_timeout ${s.requestTimeout}; the headers are part of the request`;
  }
  return null;
}
