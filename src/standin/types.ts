// What the stand-in needs from the daemon (the engine's tables, the clock, the log), as plain
// callbacks, so it runs and is tested without the daemon. Addresses are of either family.
import type { IpAddress } from '../net/ip';
import type { ServerView } from './page';

export type RegisterOutcome =
  | 'registered'  // the address is stored (74) and the client is linked to the server (71)
  | 'not-down'    // the server is no longer down: nothing stored
  | 'full'        // a table is full of entries that may not be evicted
  | 'configured'  // the configuration names a contact for this address or device: never replaced
  | 'other-device' // the address is registered from (or waited as) another device's MAC
  | 'not-saved';  // in the tables, but not on disk (a full disk): not acknowledged

export interface KnownContact {
  readonly mail: string;
  /** Unix seconds. */
  readonly registeredAt: number;
  /** 'config' addresses (73) are never asked for again. */
  readonly source?: 'config' | 'page' | 'policy';
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface StandInCallbacks {
  /** Is the server down now (engine.isDown)? */
  isDown(server: IpAddress): boolean;
  /** Name, address and down-since of a down server; null when it is not down. */
  serverInfo(server: IpAddress): ServerView | null;
  /**
   * Stores the client's address (contacts.registerFromPage: bound to `mac`, never over a
   * configured contact or another device's) and links it to the server (registerAttempt); the
   * daemon's answer comes once the registration is on disk.
   */
  register(server: IpAddress, client: IpAddress, mac: number, mail: string, t: number): RegisterOutcome | Promise<RegisterOutcome>;
  /**
   * The address known for a client (73/74), if any, seen from the device with `mac` (0: not
   * known): the operator's contact for the address or for the device (its MAC, or the MAC it
   * was seen waiting with) first, as register() refuses to replace them, so a device the
   * configuration names by MAC is offered no form at any of its addresses.
   */
  lookupContact(server: IpAddress, client: IpAddress, mac: number): KnownContact | null;
  /** A client was shown the page: its attempt (engine.registerAttempt, with its MAC; 0 when not known). */
  noticeAttempt?(server: IpAddress, client: IpAddress, t: number, mac: number): void;
  /** The client chose "no thanks" for this outage (P15). */
  declined?(server: IpAddress, client: IpAddress, t: number): void;
  /** The client's MAC (0: not known); default: the kernel's ARP table. */
  macOf?(client: IpAddress): number;
  /** Extra plain text for the page (the policy's render hook, kind 'standin'); null for none. */
  pageText?(server: IpAddress, client: IpAddress, lang: string): string | null | Promise<string | null>;
  /** Unix seconds. */
  now(): number;
  log(level: LogLevel, message: string): void;
}

export interface StandInCounters {
  /** Down pages served. */
  pages: number;
  registrations: number;
  declined: number;
  refused: {
    /** Form token missing, forged or expired. */
    csrf: number;
    /** Address syntax (CR/LF included). */
    badMail: number;
    /** Not a form, or fields too long. */
    badForm: number;
    /** Too many posts from one client address. */
    clientRate: number;
    /** Too many registrations of one mail address. */
    addressRate: number;
    /** Posted after the server came back. */
    notDown: number;
    tableFull: number;
    /** The configuration names a contact for this address or device (the operator's word wins). */
    configured: number;
    /** The address is another device's (another MAC registered it or waited from it). */
    otherDevice: number;
    /** Could not be saved on disk (a full disk): the page says so instead of confirming. */
    notSaved: number;
  };
  /** Bodies over max_body (413). */
  tooLarge: number;
  /** Down servers that got no listener port because the range was used up. */
  noPort: number;
  /** Ports of the range that could not be bound (another process holds them). */
  portBusy: number;
  nftApplied: number;
  nftErrors: number;
  /** Connections already waiting when their server went down, sent to the page at their next retry. */
  takenOver: number;
  /** Requests that failed inside the stand-in (answered 500). */
  internalErrors: number;
}

export function newStandInCounters(): StandInCounters {
  return {
    pages: 0, registrations: 0, declined: 0,
    refused: { csrf: 0, badMail: 0, badForm: 0, clientRate: 0, addressRate: 0, notDown: 0, tableFull: 0, configured: 0, otherDevice: 0, notSaved: 0 },
    tooLarge: 0, noPort: 0, portBusy: 0, nftApplied: 0, nftErrors: 0, takenOver: 0, internalErrors: 0,
  };
}
