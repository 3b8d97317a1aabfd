// Clients that said "no thanks" (P15), per down server, forgotten when the outage ends: they
// are not asked again during this outage. Bounded: past the cap the oldest answer is forgotten,
// which only means that client is asked once more.

export class DeclinedClients {
  private readonly byServer = new Map<string, Set<string>>();
  /** Insertion order over all servers, for eviction. */
  private readonly order: { server: string; client: string }[] = [];

  constructor(private readonly capacity = 8192) {}

  has(server: string, client: string): boolean {
    return this.byServer.get(server)?.has(client) ?? false;
  }

  add(server: string, client: string): void {
    let set = this.byServer.get(server);
    if (set === undefined) this.byServer.set(server, (set = new Set()));
    if (set.has(client)) return;
    set.add(client);
    this.order.push({ server, client });
    while (this.order.length > this.capacity) {
      const old = this.order.shift()!;
      this.byServer.get(old.server)?.delete(old.client);
    }
  }

  /** The client changed its mind and registered. */
  remove(server: string, client: string): void {
    this.byServer.get(server)?.delete(client);
  }

  /** The outage is over. */
  clear(server: string): void {
    this.byServer.delete(server);
    for (let i = this.order.length - 1; i >= 0; i--) if (this.order[i].server === server) this.order.splice(i, 1);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byServer.values()) n += set.size;
    return n;
  }
}
