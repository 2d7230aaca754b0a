import { GatewayError, rateLimited } from '../errors.js';

/** Bounds of the costly credential checks (bcrypt). */
export interface VerificationLimits {
  /**
   * bcrypt compares running at once. bcrypt runs on libuv's thread pool (4 threads unless
   * `UV_THREADPOOL_SIZE` says otherwise), which SQLite, `fs` and DNS share: keeping this
   * below the pool size leaves them threads however many checks are asked for.
   * @default 2
   */
  concurrency?: number;
  /** Checks waiting for a slot, gateway-wide; past it 503 `unavailable`. @default 64 */
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
  return { concurrency: int('concurrency', 2, 1), maxQueued: int('maxQueued', 64, 0), perAddress: int('perAddress', 8, 1) };
}

/**
 * A small FIFO concurrency limiter with a bounded queue and a per-address cap
 * (docs/abuse-resistance.md). Hand-written because the job is "limit + bounded queue +
 * per-key cap + refuse", which no common limiter does in one piece.
 */
export function createVerificationGate(limits: VerificationLimits = {}): VerificationGate {
  const { concurrency, maxQueued, perAddress } = resolveVerificationLimits(limits);
  const waiting: Array<() => void> = [];
  const perAddr = new Map<string, number>();
  let running = 0;
  let started = 0;

  // A slot is taken on the waiter's behalf when it is woken, so a newcomer arriving
  // before the waiter resumes cannot take the same slot.
  const next = (): void => {
    while (running < concurrency && waiting.length) {
      running++;
      waiting.shift()!();
    }
  };

  return {
    async run(address, work) {
      const mine = address === null ? 0 : (perAddr.get(address) ?? 0);
      if (mine >= perAddress) throw rateLimited(1, 'too many credential checks in flight from this address');
      if (running >= concurrency && waiting.length >= maxQueued) {
        throw new GatewayError('unavailable', 'too many credential checks in progress, retry shortly', { headers: { 'Retry-After': '1' } });
      }
      if (address !== null) perAddr.set(address, mine + 1);
      try {
        if (running < concurrency) running++;
        else await new Promise<void>((resolve) => waiting.push(resolve));
        started++;
        try {
          return await work();
        } finally {
          running--;
          next();
        }
      } finally {
        if (address !== null) {
          const left = (perAddr.get(address) ?? 1) - 1;
          if (left > 0) perAddr.set(address, left);
          else perAddr.delete(address);
        }
      }
    },
    get running() {
      return running;
    },
    get queued() {
      return waiting.length;
    },
    get started() {
      return started;
    },
  };
}
