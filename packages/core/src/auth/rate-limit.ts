import type { Clock } from '../clock.js';

/** Limits how many failures one key (a client address) may have in a window. */
export interface RateLimiter {
  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string): number;
  /** Counts one failure for `key`. */
  fail(key: string): void;
  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void;
}

export interface RateLimitOptions {
  /** Failures allowed per window. */
  max: number;
  windowMs: number;
  /** Addresses tracked at most; the oldest is forgotten first, so memory stays bounded. */
  maxKeys?: number;
  clock: Clock;
}

/** Fixed-window failure counter per key, bounded in the number of keys it remembers. */
export function createRateLimiter({ max, windowMs, maxKeys = 10_000, clock }: RateLimitOptions): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string): { start: number; count: number } | undefined => {
    const w = windows.get(key);
    if (w && clock.now() - w.start >= windowMs) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };
  return {
    retryAfter(key) {
      const w = current(key);
      if (!w || w.count < max) return 0;
      return Math.max(1, Math.ceil((w.start + windowMs - clock.now()) / 1000));
    },
    fail(key) {
      const w = current(key);
      if (w) {
        w.count++;
        return;
      }
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
      windows.set(key, { start: clock.now(), count: 1 });
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
