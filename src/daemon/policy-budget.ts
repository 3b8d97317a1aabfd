// How long the operator's policy may delay the notices of one recovery, all its clients
// together. The clock starts at the recovery's first hook call; once it has run out, the
// remaining clients of that recovery get the defaults (told, backsoon's own texts) at once.

export class PolicyBudgets {
  /** Recovery ("server@t") -> when its budget runs out (ms since the epoch). */
  private readonly deadlines = new Map<string, { readonly until: number; reported: boolean }>();

  constructor(private readonly budgetMs: () => number, private readonly onSpent: (server: string) => void) {}

  /** Milliseconds left for the recovery of `server` decided at `t`; 0 once spent (reported once). */
  left(server: string, t: number, now = Date.now()): number {
    const key = `${server}@${t}`;
    let entry = this.deadlines.get(key);
    if (entry === undefined) {
      this.forgetOld(now);
      entry = { until: now + this.budgetMs(), reported: false };
      this.deadlines.set(key, entry);
    }
    const left = Math.max(0, entry.until - now);
    if (left === 0 && !entry.reported) {
      entry.reported = true;
      this.onSpent(server);
    }
    return left;
  }

  /** Recoveries whose budget ended a minute ago are done; Map order is creation order. */
  private forgetOld(now: number): void {
    for (const [key, entry] of this.deadlines) {
      if (entry.until > now - 60_000) break;
      this.deadlines.delete(key);
    }
  }
}
