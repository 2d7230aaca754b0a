/** Reconnection delays of the event and stream sockets. */
export interface BackoffOptions {
  /** First delay. @default 250 */
  initialMs?: number;
  /** Cap of the delay. @default 30_000 */
  maxMs?: number;
}

/**
 * Exponential backoff with jitter: the n-th delay is uniform in `[c/2, c]` with
 * `c = min(max, initial·2ⁿ)`, so many clients that lost one gateway do not come back in
 * lockstep, and none retries in a tight loop.
 */
export function createBackoff(options: BackoffOptions = {}): { next(): number; reset(): void } {
  const initial = Math.max(1, options.initialMs ?? 250);
  const max = Math.max(initial, options.maxMs ?? 30_000);
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
      attempt += 1;
      return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after `ms`, or early (with `false`) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
