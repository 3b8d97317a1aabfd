// The SNMP trap receiver (P7): a coldStart, warmStart or linkUp (or a configured trap) from a
// server's own agent says the server is back. net-snmp decodes and authenticates; this module
// decides, counts every datagram once, and never lets a datagram take the daemon down.
import type dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { MainConfig, SnmpConfig } from '../config/types';
import type { IpAddress } from '../net/ip';
import { decideTrap, IGNORE_REASONS, readNotification, type IgnoreReason, type TrapNotification, type TrapSources } from './trap-in-filter';
import { createOwnedReceiver, type NetSnmpError, type NetSnmpNotification, type OwnedReceiver } from './trap-in-netsnmp';
import { recoveryTrapSet } from './trap-in-oids';
import { classifyRefusal, classifySilentDrop } from './trap-in-rejections';
import { desWarnings, toNetSnmpUser } from './trap-in-users';
import { peekMessageHeader } from './trap-in-wire';

export type LogLevel = MainConfig['logLevel'];

export interface TrapReceiverOptions {
  readonly snmp: SnmpConfig;
  /** Names the server a trap speaks for, by its UDP source (see trap-in-filter.ts). */
  readonly sources: TrapSources;
  /**
   * Called once per accepted trap. `authenticated`: SNMPv3 with a user whose level checks a key
   * (a LAN client cannot forge it); false for v1/v2c, whose community travels in clear.
   */
  readonly onRecovery: (t: number, server: IpAddress, detail: string, authenticated: boolean) => void;
  readonly log: (level: LogLevel, msg: string) => void;
  /** Unix seconds. */
  readonly now: () => number;
}

export interface TrapStats {
  /** Datagrams that reached the port. Each ends as exactly one of the counts below. */
  readonly received: number;
  readonly accepted: number;
  /** SNMPv3 engine-ID discovery requests, answered as the first step of a v3 inform. */
  readonly discoveries: number;
  readonly ignored: Readonly<Record<IgnoreReason, number>>;
}

/** Ignored datagrams that point at a configuration mismatch get a warning the first time. */
const WARN_REASONS: ReadonlySet<IgnoreReason> = new Set(['unknownSource', 'badCommunity', 'unknownUser', 'authFailure']);

/** The datagram net-snmp is handling right now (it handles each one synchronously). */
interface Datagram {
  readonly buffer: Buffer;
  readonly rinfo: dgram.RemoteInfo;
  settled: boolean;
}

function endpoint(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One message per bind failure, naming the cause and the fix. */
export function bindErrorMessage(error: { code?: unknown; message: string }, listen: string, port: number): string {
  const at = `UDP ${endpoint(listen, port)}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `config snmp: cannot receive traps on ${at}: the port is in use by another program ` +
        `(snmptrapd?); stop it, or set option port to a free port and point the agents there`;
    case 'EACCES':
    case 'EPERM':
      return port < 1024
        ? `config snmp: cannot receive traps on ${at}: permission denied; ports below 1024 need root ` +
          `or CAP_NET_BIND_SERVICE. Run backsoon as root, grant the capability, or set option port to 1024 or above`
        : `config snmp: cannot receive traps on ${at}: permission denied (${error.message})`;
    case 'EADDRNOTAVAIL':
      return `config snmp: cannot receive traps on ${at}: option listen '${listen}' is not an address of this host; ` +
        `use 0.0.0.0 or one of its addresses`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `config snmp: option listen '${listen}' is not an IP address; write it as e.g. 0.0.0.0`;
    default:
      return `config snmp: cannot receive traps on ${at}: ${error.message}`;
  }
}

function zeroCounts(): Record<IgnoreReason, number> {
  const counts = {} as Record<IgnoreReason, number>;
  for (const reason of IGNORE_REASONS) counts[reason] = 0;
  return counts;
}

export class TrapReceiver {
  private readonly opts: TrapReceiverOptions;
  private readonly recoveryTraps: ReadonlySet<string>;
  private readonly userNames: ReadonlySet<string>;
  /** v3 users whose messages net-snmp accepts only with a valid digest. */
  private readonly authUsers: ReadonlySet<string>;
  private receiver: OwnedReceiver | null = null;
  private current: Datagram | null = null;
  private received = 0;
  private accepted = 0;
  private discoveries = 0;
  private readonly ignored = zeroCounts();
  private readonly warned = new Set<IgnoreReason>();

  /** Throws on a configured recovery trap OID that is not numeric. */
  constructor(opts: TrapReceiverOptions) {
    this.opts = opts;
    this.recoveryTraps = recoveryTrapSet(opts.snmp.recoveryTraps);
    this.userNames = new Set(opts.snmp.users.map((u) => u.name));
    this.authUsers = new Set(opts.snmp.users.filter((u) => u.level !== 'noAuthNoPriv').map((u) => u.name));
  }

  /** Binds the port. Rejects with one message naming the cause and the fix. */
  async start(): Promise<void> {
    if (this.receiver !== null) throw new Error('SNMP trap receiver: start() called twice');
    const { snmp, log } = this.opts;
    if (!snmp.enabled) {
      log('info', 'SNMP trap receiver off (config snmp option enabled 0)');
      return;
    }
    if (!Number.isInteger(snmp.port) || snmp.port < 1 || snmp.port > 65535) {
      throw new Error(`config snmp: option port '${snmp.port}' must be 1-65535 (agents send traps to 162)`);
    }
    const users = snmp.users.map(toNetSnmpUser);
    for (const warning of desWarnings(snmp.users)) log('warn', warning);

    // Every address (0.0.0.0 or ::) is bound as :: without IPV6_V6ONLY, so traps arrive over both
    // families (IPv4 ones from ::ffff:a.b.c.d); a host without IPv6 gets 0.0.0.0.
    const every = snmp.listen === '0.0.0.0' || snmp.listen === '::';
    let address = every ? '::' : snmp.listen;
    let bound = await this.bind(address, users);
    if (bound instanceof Error && every && ['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EINVAL'].includes(bound.code ?? '')) {
      address = '0.0.0.0';
      bound = await this.bind(address, users);
    }
    if (bound instanceof Error) throw new Error(bindErrorMessage(bound, snmp.listen, snmp.port));
    this.receiver = bound;
    log('info', `SNMP trap receiver on UDP ${endpoint(address, snmp.port)}${address === '::' ? ' (IPv4 and IPv6)' : ''} ` +
      `(${snmp.communities.length} communities, ${users.length} v3 users, ${this.recoveryTraps.size} recovery traps)`);
  }

  /** A receiver bound to `address`, or the bind error (the receiver closed again). */
  private async bind(address: string, users: ReturnType<typeof toNetSnmpUser>[]): Promise<OwnedReceiver | NodeJS.ErrnoException> {
    const receiver = createOwnedReceiver(
      { port: this.opts.snmp.port, address, transport: isIPv6(address) ? 'udp6' : 'udp4' },
      (error, notification) => this.onNetSnmp(error, notification),
      (handle, buffer, rinfo) => this.onDatagram(handle, buffer, rinfo),
    );
    for (const community of this.opts.snmp.communities) receiver.authorizer.addCommunity(community);
    for (const user of users) receiver.authorizer.addUser(user);
    const bindError = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const listening = (): void => { receiver.socket.off('error', failed); resolve(null); };
      const failed = (error: NodeJS.ErrnoException): void => { receiver.socket.off('listening', listening); resolve(error); };
      receiver.socket.once('listening', listening);
      receiver.socket.once('error', failed);
    });
    if (bindError === null) return receiver;
    await receiver.close();
    return bindError;
  }

  async stop(): Promise<void> {
    const receiver = this.receiver;
    if (receiver === null) return;
    this.receiver = null;
    await receiver.close();
  }

  stats(): TrapStats {
    return {
      received: this.received,
      accepted: this.accepted,
      discoveries: this.discoveries,
      ignored: { ...this.ignored },
    };
  }

  private onDatagram(handle: () => void, buffer: Buffer, rinfo: dgram.RemoteInfo): void {
    this.received++;
    const datagram: Datagram = { buffer, rinfo, settled: false };
    this.current = datagram;
    try {
      handle();
    } catch (error) {
      // net-snmp threw outside its own try/catch (e.g. while answering): the datagram is refused.
      if (!datagram.settled) {
        datagram.settled = true;
        this.ignore('malformed', `${endpoint(rinfo.address, rinfo.port)}: net-snmp failed on it: ${(error as Error).message}`);
      }
    } finally {
      this.current = null;
    }
    if (datagram.settled) return;
    const header = peekMessageHeader(buffer);
    const verdict = classifySilentDrop(header, this.userNames);
    const from = endpoint(rinfo.address, rinfo.port);
    if (verdict === 'discovery') {
      this.discoveries++;
      this.opts.log('debug', `SNMPv3 engine-ID discovery from ${from} answered`);
      return;
    }
    const user = header?.v3 ? `SNMPv3 user '${header.v3.userName}'` : 'message';
    this.ignore(verdict, `${from}: ${user} refused with a report (` +
      `${verdict === 'unknownUser' ? 'user not configured' : 'below the security level configured for the user'})`);
  }

  /** net-snmp's receiver callback: a notification, a refused datagram, or a socket error. */
  private onNetSnmp(error: NetSnmpError | null, notification: NetSnmpNotification | null): void {
    const datagram = this.current;
    if (datagram === null) {
      // Not during a datagram: the socket itself failed (bind errors are start()'s to report).
      if (error && this.receiver !== null) this.opts.log('error', `SNMP trap receiver: ${error.message}`);
      return;
    }
    // net-snmp may report one datagram twice (a throw inside its try after a callback).
    if (datagram.settled) return;
    datagram.settled = true;
    const from = endpoint(datagram.rinfo.address, datagram.rinfo.port);
    try {
      if (error || !notification) {
        const reason = classifyRefusal(error ?? new Error('no notification'), peekMessageHeader(datagram.buffer), this.userNames);
        const cause = error?.error instanceof Error ? ` (${error.error.message})` : '';
        this.ignore(reason, `${from}: ${error?.message ?? 'no notification'}${cause}`);
        return;
      }
      const read = readNotification(notification.pdu, notification.rinfo.address);
      if (typeof read === 'string') {
        this.ignore('malformed', `${from}: ${read}`);
        return;
      }
      const decision = decideTrap(read, this.recoveryTraps, this.opts.sources);
      if (!decision.accept) {
        this.ignore(decision.reason, `${decision.detail}: ${decision.why}`);
        return;
      }
      this.accepted++;
      this.opts.log('info', `recovery trap: ${decision.detail}`);
      this.opts.onRecovery(this.opts.now(), decision.server, decision.detail, this.authenticated(read, notification.pdu.user));
    } catch (thrown) {
      // A fault in resolveServer/onRecovery is a bug elsewhere; it must not stop the receiver.
      this.opts.log('error', `SNMP trap receiver: handling a notification from ${from} failed: ` +
        `${thrown instanceof Error ? thrown.stack ?? thrown.message : String(thrown)}`);
    }
  }

  private authenticated(n: TrapNotification, user: string | undefined): boolean {
    return n.version === 'v3' && user !== undefined && this.authUsers.has(user);
  }

  private ignore(reason: IgnoreReason, detail: string): void {
    this.ignored[reason]++;
    if (this.warned.has(reason)) {
      this.opts.log('debug', `trap ignored (${reason}): ${detail}`);
      return;
    }
    this.warned.add(reason);
    this.opts.log(WARN_REASONS.has(reason) ? 'warn' : 'info',
      `trap ignored (${reason}): ${detail}; further ones are counted and logged at debug level`);
  }
}
