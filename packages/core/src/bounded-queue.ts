import type { GatewayError } from './errors.js';

export interface BoundedQueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting for a slot; one more is refused with `full()`. */
  maxQueued: number;
  /** Jobs running or waiting per key (e.g. a client address); one more is refused with `keyFull()`. @default unbounded */
  perKey?: number;
  full(): GatewayError;
  keyFull?(): GatewayError;
}

/** A FIFO concurrency limiter that refuses instead of queueing without bound. */
export interface BoundedQueue {
  /** Runs `work` once a slot is free; `key` null skips the per-key cap. */
  run<T>(key: string | null, work: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly queued: number;
  /** Jobs started so far. */
  readonly started: number;
}

/**
 * A small FIFO limiter with a bounded queue and an optional per-key cap, used for work
 * whose cost a client controls: bcrypt checks and `/screen` renders
 * (docs/abuse-resistance.md). Hand-written because the job is "limit + bounded queue +
 * per-key cap + refuse", which no common limiter does in one piece.
 */
export function createBoundedQueue(opts: BoundedQueueOptions): BoundedQueue {
  const waiting: Array<() => void> = [];
  const perKey = new Map<string, number>();
  const keyCap = opts.perKey ?? Infinity;
  let running = 0;
  let started = 0;

  // A slot is taken on the waiter's behalf when it is woken, so a newcomer arriving
  // before the waiter resumes cannot take the same slot.
  const next = (): void => {
    while (running < opts.concurrency && waiting.length) {
      running++;
      waiting.shift()!();
    }
  };

  return {
    async run(key, work) {
      const mine = key === null ? 0 : (perKey.get(key) ?? 0);
      if (mine >= keyCap) throw (opts.keyFull ?? opts.full)();
      if (running >= opts.concurrency && waiting.length >= opts.maxQueued) throw opts.full();
      if (key !== null) perKey.set(key, mine + 1);
      try {
        if (running < opts.concurrency) running++;
        else await new Promise<void>((resolve) => waiting.push(resolve));
        started++;
        try {
          return await work();
        } finally {
          running--;
          next();
        }
      } finally {
        if (key !== null) {
          const left = (perKey.get(key) ?? 1) - 1;
          if (left > 0) perKey.set(key, left);
          else perKey.delete(key);
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
