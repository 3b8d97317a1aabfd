// Retry delays: exponential, capped, with jitter so that thousands of notices deferred by the
// same MTA outage do not all come back in the same second.

export interface BackoffPolicy {
  /** Delay after the first failed attempt, ms (default 30 s). */
  readonly initialMs: number;
  /** Cap, ms (default 1 h). */
  readonly maxMs: number;
  /** Fraction taken off at random, 0..1 (default 0.25: the delay lands in [75 %, 100 %]). */
  readonly jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 30_000, maxMs: 3_600_000, jitter: 0.25 };

/** Delay before the next attempt after `failures` failed ones (>= 1); `random` in [0, 1). */
export function retryDelay(policy: BackoffPolicy, failures: number, random: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 52);
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(base * (1 - policy.jitter * random));
}
