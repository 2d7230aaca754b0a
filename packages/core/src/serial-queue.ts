/**
 * Runs tasks one after another: each starts when the previous one settled, whether it
 * resolved or rejected (a failure never blocks the queue), and its own result or error goes
 * to its caller. The one mutex of the gateway: read-modify-write of a record, a `text` and
 * its delayed submit key, an emulator's catch-up, an adapter's start/stop.
 */
export interface SerialQueue {
  run<T>(task: () => Promise<T> | T): Promise<T>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      const result = tail.then(task, task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * One {@link SerialQueue} per key (a provider id, a session id): tasks of one key run in
 * order, tasks of different keys concurrently. A key's entry is dropped once its queue is
 * idle, so the map holds only keys with work in flight.
 */
export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T> | T): Promise<T>;
  /** Resolves once everything queued so far under `key` (or under every key) has settled. */
  idle(key?: string): Promise<void>;
  /** Keys with work queued or running. */
  readonly size: number;
}

export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
      const result = (tails.get(key) ?? Promise.resolve()).then(task, task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    async idle(key?: string): Promise<void> {
      await (key === undefined ? Promise.all(tails.values()) : tails.get(key));
    },
    get size() {
      return tails.size;
    },
  };
}
