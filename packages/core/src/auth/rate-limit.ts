import type { Clock } from '../clock.js';

/** A counted attempt whose outcome is not known yet (see {@link RateLimiter.reserve}). */
export interface Reservation {
  /** The attempt succeeded: it no longer counts as a failure. Idempotent. */
  release(): void;
}

/** Limits how many failures one key (a client address) may have in a window. */
export interface RateLimiter {
  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string): number;
  /**
   * Counts an attempt as a failure *before* it is verified, or returns null when `key`
   * has no attempt left in this window. Synchronous, so concurrent attempts can never
   * overshoot the limit: the 11th of 60 simultaneous guesses is refused, not checked.
   */
  reserve(key: string): Reservation | null;
  /** Counts one failure for `key` (an attempt that cost nothing to check). */
  fail(key: string): void;
  /** Forgets `key`. */
  reset(key: string): void;
}

export interface RateLimitOptions {
  /** Failures allowed per window. */
  max: number;
  windowMs: number;
  /** Addresses tracked at most; the oldest is forgotten first, so memory stays bounded. */
  maxKeys?: number;
  clock: Clock;
  /** The option it was configured by, for error messages. @default 'rate limit' */
  name?: string;
}

interface Window {
  start: number;
  count: number;
}

/** Fixed-window failure counter per key, bounded in the number of keys it remembers. */
export function createRateLimiter({ max, windowMs, maxKeys = 10_000, clock, name = 'rate limit' }: RateLimitOptions): RateLimiter {
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`${name}.max must be an integer >= 1 (got ${max})`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new TypeError(`${name}.windowMs must be an integer >= 1 (got ${windowMs})`);
  const windows = new Map<string, Window>();
  const current = (key: string): Window | undefined => {
    const w = windows.get(key);
    if (w && clock.now() - w.start >= windowMs) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };
  const open = (key: string): Window => {
    const existing = current(key);
    if (existing) return existing;
    if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
    const w = { start: clock.now(), count: 0 };
    windows.set(key, w);
    return w;
  };
  return {
    retryAfter(key) {
      const w = current(key);
      if (!w || w.count < max) return 0;
      return Math.max(1, Math.ceil((w.start + windowMs - clock.now()) / 1000));
    },
    reserve(key) {
      const w = open(key);
      if (w.count >= max) return null;
      w.count++;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          // Only the window the attempt was counted in; a new window never goes below 0.
          if (windows.get(key) === w && w.count > 0) w.count--;
        },
      };
    },
    fail(key) {
      open(key).count++;
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
