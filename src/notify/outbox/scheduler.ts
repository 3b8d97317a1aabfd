// Time for the outbox comes in from outside, so tests can step it exactly.

/** Milliseconds since the Unix epoch. */
export type Now = () => number;

/** Cancels a timer; calling it twice, or after the timer fired, does nothing. */
export type Cancel = () => void;

export interface Scheduler {
  after(delayMs: number, run: () => void): Cancel;
}

export const systemNow: Now = () => Date.now();

export const systemScheduler: Scheduler = {
  after(delayMs, run) {
    // setTimeout holds at most 2^31-1 ms; longer waits are re-armed by the caller's next pass.
    const handle = setTimeout(run, Math.min(Math.max(0, delayMs), 0x7fffffff));
    return () => clearTimeout(handle);
  },
};
