import { availableParallelism } from 'node:os';
import { createBoundedQueue } from '../bounded-queue.js';
import { GatewayError, rateLimited } from '../errors.js';

/** Bounds of the costly credential checks (bcrypt). */
export interface VerificationLimits {
  /**
   * bcrypt compares running at once. bcrypt runs on libuv's thread pool (4 threads unless
   * `UV_THREADPOOL_SIZE` says otherwise), which SQLite, `fs` and DNS share: keeping this
   * below the pool size leaves them threads however many checks are asked for, and below
   * the core count leaves the event loop a core.
   * @default the number of cores minus one, between 1 and 2
   */
  concurrency?: number;
  /**
   * Checks waiting for a slot, gateway-wide; past it 503 `unavailable`. At cost 12 a
   * check takes ~0.25 s, so 16 waiting is a few seconds at most: longer is a timeout anyway.
   * @default 16
   */
  maxQueued?: number;
  /** Checks running or waiting per client address; past it 429 `rate_limited`. @default 8 */
  perAddress?: number;
}

/** Runs costly checks (bcrypt) in a bounded queue of their own. */
export interface VerificationGate {
  /**
   * Runs `work` once a slot is free. Throws 429 when `address` already has `perAddress`
   * checks running or waiting, 503 when the queue is full; nothing waits unboundedly.
   * `address` null skips the per-address cap, for a caller that caps per address itself
   * (login: each attempt is already one of the address's reserved attempts).
   */
  run<T>(address: string | null, work: () => Promise<T>): Promise<T>;
  /** Checks running now and waiting now (for tests and benchmarks). */
  readonly running: number;
  readonly queued: number;
  /** Checks started since the gateway started. */
  readonly started: number;
}

/** Resolves the defaults of {@link VerificationLimits}; a bad value throws a TypeError naming it. */
export function resolveVerificationLimits(limits: VerificationLimits = {}): Required<VerificationLimits> {
  const int = (name: keyof VerificationLimits, fallback: number, min: number): number => {
    const v = limits[name] ?? fallback;
    if (!Number.isInteger(v) || v < min) throw new TypeError(`limits.verifications.${name} must be an integer >= ${min} (got ${v})`);
    return v;
  };
  return { concurrency: int('concurrency', defaultConcurrency(), 1), maxQueued: int('maxQueued', 16, 0), perAddress: int('perAddress', 8, 1) };
}

/** One core for the event loop, the rest (at most 2, half of libuv's default pool) for bcrypt. */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

/** The bounded queue of every bcrypt check of a credential (docs/abuse-resistance.md). */
export function createVerificationGate(limits: VerificationLimits = {}): VerificationGate {
  const { concurrency, maxQueued, perAddress } = resolveVerificationLimits(limits);
  return createBoundedQueue({
    concurrency,
    maxQueued,
    perKey: perAddress,
    keyFull: () => rateLimited(1, 'too many credential checks in flight from this address'),
    full: () => new GatewayError('unavailable', 'too many credential checks in progress, retry shortly', { headers: { 'Retry-After': '1' } }),
  });
}
