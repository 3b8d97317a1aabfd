// The part of net-snmp the trap receiver uses, with types (net-snmp ships none), and a receiver
// whose UDP socket we own: net-snmp never reports "listening", and a few of its reply paths
// (report and inform responses) run outside its own try/catch, where a throw would end the daemon.
import dgram from 'node:dgram';
import { requireNetSnmp, type NetSnmpSecurityNames } from '../net-snmp';

/** A varbind as net-snmp decodes it; `value` is a dotted string for type OID. */
export interface NetSnmpVarbind {
  readonly oid: string;
  readonly type: number;
  readonly value: unknown;
}

/** A decoded Trap (v1), TrapV2 or InformRequest PDU; the v1 fields are set only for type 164. */
export interface NetSnmpPdu {
  readonly type: number;
  readonly enterprise?: string;
  readonly agentAddr?: string;
  readonly generic?: number;
  readonly specific?: number;
  readonly varbinds?: readonly NetSnmpVarbind[];
  /** True for SNMPv3 (a scoped PDU). */
  readonly scoped?: boolean;
  /** Set with includeAuthentication: the v1/v2c community, or the v3 user name. */
  readonly community?: string;
  readonly user?: string;
}

export interface NetSnmpNotification {
  readonly pdu: NetSnmpPdu;
  readonly rinfo: dgram.RemoteInfo;
}

/** What net-snmp passes to the receiver callback on failure: its own error classes, or a socket error. */
export interface NetSnmpError extends Error {
  /** ResponseInvalidError: a ResponseInvalidCode number. Socket errors: 'EADDRINUSE' etc. */
  readonly code?: number | string;
  /** Set when the error belongs to a received datagram. */
  readonly rinfo?: dgram.RemoteInfo;
  /** ProcessingError: the decoder's own error. */
  readonly error?: unknown;
}

export type NetSnmpCallback = (error: NetSnmpError | null, notification: NetSnmpNotification | null) => void;

export interface NetSnmpUser {
  readonly name: string;
  readonly level: number;
  readonly authProtocol?: number;
  readonly authKey?: string;
  readonly privProtocol?: number;
  readonly privKey?: string;
}

interface NetSnmpAuthorizer {
  addCommunity(community: string): void;
  addUser(user: NetSnmpUser): void;
}

interface NetSnmpReceiver {
  getAuthorizer(): NetSnmpAuthorizer;
  close(callback?: () => void): void;
}

interface NetSnmpReceiverOptions {
  readonly port: number;
  readonly address: string;
  readonly transport: 'udp4' | 'udp6';
  readonly includeAuthentication: boolean;
  readonly disableAuthorization: boolean;
  /** Undocumented in net-snmp's README but honoured by its Listener: where sockets come from. */
  readonly dgramModule: { createSocket(type: 'udp4' | 'udp6'): dgram.Socket };
}

interface NetSnmpModule extends NetSnmpSecurityNames {
  createReceiver(options: NetSnmpReceiverOptions, callback: NetSnmpCallback): NetSnmpReceiver;
}

/** Loaded once traps or SNMPv3 users are configured. */
const netSnmp = (): NetSnmpModule => requireNetSnmp() as NetSnmpModule;

/** net-snmp's numbers for the SNMPv3 security levels and protocols, by name. */
export function netSnmpSecurityNames(): NetSnmpSecurityNames {
  return netSnmp();
}

export interface OwnedReceiver {
  readonly socket: dgram.Socket;
  readonly authorizer: NetSnmpAuthorizer;
  close(): Promise<void>;
}

/**
 * Starts a net-snmp receiver on a socket we hold. Every datagram goes through `onDatagram`,
 * which gets net-snmp's own handler to call (synchronously: net-snmp decodes, authenticates,
 * decrypts and answers informs in one go) and so can tell which datagrams it dropped silently.
 * Bind errors arrive as the socket's 'error' event; the caller listens for it.
 */
export function createOwnedReceiver(
  options: { port: number; address: string; transport: 'udp4' | 'udp6' },
  callback: NetSnmpCallback,
  onDatagram: (handle: () => void, buffer: Buffer, rinfo: dgram.RemoteInfo) => void,
): OwnedReceiver {
  let socket: dgram.Socket | null = null;
  const receiver = netSnmp().createReceiver({
    ...options,
    includeAuthentication: true,
    disableAuthorization: false,
    dgramModule: {
      createSocket(type) {
        if (socket !== null) throw new Error('net-snmp asked for a second socket; the trap receiver uses one');
        socket = dgram.createSocket(type);
        return socket;
      },
    },
  }, callback);
  const owned = socket as dgram.Socket | null;
  if (owned === null) {
    receiver.close();
    throw new Error('net-snmp ignored the socket factory (option dgramModule): use the net-snmp version pinned in package.json');
  }
  // Replace net-snmp's 'message' listener by one that hands it over to onDatagram.
  const handlers = owned.listeners('message') as ((buffer: Buffer, rinfo: dgram.RemoteInfo) => void)[];
  owned.removeAllListeners('message');
  owned.on('message', (buffer: Buffer, rinfo: dgram.RemoteInfo) => {
    onDatagram(() => { for (const handle of handlers) handle(buffer, rinfo); }, buffer, rinfo);
  });
  let closed: Promise<void> | null = null;
  return {
    socket: owned,
    authorizer: receiver.getAuthorizer(),
    close() {
      closed ??= new Promise<void>((resolve) => {
        try {
          receiver.close(() => resolve());
        } catch {
          resolve(); // never bound (bind failed): nothing to close
        }
      });
      return closed;
    },
  };
}
