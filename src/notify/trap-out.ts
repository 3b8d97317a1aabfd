// backsoon's own SNMP notifications (BACKSOON-MIB): backsoonServerDown,
// backsoonServerRecovered and backsoonOutageExpired to each config trap_target, as v2c/v3 traps or informs, through the
// outbox (channel 'trap'). The outbox stores the receiver's address and port and the event;
// community, keys and the OID arc are looked up in the running configuration at each attempt,
// so no key lands on disk.
//
// A trap counts as sent once the datagram has left (nobody acknowledges it). An inform counts
// as sent when the receiver acknowledges it; no answer within inform_timeout is a temporary
// failure, and the outbox tries again later, for as long as the receiver stays away.
import type { SnmpOutConfig, TrapOutEvent, TrapTargetConfig } from '../config/types';
import { requireNetSnmp, type NetSnmpSecurityNames } from '../net-snmp';
import { isIPv6 } from 'node:net';
import { parseIp } from '../net/ip';
import type { OutboundMessage } from './outbound';
import type { ChannelHandler, Delivery } from './outbox/outbox';
import type { OutageEvent } from './outbound-edges';
import { dateAndTime, inetAddress, instanceOid, mibOid } from './trap-out-mib';

export const TRAP_CHANNEL = 'trap';

/** What the outbox stores for one notification. */
export interface TrapPayload {
  /** The receiver, "address:port": looked up in config trap_target at each attempt. */
  readonly target: string;
  readonly event: TrapOutEvent;
  /** The server's address, IPv4 or IPv6 text. */
  readonly server: string;
  readonly name: string;
  readonly outage: string;
  /** Unix seconds. */
  readonly outageStart: number;
  readonly outageEnd: number | null;
  readonly waitingClients: number;
  readonly cause: string;
}

export function targetId(t: Pick<TrapTargetConfig, 'address' | 'port'>): string {
  return `${t.address.toLowerCase()}:${t.port}`;
}

// ---- net-snmp, typed for the part used here (it ships no declarations) ----

interface Varbind { readonly oid: string; readonly type: number; readonly value: unknown }
interface NetSnmpSession {
  trap(oid: string, varbinds: Varbind[], options: { upTime?: number }, callback: (error: Error | null) => void): void;
  inform(oid: string, varbinds: Varbind[], options: { upTime?: number }, callback: (error: Error | null) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
interface NetSnmpUser { name: string; level: number; authProtocol?: number; authKey?: string; privProtocol?: number; privKey?: string }
interface SessionOptions {
  port: number; trapPort: number; retries: number; timeout: number; version: number; transport: 'udp4' | 'udp6'; engineID?: string;
}
interface NetSnmpModule extends NetSnmpSecurityNames {
  createSession(target: string, community: string, options: SessionOptions): NetSnmpSession;
  createV3Session(target: string, user: NetSnmpUser, options: SessionOptions): NetSnmpSession;
  readonly Version2c: number;
  readonly Version3: number;
  readonly ObjectType: Readonly<Record<'Integer' | 'OctetString' | 'Gauge32', number>>;
}
/** Loaded when the first notification is sent. */
const netSnmp = (): NetSnmpModule => requireNetSnmp() as NetSnmpModule;

const NOTIFICATIONS = {
  down: 'backsoonServerDown',
  recovered: 'backsoonServerRecovered',
  expired: 'backsoonOutageExpired',
} as const satisfies Record<TrapOutEvent, string>;

/**
 * The notification OID and its varbinds (after sysUpTime.0 and snmpTrapOID.0, which net-snmp
 * adds). Null when the payload's server is not an address.
 */
export function trapVarbinds(arc: string, p: TrapPayload): { oid: string; varbinds: Varbind[] } | null {
  const server = parseIp(p.server);
  if (server === null) return null;
  const T = netSnmp().ObjectType;
  const text = (s: string, max: number) => Buffer.from(s, 'utf8').subarray(0, max);
  const address = inetAddress(server);
  const varbinds: Varbind[] = [
    { oid: instanceOid(arc, 'backsoonServerInetAddressType'), type: T.Integer, value: address.type },
    { oid: instanceOid(arc, 'backsoonServerInetAddress'), type: T.OctetString, value: address.octets },
    { oid: instanceOid(arc, 'backsoonServerName'), type: T.OctetString, value: text(p.name, 255) },
    { oid: instanceOid(arc, 'backsoonOutageStart'), type: T.OctetString, value: dateAndTime(p.outageStart) },
  ];
  if (p.event !== 'down') {
    varbinds.push({ oid: instanceOid(arc, 'backsoonOutageEnd'), type: T.OctetString, value: dateAndTime(p.outageEnd ?? p.outageStart) });
  }
  if (p.event !== 'expired') {
    varbinds.push({ oid: instanceOid(arc, 'backsoonWaitingClients'), type: T.Gauge32, value: Math.min(p.waitingClients, 0xffffffff) });
  }
  varbinds.push(
    { oid: instanceOid(arc, 'backsoonCause'), type: T.OctetString, value: text(p.cause, 32) },
    { oid: instanceOid(arc, 'backsoonOutageId'), type: T.OctetString, value: text(p.outage, 80) },
  );
  const oid = mibOid(arc, NOTIFICATIONS[p.event]);
  return { oid, varbinds };
}

function v3User(target: TrapTargetConfig): NetSnmpUser {
  const u = target.user!;
  return {
    name: u.name,
    level: netSnmp().SecurityLevel[u.level],
    ...(u.authProtocol !== null && u.authKey !== null ? { authProtocol: netSnmp().AuthProtocols[u.authProtocol], authKey: u.authKey } : {}),
    ...(u.privProtocol !== null && u.privKey !== null ? { privProtocol: netSnmp().PrivProtocols[u.privProtocol], privKey: u.privKey } : {}),
  };
}

/**
 * Sends one notification to `target` and says how it went. Never throws. `upTime` is
 * sysUpTime.0 in hundredths of a second (the daemon's uptime).
 */
export function sendTrap(snmpOut: SnmpOutConfig, target: TrapTargetConfig, payload: TrapPayload, upTime: number): Promise<Delivery> {
  const kind = target.inform ? 'inform' : 'trap';
  const where = `${kind} v${target.version} to ${targetId(target)}`;
  return new Promise<Delivery>((resolve) => {
    let settled = false;
    let session: NetSnmpSession | null = null;
    const done = (d: Delivery) => {
      if (settled) return;
      settled = true;
      try { session?.close(); } catch { /* already closed */ }
      resolve(d);
    };
    const notification = trapVarbinds(snmpOut.enterpriseOid, payload);
    if (notification === null) {
      done({ status: 'permanent', detail: `${where}: the server '${payload.server}' is not an IP address` });
      return;
    }
    const { oid, varbinds } = notification;
    try {
      const options: SessionOptions = {
        port: target.port,
        trapPort: target.port,
        // the outbox owns retries and their spacing; net-snmp tries once per attempt
        retries: 0,
        timeout: snmpOut.informTimeout * 1000,
        version: target.version === '3' ? netSnmp().Version3 : netSnmp().Version2c,
        // an IPv6 literal needs an IPv6 socket; a host name is looked up for IPv4
        transport: isIPv6(target.address) ? 'udp6' : 'udp4',
        // v3 traps are sent by us as the authoritative engine: its ID must stay the same, since
        // the receiver keys the user's localized keys on it (snmptrapd: createUser -e ID)
        ...(target.version === '3' ? { engineID: snmpOut.engineId } : {}),
      };
      session = target.version === '3'
        ? netSnmp().createV3Session(target.address, v3User(target), options)
        : netSnmp().createSession(target.address, target.community, options);
      session.on('error', (err) => done({ status: 'temporary', detail: `${where}: ${err.message}` }));
      const callback = (error: Error | null) => {
        if (error === null) { done({ status: 'sent', detail: where }); return; }
        const timedOut = error.name === 'RequestTimedOutError';
        done({
          status: 'temporary',
          detail: timedOut ? `${where}: no acknowledgement within ${snmpOut.informTimeout} s` : `${where}: ${error.message}`,
        });
      };
      if (target.inform) session.inform(oid, varbinds, { upTime }, callback);
      else session.trap(oid, varbinds, { upTime }, callback);
    } catch (err) {
      // net-snmp throws synchronously on what it cannot encode or resolve
      done({ status: 'temporary', detail: `${where}: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
}

/**
 * The outbox channel. `current` returns the running snmp_out configuration (null: none), so a
 * reload takes effect at the next attempt; a receiver no longer configured is given up.
 */
export function trapChannel(current: () => SnmpOutConfig | null, upTime: () => number = () => Math.floor(process.uptime() * 100), concurrency = 4): ChannelHandler<TrapPayload> {
  return {
    concurrency,
    async send(payload: TrapPayload): Promise<Delivery> {
      if (typeof payload?.target !== 'string' || !Object.hasOwn(NOTIFICATIONS, payload.event) ||
          typeof payload.server !== 'string') {
        return { status: 'permanent', detail: 'outbox payload is not a backsoon notification' };
      }
      const snmpOut = current();
      const target = snmpOut?.targets.find((t) => targetId(t) === payload.target);
      if (snmpOut == null || target === undefined) {
        return { status: 'permanent', detail: `trap receiver ${payload.target} is no longer configured (config trap_target)` };
      }
      return sendTrap(snmpOut, target, payload, upTime());
    },
    describe: (p) => `SNMP ${typeof p?.event === 'string' ? p.event : '?'} notification to ${typeof p?.target === 'string' ? p.target : '?'}`,
  };
}

/** The notifications of one outage event, one to every receiver that takes it (for queueOutbound). */
export function trapMessages(snmpOut: SnmpOutConfig | null, event: OutageEvent, serverName: string): OutboundMessage[] {
  if (snmpOut === null) return [];
  return snmpOut.targets.filter((target) => target.events.includes(event.kind)).map((target) => {
    const payload: TrapPayload = {
      target: targetId(target),
      event: event.kind,
      server: event.server,
      name: serverName === '' ? event.server : serverName,
      outage: event.outage,
      outageStart: event.since,
      outageEnd: event.kind === 'down' ? null : event.t,
      waitingClients: event.kind === 'down' ? event.waitingClients : event.kind === 'recovered' ? event.clients.length : 0,
      cause: event.cause ?? '',
    };
    return {
      channel: TRAP_CHANNEL,
      key: `trap:${payload.target}|${event.kind}|${event.outage}`,
      what: `the ${event.kind} notification to ${payload.target}`,
      payload: () => payload,
    };
  });
}
