// The typed configuration every other module reads. Produced by validate.ts from the UCI file;
// durations are seconds, addresses are parsed (see engine/addr.ts).
import type { IpAddress, IpPrefix } from '../net/ip';

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
  /** Configured router addresses, beyond the host's own: whose ICMP errors count. */
  readonly routerAddresses: readonly IpAddress[];
  readonly synTimeout: number;          // P4, default 30
  readonly arpRetries: number;          // unanswered ARP requests before "down", default 3
  readonly icmpCodes: readonly number[];// ICMP type 3 codes that mean "server down"
  readonly icmp6Codes: readonly number[];// ICMPv6 type 1 codes that mean "server down"
  readonly maxAttemptAge: number;       // P10, default 86400
  readonly purgeInterval: number;       // P10, default 300
  readonly hold: number;                // flap damping: up for N s before notices, default 0
  /** A trap counts only after one successful probe; null: for v1/v2c and unauthenticated v3 only. */
  readonly confirm: boolean | null;
  readonly probeInterval: number;       // seconds between active probes of a down server
  readonly maxServers: number;          // 71a capacity
  readonly maxLinks: number;            // 71b capacity
  readonly maxLinksPerServer: number;   // per-server cap
  readonly maxPendingSyns: number;      // P4 tracker capacity
  readonly maxContacts: number;         // 73/74 capacity
  readonly captureBuffer: number;       // bytes of kernel capture buffer per interface
  readonly captureBatchMs: number;      // ms packets may wait in the kernel to be read as a batch
  readonly requireContact: boolean;     // P5 variant: register only clients with a known address
  readonly stateDir: string;
  readonly snapshotInterval: number;    // minimum seconds between state writes (flash wear)
  readonly controlSocket: string;
  readonly ubusSocket: string;          // ubusd's socket; ubus is off when it is absent
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly policy: string | null;       // path to the operator's policy.js
  readonly policyBudget: number;        // seconds the policy may delay one recovery's notices
  readonly metricsListen: string | null;// "addr:port" for the Prometheus listener
}

/** config watch: networks whose servers are watched (none: every server seen). */
export interface WatchConfig {
  readonly networks: readonly IpPrefix[];
  /** Networks whose clients are registered (none: the client-side devices' networks, else every client). */
  readonly clientNetworks: readonly IpPrefix[];
}

/** config server 'name' */
export interface ServerConfig {
  readonly section: string;
  readonly name: string;                // host name shown in notices; defaults to the section name
  readonly address: IpAddress;
  readonly agentAddresses: readonly IpAddress[]; // further sources whose traps speak for it
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
  readonly listen: string;              // address to bind, default '0.0.0.0' (with IPv6: '::', both families)
  readonly port: number;                // default 162
  readonly communities: readonly string[];    // v1/v2c, default none
  readonly nmsAddresses: readonly IpAddress[];   // forwarders whose agent-addr / snmpTrapAddress is believed
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
  readonly webhooks: readonly WebhookConfig[];
  readonly snmpOut: SnmpOutConfig;
  readonly standin: StandinConfig;
}

// ---- Delegation and outbound notifications (read by notify/webhook-config.ts,
// notify/trap-out-config.ts and agent/config.ts; see docs/DELEGATION.md) ----

export type WebhookEvent = 'down' | 'recovered' | 'notify' | 'expired';

/** config webhook: a JSON POST per event, signed with HMAC-SHA256 (docs/WEBHOOKS.md). */
export interface WebhookConfig {
  /** http:// or https://; also the webhook's identity in the outbox. */
  readonly url: string;
  readonly secret: string | null;
  readonly events: readonly WebhookEvent[];
  /** Seconds one POST may take, connect to last byte. */
  readonly timeout: number;
}

export type TrapOutEvent = 'down' | 'recovered' | 'expired';

/** config trap_target: a management station that receives backsoon's own traps (BACKSOON-MIB). */
export interface TrapTargetConfig {
  readonly address: string;             // host name, IPv4 or IPv6; with port, the target's identity
  readonly port: number;                // default 162
  readonly version: '2c' | '3';
  readonly community: string;           // v2c
  readonly inform: boolean;             // acknowledged; retried until the receiver answers
  readonly user: SnmpUser | null;       // v3
  readonly events: readonly TrapOutEvent[];
}

/** config snmp_out with every config trap_target. */
export interface SnmpOutConfig {
  /** OID of the BACKSOON-MIB module identity (the arc everything hangs under). */
  readonly enterpriseOid: string;
  /** Hex, the local snmpEngineID of v3 traps; stable across restarts (createUser -e on the receiver). Empty when there is no trap target. */
  readonly engineId: string;
  /** Seconds an inform waits for its acknowledgement before the attempt counts as failed. */
  readonly informTimeout: number;
  readonly targets: readonly TrapTargetConfig[];
}

/** config agent: `backsoon agent` on a recovered server or a management station (P13, P14). */
export interface AgentConfig {
  readonly pop3Host: string;
  readonly pop3Port: number;            // default 110; 995 with pop3_tls 'tls'
  readonly pop3Tls: TlsMode;
  readonly pop3User: string;
  readonly pop3Password: string;
  /** PEM file of the CA(s) that signed the POP3 server's certificate; null: the system's. */
  readonly pop3Ca: string | null;
  readonly pollInterval: number;
  readonly stateDir: string;
  /** File of `ADDRESS MAIL` lines, read besides the config contact sections. */
  readonly mapFile: string | null;
  /** Reverse DNS for the server's name (P14); off: the name in the targets mail, else the address. */
  readonly resolveNames: boolean;
  /** DNS servers for the reverse lookups, "ADDRESS" or "ADDRESS:PORT"; empty: the system's. */
  readonly dnsServers: readonly string[];
}

// ---- The stand-in (read by standin/config.ts; see docs/STANDIN.md) ----

/** config standin: the page that answers for down servers with option standin '1'. */
export interface StandinConfig {
  readonly listen: string;              // dotted quad, default 0.0.0.0
  readonly listenPort: number;          // first listener port, default 8480
  readonly listenPorts: number;         // ports in the range, default 64
  readonly resetPorts: readonly number[];     // [] when reset_https is 0; default [443]
  readonly reaskAfter: number;          // seconds, default 30 days
  readonly registrationConflict: 'refuse' | 'keep_both';  // another device's address: refuse, default
  readonly maxBody: number;             // bytes, default 4096
  readonly maxConnections: number;
  readonly maxClientConnections: number;
  readonly maxNetworkConnections: number;   // from one /24 (IPv4) or /64 (IPv6)
  readonly headerTimeout: number;       // seconds
  readonly requestTimeout: number;      // seconds
  readonly clientPosts: number;         // per client address per 10 minutes
  readonly addressRegistrations: number;// per mail address per 24 hours
  readonly languagesDir: string | null;
}
