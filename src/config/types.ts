// The typed configuration every other module reads. Produced by validate.ts from the UCI file;
// durations are seconds, addresses are parsed (see engine/addr.ts).
import type { Prefix } from '../engine/addr';

export type TlsMode = 'none' | 'starttls' | 'tls';
export type NotifyChannel = 'direct' | 'server' | 'nms';
export type ProbeMethod = 'arp' | 'neigh' | 'tcp';

export interface ProbeSpec {
  readonly method: ProbeMethod;
  /** TCP port for method 'tcp'; 0 otherwise. */
  readonly port: number;
}

/** config backsoon 'main' */
export interface MainConfig {
  readonly enabled: boolean;
  /** Client-side interfaces: ICMP unreachable, SYN, SYN/ACK, RST are read here. */
  readonly clientInterfaces: readonly string[];
  /** Server-side interfaces: ARP is read here. */
  readonly serverInterfaces: readonly string[];
  readonly synTimeout: number;          // P4, default 30
  readonly arpRetries: number;          // unanswered ARP requests before "down", default 3
  readonly icmpCodes: readonly number[];// ICMP type 3 codes that mean "server down"
  readonly maxAttemptAge: number;       // P10, default 86400
  readonly purgeInterval: number;       // P10, default 300
  readonly hold: number;                // flap damping: up for N s before notices, default 0
  readonly confirm: boolean;            // a trap counts only after one successful probe
  readonly probeInterval: number;       // seconds between active probes of a down server
  readonly maxServers: number;          // 71a capacity
  readonly maxLinks: number;            // 71b capacity
  readonly maxLinksPerServer: number;   // per-server cap
  readonly maxPendingSyns: number;      // P4 tracker capacity
  readonly maxContacts: number;         // 73/74 capacity
  readonly requireContact: boolean;     // P5 variant: register only clients with a known address
  readonly stateDir: string;
  readonly snapshotInterval: number;    // minimum seconds between state writes (flash wear)
  readonly controlSocket: string;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly policy: string | null;       // path to the operator's policy.js
  readonly metricsListen: string | null;// "addr:port" for the Prometheus listener
}

/** config watch: networks whose servers are watched (none: every server seen). */
export interface WatchConfig {
  readonly networks: readonly Prefix[];
}

/** config server 'name' */
export interface ServerConfig {
  readonly section: string;
  readonly name: string;                // host name shown in notices; defaults to the section name
  readonly address: number;
  readonly agentAddresses: readonly number[]; // further sources whose traps speak for it
  readonly notify: readonly NotifyChannel[];  // default ['direct']
  readonly mailbox: string | null;      // 75: the server's own notifier (P13)
  readonly probe: readonly ProbeSpec[];
  readonly standin: boolean;
  readonly standinPorts: readonly number[];   // default [80]
}

/** config contact: 73 (set up in advance). */
export interface ContactConfig {
  readonly client: number | null;       // IPv4, or
  readonly mac: number | null;          // MAC (one of the two is set)
  readonly mail: string;
}

export interface MailConfig {
  readonly host: string;
  readonly port: number;                // default 25 (587 with starttls+auth, 465 with tls)
  readonly tls: TlsMode;
  readonly user: string | null;
  readonly password: string | null;
  readonly from: string;
  readonly heloName: string | null;
  readonly nms: string | null;          // P14: the management station's mailbox
}

export interface SnmpCommunity { readonly name: string }
export interface SnmpUser {
  readonly name: string;
  readonly level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  readonly authProtocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | null;
  readonly authKey: string | null;
  readonly privProtocol: 'des' | 'aes' | 'aes256b' | 'aes256r' | null;
  readonly privKey: string | null;
}

/** config snmp: the trap receiver (P7). */
export interface SnmpConfig {
  readonly enabled: boolean;
  readonly listen: string;              // address to bind, default '0.0.0.0'
  readonly port: number;                // default 162
  readonly communities: readonly string[];    // v1/v2c, default ['public']
  readonly users: readonly SnmpUser[];  // v3 (from config snmp_user sections)
  readonly recoveryTraps: readonly string[];  // OIDs besides coldStart/warmStart/linkUp
}

export interface Config {
  readonly file: string;
  readonly main: MainConfig;
  readonly watch: WatchConfig;
  readonly servers: readonly ServerConfig[];
  readonly contacts: readonly ContactConfig[];
  readonly mail: MailConfig | null;     // null: no mail section, direct notices are not sent
  readonly snmp: SnmpConfig;
}
