// When a fixed hash index should move its keys into a fresh array. Open addressing spreads keys
// over every page of the array, so a burst of keys (a recovery of thousands, a flood of forged
// sources) leaves all of it resident after the keys are gone. Moving the few keys left into a
// new array of the same size gives those pages back once the old array is collected; nothing
// grows, and the move costs one pass over the old array.

/** At least this many keys must have gone since the array was made: a burst, not churn. */
export const RENEW_MIN_GONE = 1024;

/** Whether an index that held `peak` keys at most and holds `now` is worth a fresh array. */
export function sparseAfterBurst(peak: number, now: number): boolean {
  return peak - now >= RENEW_MIN_GONE && now * 4 <= peak;
}
