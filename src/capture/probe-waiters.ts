// Promises that settle when a sign of life from an address arrives (an ARP reply, a REACHABLE
// neighbour), or false at a deadline. Lets a probe that only provokes an answer seen elsewhere
// (by the capture, by the neighbour monitor) learn whether it came.

export class AddressWaiters {
  private readonly waiting = new Map<number, Set<(alive: boolean) => void>>();

  /** Resolves true when `seen(addr)` is called within `timeoutMs`, else false. */
  wait(addr: number, timeoutMs: number): Promise<boolean> {
    const key = addr >>> 0;
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
  seen(addr: number): void {
    const set = this.waiting.get(addr >>> 0);
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
