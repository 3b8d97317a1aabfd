// The engine's outages and contacts at one instant, copied out of its tables into flat arrays,
// and turned into text only later, piece by piece. At 64 k waiting clients the copy takes a few
// milliseconds where building the whole object tree took seconds on a loaded router: the state
// file is written from a copy, so the event loop runs between the pieces.

import { formatIp } from '../net/ip';
import { formatMac } from '../net/mac';
import type { AddressPool } from './address-pool';
import type { Contact, ContactSource } from './contacts';
import { DOWN_CAUSES, type DownCause } from './decisions';
import { NIL, ServerState, type OutageTable } from './outages';

const ADDRESS_BYTES = 16;

/** A server in the outage table, as `backsoon status` and snapshots see it. */
export interface OutageView {
  server: string;
  state: 'down' | 'holding';
  since: number;
  cause: DownCause;
  holdUntil?: number;
  clients: { client: string; firstAttempt: number; lastAttempt: number; mac?: string }[];
}

/** A registered contact as the state file keeps it (the configuration's own are not kept). */
export interface SavedContact {
  client?: string;
  mac?: string;
  /** The MAC of the device a page registration came from (it keeps the registration its own). */
  device?: string;
  mail: string;
  registeredAt: number;
  source: ContactSource;
}

/** The outage table at one instant, oldest outage first. */
export class OutagesCopy {
  private readonly servers: string[] = [];
  private readonly states: ServerState[] = [];
  private readonly since: number[] = [];
  private readonly causes: DownCause[] = [];
  private readonly holdUntil: number[] = [];
  /** Outage i's clients are [start[i], start[i + 1]). */
  private readonly start: number[] = [0];
  private readonly clients: Uint8Array;
  private readonly firstAttempt: Float64Array;
  private readonly lastAttempt: Float64Array;
  private readonly macs: Float64Array;

  constructor(o: OutageTable, pool: AddressPool) {
    const slots: number[] = [];
    // A recovered server whose devices are still being told (Telling) is back: not listed.
    for (let slot = 0; slot < o.serverSlots; slot++) {
      if (o.serverState[slot] === ServerState.Down || o.serverState[slot] === ServerState.Holding) slots.push(slot);
    }
    slots.sort((a, b) => o.downSince[a] - o.downSince[b]);
    const n = o.linkCount;
    this.clients = new Uint8Array(n * ADDRESS_BYTES);
    this.firstAttempt = new Float64Array(n);
    this.lastAttempt = new Float64Array(n);
    this.macs = new Float64Array(n);
    let k = 0;
    for (const slot of slots) {
      this.servers.push(pool.format(o.serverAddr[slot]));
      this.states.push(o.serverState[slot]);
      this.since.push(o.downSince[slot]);
      this.causes.push(DOWN_CAUSES[o.downCause[slot]]);
      this.holdUntil.push(o.holdUntil[slot]);
      for (let link = o.serverFirst[slot]; link !== NIL; link = o.linkNext[link]) {
        pool.copyBytes(o.linkClient[link], this.clients, k * ADDRESS_BYTES);
        this.firstAttempt[k] = o.firstAttempt[link];
        this.lastAttempt[k] = o.lastAttempt[link];
        this.macs[k] = o.linkMac[link];
        k++;
      }
      this.start.push(k);
    }
  }

  get length(): number {
    return this.servers.length;
  }

  /** Outage i without its clients (`clients` is empty). */
  head(i: number): OutageView {
    const holding = this.states[i] === ServerState.Holding;
    return {
      server: this.servers[i],
      state: holding ? 'holding' : 'down',
      since: this.since[i],
      cause: this.causes[i],
      ...(holding ? { holdUntil: this.holdUntil[i] } : {}),
      clients: [],
    };
  }

  /** The waiting clients of outage i, one at a time. */
  *clientsOf(i: number): Generator<OutageView['clients'][number]> {
    for (let k = this.start[i]; k < this.start[i + 1]; k++) {
      const mac = this.macs[k];
      yield {
        client: formatIp(this.clients, k * ADDRESS_BYTES),
        firstAttempt: this.firstAttempt[k],
        lastAttempt: this.lastAttempt[k],
        ...(mac !== 0 ? { mac: formatMac(mac) } : {}),
      };
    }
  }

  views(): OutageView[] {
    const out: OutageView[] = [];
    for (let i = 0; i < this.length; i++) out.push({ ...this.head(i), clients: [...this.clientsOf(i)] });
    return out;
  }
}

/** The contacts registered at run time, at one instant (records are immutable, so kept as they are). */
export class ContactsCopy {
  private readonly records: Contact[] = [];
  /** Addresses of records [0, clientCount), copied now: the pool may reuse their ids later. */
  private readonly clients: Uint8Array;
  private readonly clientCount: number;
  /** MACs of the records after those. */
  private readonly macs: number[] = [];

  constructor(pool: AddressPool, byClient: ReadonlyMap<number, Contact>, byMac: ReadonlyMap<number, Contact>) {
    this.clients = new Uint8Array(byClient.size * ADDRESS_BYTES);
    for (const [id, c] of byClient) {
      if (c.source === 'config') continue; // the configuration brings those back itself
      pool.copyBytes(id, this.clients, this.records.length * ADDRESS_BYTES);
      this.records.push(c);
    }
    this.clientCount = this.records.length;
    for (const [mac, c] of byMac) {
      if (c.source === 'config') continue;
      this.macs.push(mac);
      this.records.push(c);
    }
  }

  *saved(): Generator<SavedContact> {
    for (let i = 0; i < this.records.length; i++) {
      const c = this.records[i];
      yield {
        ...(i < this.clientCount ? { client: formatIp(this.clients, i * ADDRESS_BYTES) } : { mac: formatMac(this.macs[i - this.clientCount]) }),
        ...(c.deviceMac ? { device: formatMac(c.deviceMac) } : {}),
        mail: c.mail, registeredAt: c.registeredAt, source: c.source,
      };
    }
  }
}
