/** Time, injected so tests can control expiry, rate limits and idle detection. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `fn` once after `ms` of this clock's time; returns the cancel function. A test
   * clock implements it to drive idle detection and agent timers by hand.
   * @default the platform's setTimeout
   */
  setTimer?(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Schedules `fn` on `clock` (its own timers when it has them, else setTimeout). */
export function setTimer(clock: Clock, fn: () => void, ms: number): () => void {
  if (clock.setTimer) return clock.setTimer(fn, ms);
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}

/** RFC 3339 UTC with milliseconds (SPEC §1). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
