// Who may hold one of the stand-in's connections. Caps on the total, per client address and per
// network (/24 for IPv4, /64 for IPv6) keep one client or one network from taking every slot;
// when a cap is reached, the oldest connection still waiting for its request (a slow client) of
// a client holding more than the newcomer is closed to make room, so a client that holds few
// connections is always served, however many slow ones others keep open (slowloris).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Socket } from 'node:net';

export interface GateLimits {
  readonly total: number;
  readonly perClient: number;
  readonly perNetwork: number;
}

export interface GateCounters {
  /** Connections cut at accept: a cap reached and nobody heavier to make room. */
  connectionsRefused: number;
  /** Older connections closed to make room for a client that held fewer. */
  connectionsEvicted: number;
}

/** One admitted connection; `res` is set once its request has arrived. */
interface Held {
  readonly socket: Socket;
  readonly client: string;
  readonly network: string;
  res: ServerResponse | null;
}

/** "::ffff:192.0.2.10" (a dual-stack socket) -> "192.0.2.10"; other text unchanged. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The network a client address counts against: "192.0.2.0/24", "2001:db8:0:1::/64". */
export function networkOf(address: string): string {
  const plain = plainAddress(address);
  if (!isIPv6(plain)) {
    const dot = plain.lastIndexOf('.');
    return dot < 0 ? plain : `${plain.slice(0, dot)}.0/24`;
  }
  return `${expandIPv6(plain).slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The eight groups of an IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIPv6(address: string): string[] {
  const text = address.replace(/%.*$/, '');
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hexTail = tail
    ? text.slice(0, tail.index) + [(+tail[1] << 8) | +tail[2], (+tail[3] << 8) | +tail[4]].map((n) => n.toString(16)).join(':')
    : text;
  const [head, rest] = hexTail.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...fill, ...right];
}

export class ConnectionGate {
  /** Every admitted connection, oldest first (Set order is insertion order). */
  private readonly held = new Set<Held>();
  private readonly bySocket = new WeakMap<Socket, Held>();
  private readonly perClient = new Map<string, number>();
  private readonly perNetwork = new Map<string, number>();

  constructor(private readonly limits: GateLimits, private readonly counters: GateCounters) {}

  get open(): number {
    return this.held.size;
  }

  /** Admits the socket (closing a slow one of a heavier client if a cap is reached) or returns false. */
  admit(socket: Socket): boolean {
    const client = plainAddress(socket.remoteAddress ?? '?');
    const network = networkOf(client);
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) return this.refuse();
    if ((this.perNetwork.get(network) ?? 0) >= this.limits.perNetwork && !this.makeRoom(mine, network)) return this.refuse();
    if (this.held.size >= this.limits.total && !this.makeRoom(mine, null)) return this.refuse();
    const entry: Held = { socket, client, network, res: null };
    this.held.add(entry);
    this.bySocket.set(socket, entry);
    bump(this.perClient, client, 1);
    bump(this.perNetwork, network, 1);
    socket.once('close', () => {
      if (!this.held.delete(entry)) return;
      bump(this.perClient, client, -1);
      bump(this.perNetwork, network, -1);
    });
    return true;
  }

  /** The connection's request has arrived; once its answer has begun it is closed last. */
  requestArrived(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.bySocket.get(req.socket);
    if (entry !== undefined) entry.res = res;
  }

  private refuse(): false {
    this.counters.connectionsRefused++;
    return false;
  }

  /**
   * Closes one connection of a client that holds more than `mine` + 1 (so two equal clients do
   * not take turns evicting each other), within `network` or anywhere: the oldest one still
   * waiting for (the rest of) its request; failing that, the oldest one being answered (an event
   * stream) of such a client.
   */
  private makeRoom(mine: number, network: string | null): boolean {
    let answering: Held | null = null;
    for (const h of this.held) {
      if (network !== null && h.network !== network) continue;
      if ((this.perClient.get(h.client) ?? 0) < mine + 2) continue;
      if (h.res === null || !h.res.headersSent) return this.evict(h);
      answering ??= h;
    }
    return answering !== null && this.evict(answering);
  }

  private evict(h: Held): true {
    // Counted as closed now, so the newcomer fits; the socket's own 'close' comes later.
    this.held.delete(h);
    bump(this.perClient, h.client, -1);
    bump(this.perNetwork, h.network, -1);
    this.counters.connectionsEvicted++;
    h.socket.destroy();
    return true;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
