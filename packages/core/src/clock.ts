/** Time, injected so tests can control expiry, rate limits and idle detection. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 UTC with milliseconds (SPEC §1). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
