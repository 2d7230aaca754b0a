import type { CallEntry } from '@opendray/sdk/wire';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { newId } from '../security.js';
import type { CallLogStore } from '../stores/types.js';
import type { CallLog } from './types.js';

export interface CallLogOptions {
  store: CallLogStore;
  clock: Clock;
  logger: Logger;
  /** @default 100_000 */
  maxRows?: number;
  /** @default 30 days */
  maxAgeMs?: number;
  /** @default 250 */
  flushIntervalMs?: number;
  /** Entries queued at most; past it the oldest queued are dropped and counted. @default 50_000 */
  maxQueued?: number;
}

/**
 * Batches call-log entries off the request path (SPEC §10): `record` only queues; a timer
 * writes the batch and applies retention. A store failure is logged, never thrown at a request.
 */
export function createCallLog(opts: CallLogOptions): CallLog {
  const maxRows = opts.maxRows ?? 100_000;
  const maxAgeMs = opts.maxAgeMs ?? 30 * 24 * 3600_000;
  const maxQueued = opts.maxQueued ?? 50_000;
  let queue: CallEntry[] = [];
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let appended = 0;

  const flush = (): Promise<void> => {
    writing = writing.then(async () => {
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      try {
        await opts.store.append(batch);
        appended += batch.length;
        if (appended >= 1000) {
          appended = 0;
          await opts.store.prune({ maxRows, olderThan: opts.clock.now() - maxAgeMs });
        }
      } catch (err) {
        opts.logger.error('call log write failed', { error: err, entries: batch.length });
      }
      if (dropped) {
        opts.logger.warn('call log queue overflowed', { dropped });
        dropped = 0;
      }
    });
    return writing;
  };

  const timer = setInterval(() => void flush(), opts.flushIntervalMs ?? 250);
  timer.unref();

  return {
    record(entry) {
      if (queue.length >= maxQueued) {
        queue.shift();
        dropped++;
      }
      queue.push({ id: newId('call'), ...entry });
    },
    async query(q) {
      await flush();
      return opts.store.query(q);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
