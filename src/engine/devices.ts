// A client is a device, not an address: at recovery, the waiting addresses of one server that
// were seen with the same MAC are one device, told once. A MAC seen with two or more IPv4
// addresses is not one device's but a router's (a capture behind a hop carries the router's
// MAC for every client), so it groups nothing: with IPv4 alone every address stays its own
// device. Nor does a MAC whose addresses have different mail addresses: a MAC can be forged,
// and a client that claims another's MAC must not take that device's notice to its own mail.
// Works in scratch memory allocated once, so a recovery allocates nothing.

import type { AddressPool } from './address-pool';
import type { Contacts } from './contacts';
import type { WaitingDevice } from './decisions';
import { NIL, type OutageTable } from './outages';

export class DeviceGrouping {
  /** Open-addressing table MAC -> group, rebuilt per recovery; `groupUsed` 0 = empty. */
  private readonly mask: number;
  private readonly groupMac: Float64Array;
  private readonly groupUsed: Uint8Array;
  private readonly groupFirst: Int32Array;
  private readonly groupLast: Int32Array;
  private readonly groupSize: Int32Array;
  private readonly groupV4: Int32Array;
  /** 1: the addresses of this MAC have different mail addresses, so they are not one device. */
  private readonly groupConflict: Uint8Array;
  /** Slots in use, to empty the table afterwards without a full sweep. */
  private readonly touched: Int32Array;
  private touchedCount = 0;
  /** Next link of the same MAC, per link. */
  private readonly nextOfMac: Int32Array;
  /** First attempt of each address of `device`, for keeping them in that order. */
  private readonly firstOf: Float64Array;
  /** The device being told (reused; the sink copies what it keeps). */
  readonly device: WaitingDevice & { contact: string | undefined };

  constructor(
    linksPerServer: number, links: number,
    private readonly table: OutageTable, private readonly pool: AddressPool, private readonly contacts: Contacts,
  ) {
    const perServer = Math.min(linksPerServer, links);
    let size = 8;
    while (size < perServer * 2) size *= 2;
    this.mask = size - 1;
    this.groupMac = new Float64Array(size);
    this.groupUsed = new Uint8Array(size);
    this.groupFirst = new Int32Array(size);
    this.groupLast = new Int32Array(size);
    this.groupSize = new Int32Array(size);
    this.groupV4 = new Int32Array(size);
    this.groupConflict = new Uint8Array(size);
    this.touched = new Int32Array(perServer);
    this.nextOfMac = new Int32Array(links);
    this.firstOf = new Float64Array(perServer);
    this.device = { addresses: new Int32Array(perServer), count: 0, mac: 0, contact: undefined, firstAttempt: 0, lastAttempt: 0 };
  }

  /** Groups the waiting links of server `slot` by MAC; call before `deviceOf`, and `clear` after. */
  group(slot: number): void {
    const o = this.table;
    for (let link = o.serverFirst[slot]; link !== NIL; link = o.linkNext[link]) {
      const mac = o.linkMac[link];
      if (mac === 0) continue;
      const g = this.slotOf(mac);
      if (this.groupUsed[g] === 0) {
        this.groupUsed[g] = 1;
        this.groupMac[g] = mac;
        this.groupFirst[g] = link;
        this.groupSize[g] = 0;
        this.groupV4[g] = 0;
        this.touched[this.touchedCount++] = g;
      } else {
        this.nextOfMac[this.groupLast[g]] = link;
      }
      this.groupLast[g] = link;
      this.nextOfMac[link] = NIL;
      this.groupSize[g]++;
      if (this.pool.isV4(o.linkClient[link])) this.groupV4[g]++;
    }
    for (let i = 0; i < this.touchedCount; i++) {
      const g = this.touched[i];
      this.groupConflict[g] = this.groupSize[g] > 1 && this.mailsDiffer(this.groupFirst[g]) ? 1 : 0;
    }
  }

  /**
   * Sets `device` to the device whose first address is `link` and returns true; false when
   * `link` was told with its device already (it is a later address of one).
   */
  deviceOf(link: number): boolean {
    const o = this.table;
    const d = this.device;
    const mac = o.linkMac[link];
    const g = mac === 0 ? -1 : this.slotOf(mac);
    if (g < 0 || this.groupSize[g] < 2 || this.groupV4[g] > 1 || this.groupConflict[g] === 1) {
      d.addresses[0] = o.linkClient[link];
      d.count = 1;
      d.mac = mac;
      d.firstAttempt = o.firstAttempt[link];
      d.lastAttempt = o.lastAttempt[link];
      return true;
    }
    if (this.groupFirst[g] !== link) return false;
    d.count = 0;
    d.mac = mac;
    d.firstAttempt = Infinity;
    d.lastAttempt = -Infinity;
    for (let l = link; l !== NIL; l = this.nextOfMac[l]) {
      // Insertion by first attempt: the address that tried first is the one it is known by.
      const first = o.firstAttempt[l];
      let i = d.count++;
      while (i > 0 && this.firstOf[i - 1] > first) {
        d.addresses[i] = d.addresses[i - 1];
        this.firstOf[i] = this.firstOf[i - 1];
        i--;
      }
      d.addresses[i] = o.linkClient[l];
      this.firstOf[i] = first;
      d.firstAttempt = Math.min(d.firstAttempt, o.firstAttempt[l]);
      d.lastAttempt = Math.max(d.lastAttempt, o.lastAttempt[l]);
    }
    return true;
  }

  /** Empties the MAC table for the next recovery. */
  clear(): void {
    for (let i = 0; i < this.touchedCount; i++) this.groupUsed[this.touched[i]] = 0;
    this.touchedCount = 0;
  }

  /** Do the addresses of the group that starts at `link` have two different mail addresses? */
  private mailsDiffer(link: number): boolean {
    const o = this.table;
    let mail: string | undefined;
    for (let l = link; l !== NIL; l = this.nextOfMac[l]) {
      const found = this.contacts.lookupId(o.linkClient[l], 0)?.mail;
      if (found === undefined) continue;
      if (mail === undefined) mail = found;
      else if (found !== mail) return true;
    }
    return false;
  }

  private slotOf(mac: number): number {
    const mask = this.mask;
    const h = Math.imul((mac % 0x100000000) ^ Math.floor(mac / 0x100000000), 0x9e3779b1);
    for (let i = (h ^ (h >>> 15)) & mask; ; i = (i + 1) & mask) {
      if (this.groupUsed[i] === 0 || this.groupMac[i] === mac) return i;
    }
  }
}
