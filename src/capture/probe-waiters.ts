// Promises that settle when a sign of life from an address arrives (an ARP reply, a REACHABLE
// neighbour), or false at a deadline. Lets a probe that only provokes an answer seen elsewhere
// (by the capture, by the neighbour monitor) learn whether it came.

export class AddressWaiters {
  /** Keyed by the address's canonical text (either family). */
  private readonly waiting = new Map<string, Set<(alive: boolean) => void>>();

  /** Resolves true when `seen(addr)` is called within `timeoutMs`, else false. */
  wait(addr: string, timeoutMs: number): Promise<boolean> {
    const key = addr;
    return new Promise((resolve) => {
      let set = this.waiting.get(key);
      if (!set) { set = new Set(); this.waiting.set(key, set); }
      const settle = (alive: boolean): void => {
        clearTimeout(timer);
        const current = this.waiting.get(key);
        current?.delete(settle);
        if (current?.size === 0) this.waiting.delete(key);
        resolve(alive);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      set.add(settle);
    });
  }

  /** `addr` showed a sign of life: every wait for it resolves true. */
  seen(addr: string): void {
    const set = this.waiting.get(addr);
    if (!set) return;
    for (const settle of [...set]) settle(true);
  }

  /** Number of pending waits (for stats and tests). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }
}
