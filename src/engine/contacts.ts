// The client mail table: 73 (set up in advance, from the configuration) and 74 (registered
// from the stand-in page, with date and time). Keyed by client address (of either family, held
// as an id of the engine's address pool) or by MAC. Bounded: when full, the oldest registration
// that did not come from the configuration goes.
//
// A page registration is a client's word, and a client's address can be taken over (ARP
// spoofing), so it is bound to the MAC it was posted from and never replaces the operator's
// contacts nor another device's registration (docs/SECURITY.md, "Registrations").

import { NO_ADDRESS, type AddressPool } from './address-pool';
import type { IpAddress } from '../net/ip';
import { ContactsCopy } from './state-copy';

export type ContactSource = 'config' | 'page' | 'policy';

export interface Contact {
  readonly mail: string;
  readonly registeredAt: number;
  readonly source: ContactSource;
  /** The MAC of the device a page registration was posted from; absent or 0 when not known. */
  readonly deviceMac?: number;
}

/** What a page registration that would replace another device's does (option registration_conflict). */
export type RegistrationConflict = 'refuse' | 'keep_both';

/**
 * What became of a page registration: stored by the client's address; kept beside another
 * device's registration of that address, by its own MAC ('keep_both'); refused because the
 * configuration names a contact for this address or device; refused because the address
 * belongs to another device; or the table is full.
 */
export type PageRegistration = 'stored' | 'kept-both' | 'configured' | 'other-device' | 'full';

/** Does a contact by address apply to the device with `mac` (0: not known)? */
function ownedBy(contact: Contact, mac: number): boolean {
  return !contact.deviceMac || mac === 0 || contact.deviceMac === mac;
}

export interface ContactEntry extends Contact {
  /** The client's address as text, or null for an entry by MAC. */
  readonly client: string | null;
  readonly mac: number | null;
}

export type ContactKey = { readonly client: IpAddress } | { readonly mac: number };

export class Contacts {
  readonly capacity: number;
  private readonly pool: AddressPool;
  /** Address-pool id -> contact; each entry retains its id. */
  private readonly byClient = new Map<number, Contact>();
  private readonly byMac = new Map<number, Contact>();
  /** Registrations dropped to make room. */
  evictions = 0;

  constructor(capacity: number, pool: AddressPool) {
    this.capacity = capacity;
    this.pool = pool;
  }

  get size(): number {
    return this.byClient.size + this.byMac.size;
  }

  /**
   * The address for a client: by IP first (74 is the newer knowledge), then by MAC; a
   * registration of the IP bound to another device's MAC comes after the MAC's own contact.
   */
  lookup(client: IpAddress, mac: number): Contact | undefined {
    return this.lookupId(this.pool.find(client), mac);
  }

  /** As lookup, by address-pool id (NO_ADDRESS: by MAC only). */
  lookupId(client: number, mac: number): Contact | undefined {
    const byIp = client !== NO_ADDRESS ? this.byClient.get(client) : undefined;
    if (byIp !== undefined && ownedBy(byIp, mac)) return byIp;
    return (mac !== 0 ? this.byMac.get(mac) : undefined) ?? byIp;
  }

  /**
   * A device's address: by any of its addresses (in the order given), then by its MAC, then by
   * an address registered from another device (the address waited, so its contact is told).
   */
  lookupDevice(clients: Int32Array, count: number, mac: number): Contact | undefined {
    let other: Contact | undefined;
    for (let i = 0; i < count; i++) {
      const found = this.byClient.get(clients[i]);
      if (found === undefined) continue;
      if (ownedBy(found, mac)) return found;
      other ??= found;
    }
    return (mac !== 0 ? this.byMac.get(mac) : undefined) ?? other;
  }

  /**
   * What the page shows for `client` seen from the device with `mac` (0: not known), which the
   * engine saw waiting with `waitingMac`: the operator's contact first (for the address, for
   * `mac`, for `waitingMac`: those registerFromPage never replaces), then lookup's answer.
   */
  pageContact(client: IpAddress, mac: number, waitingMac: number): Contact | undefined {
    return this.operatorContact(this.lookupExact(client), mac, waitingMac) ?? this.lookup(client, mac !== 0 ? mac : waitingMac);
  }

  /**
   * Stores a registration from the page for `client`, posted from the device with `mac` (0: not
   * known); `waitingMac` is the MAC the engine saw waiting at that address (0: none). The
   * operator's word wins: a configured contact for the address, for `mac` or for `waitingMac`
   * is never replaced. The address belongs to another device when its registration is bound to
   * another MAC, or (no registration) when it was seen waiting with another MAC: then the
   * registration is refused, or with 'keep_both' stored by its own MAC beside the other.
   */
  registerFromPage(client: IpAddress, mac: number, waitingMac: number, mail: string, t: number,
    onConflict: RegistrationConflict): PageRegistration {
    const existing = this.lookupExact(client);
    if (this.operatorContact(existing, mac, waitingMac) !== undefined) return 'configured';
    const contact: Contact = { mail, registeredAt: t, source: 'page', ...(mac !== 0 ? { deviceMac: mac } : {}) };
    const owner = existing?.deviceMac || (mac !== 0 ? waitingMac : 0); // an unknown MAC cannot contradict a waiting one
    if (owner === 0 || owner === mac) return this.set({ client }, contact) ? 'stored' : 'full';
    if (onConflict === 'refuse' || mac === 0) return 'other-device';
    if (existing === undefined) return this.set({ client }, contact) ? 'stored' : 'full'; // nobody's registration to keep
    return this.set({ mac }, contact) ? 'kept-both' : 'full';
  }

  /** Stores or replaces a client's address; returns false when the table is full of fixed entries. */
  set(key: ContactKey, contact: Contact): boolean {
    if ('mac' in key) {
      this.byMac.delete(key.mac); // re-insert so Map order stays registration order
      if (this.size >= this.capacity && !this.evictOldest()) return false;
      this.byMac.set(key.mac, contact);
      return true;
    }
    const id = this.pool.acquire(key.client);
    if (id === NO_ADDRESS) return false;
    if (this.byClient.delete(id)) this.pool.release(id); // the replaced entry's reference
    if (this.size >= this.capacity && !this.evictOldest()) { this.pool.release(id); return false; }
    this.byClient.set(id, contact);
    return true;
  }

  /** The contact stored by this very address, if any (no MAC fallback). */
  lookupExact(client: IpAddress): Contact | undefined {
    const id = this.pool.find(client);
    return id === NO_ADDRESS ? undefined : this.byClient.get(id);
  }

  remove(key: ContactKey): boolean {
    if ('mac' in key) return this.byMac.delete(key.mac);
    const id = this.pool.find(key.client);
    if (id === NO_ADDRESS || !this.byClient.delete(id)) return false;
    this.pool.release(id);
    return true;
  }

  /** Every entry, for snapshots and `backsoon status`. */
  entries(): ContactEntry[] {
    const out: ContactEntry[] = [];
    for (const [id, c] of this.byClient) out.push({ ...c, client: this.pool.format(id), mac: null });
    for (const [mac, c] of this.byMac) out.push({ ...c, client: null, mac });
    return out;
  }

  /** The run-time registrations (not the configuration's) at this instant, for the state file. */
  copy(): ContactsCopy {
    return new ContactsCopy(this.pool, this.byClient, this.byMac);
  }

  /** Drops every entry from the configuration (before loading a new one on reload). */
  dropConfigured(): void {
    for (const [id, c] of this.byClient) if (c.source === 'config') this.dropClient(id);
    for (const [mac, c] of this.byMac) if (c.source === 'config') this.byMac.delete(mac);
  }

  /** Adds one per address-pool id held to `refs` (for invariant checks). */
  countReferences(refs: Int32Array): void {
    for (const id of this.byClient.keys()) refs[id]++;
  }

  /**
   * The operator's contact that a page registration must not replace: the one for the address
   * (`exact`, its own entry), for the poster's `mac`, or for the `waitingMac` seen there.
   */
  private operatorContact(exact: Contact | undefined, mac: number, waitingMac: number): Contact | undefined {
    if (exact?.source === 'config') return exact;
    if (this.configuredMac(mac)) return this.byMac.get(mac);
    if (this.configuredMac(waitingMac)) return this.byMac.get(waitingMac);
    return undefined;
  }

  private configuredMac(mac: number): boolean {
    return mac !== 0 && this.byMac.get(mac)?.source === 'config';
  }

  private dropClient(id: number): void {
    this.byClient.delete(id);
    this.pool.release(id);
  }

  private evictOldest(): boolean {
    // Map order is registration order: the first non-config entry of each map is its oldest.
    let client: [number, Contact] | null = null;
    for (const entry of this.byClient) if (entry[1].source !== 'config') { client = entry; break; }
    let mac: [number, Contact] | null = null;
    for (const entry of this.byMac) if (entry[1].source !== 'config') { mac = entry; break; }
    if (client === null && mac === null) return false;
    if (mac === null || (client !== null && client[1].registeredAt <= mac[1].registeredAt)) this.dropClient(client![0]);
    else this.byMac.delete(mac[0]);
    this.evictions++;
    return true;
  }
}
