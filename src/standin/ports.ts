// The listener ports: one per down server, so a listener knows which server a redirected
// connection was meant for without reading the original destination (SO_ORIGINAL_DST is not
// reachable from Node without a native addon).

export class PortPool {
  private readonly used = new Set<number>();

  constructor(readonly first: number, readonly count: number) {}

  get last(): number {
    return this.first + this.count - 1;
  }

  get inUse(): number {
    return this.used.size;
  }

  /** The lowest free port not in `skip`, or null when all are taken. */
  take(skip: ReadonlySet<number> = new Set()): number | null {
    for (let p = this.first; p <= this.last; p++) {
      if (!this.used.has(p) && !skip.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    return null;
  }

  release(port: number): void {
    this.used.delete(port);
  }
}
