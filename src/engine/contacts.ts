// The client mail table: 73 (set up in advance, from the configuration) and 74 (registered
// from the stand-in page, with date and time). Keyed by client IPv4 address or by MAC.
// Bounded: when full, the oldest registration that did not come from the configuration goes.

export type ContactSource = 'config' | 'page' | 'policy';

export interface Contact {
  readonly mail: string;
  readonly registeredAt: number;
  readonly source: ContactSource;
}

export interface ContactEntry extends Contact {
  readonly client: number | null;
  readonly mac: number | null;
}

export class Contacts {
  readonly capacity: number;
  private readonly byClient = new Map<number, Contact>();
  private readonly byMac = new Map<number, Contact>();
  /** Registrations dropped to make room. */
  evictions = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.byClient.size + this.byMac.size;
  }

  /** The address for a client: by IP first (74 is the newer knowledge), then by MAC. */
  lookup(client: number, mac: number): Contact | undefined {
    return this.byClient.get(client) ?? (mac !== 0 ? this.byMac.get(mac) : undefined);
  }

  /** Stores or replaces a client's address; returns false when the table is full of fixed entries. */
  set(key: { client: number } | { mac: number }, contact: Contact): boolean {
    const map = 'client' in key ? this.byClient : this.byMac;
    const id = 'client' in key ? key.client : key.mac;
    map.delete(id); // re-insert so Map order stays registration order
    if (this.size >= this.capacity && !this.evictOldest()) return false;
    map.set(id, contact);
    return true;
  }

  remove(key: { client: number } | { mac: number }): boolean {
    return 'client' in key ? this.byClient.delete(key.client) : this.byMac.delete(key.mac);
  }

  /** Every entry, for snapshots and `backsoon status`. */
  entries(): ContactEntry[] {
    const out: ContactEntry[] = [];
    for (const [client, c] of this.byClient) out.push({ ...c, client, mac: null });
    for (const [mac, c] of this.byMac) out.push({ ...c, client: null, mac });
    return out;
  }

  /** Drops every entry from the configuration (before loading a new one on reload). */
  dropConfigured(): void {
    for (const map of [this.byClient, this.byMac]) {
      for (const [id, c] of map) if (c.source === 'config') map.delete(id);
    }
  }

  private evictOldest(): boolean {
    let victim: { map: Map<number, Contact>; id: number; at: number } | null = null;
    for (const map of [this.byClient, this.byMac]) {
      for (const [id, c] of map) {
        if (c.source === 'config') continue;
        if (victim === null || c.registeredAt < victim.at) victim = { map, id, at: c.registeredAt };
        break; // Map order is registration order: the first non-config entry is the oldest
      }
    }
    if (victim === null) return false;
    victim.map.delete(victim.id);
    this.evictions++;
    return true;
  }
}
