import type { CallEntry } from '@opendray/sdk/wire';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { newId } from '../security.js';
import type { CallLogStore } from '../stores/types.js';
import { createRefusalAggregator } from './refusals.js';
import type { CallLog } from './types.js';

const PRUNE_EVERY_MS = 60_000;

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
  /** Entries queued at most; past it the oldest tenth is dropped and counted. @default 50_000 */
  maxQueued?: number;
  /** Rows of refused credentials kept, apart from the rest. @default 10_000 */
  rejectedMaxRows?: number;
  /** @default 7 days */
  rejectedMaxAgeMs?: number;
  /** Rate-limited refusals from one address are one row per window, with a `count`. @default 60_000 */
  aggregateWindowMs?: number;
}

/**
 * Batches call-log entries off the request path (SPEC §10): `record` only queues; a timer
 * writes the batch and applies retention. A store failure is logged, never thrown at a request.
 * So that junk cannot flush the audit trail (docs/abuse-resistance.md): refusals answered
 * 429/503 become one row per address and window with a `count`, and refused credentials
 * have a retention of their own.
 */
export function createCallLog(opts: CallLogOptions): CallLog {
  const maxRows = opts.maxRows ?? 100_000;
  const maxAgeMs = opts.maxAgeMs ?? 30 * 24 * 3600_000;
  const maxQueued = opts.maxQueued ?? 50_000;
  const rejectedMaxRows = opts.rejectedMaxRows ?? 10_000;
  const rejectedMaxAgeMs = opts.rejectedMaxAgeMs ?? 7 * 24 * 3600_000;
  const refusals = createRefusalAggregator({ windowMs: opts.aggregateWindowMs ?? 60_000, now: () => opts.clock.now(), emit: (e) => enqueue(e) });
  let queue: CallEntry[] = [];
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let appended = 0;
  let lastPrune = opts.clock.now();

  const flush = (): Promise<void> => {
    refusals.emitDue();
    writing = writing.then(async () => {
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      try {
        await opts.store.append(batch);
        appended += batch.length;
        // Retention by count after every 1 000 rows, and by age at least once a minute
        // even on a quiet gateway.
        const now = opts.clock.now();
        if (appended >= 1000 || now - lastPrune >= PRUNE_EVERY_MS) {
          appended = 0;
          lastPrune = now;
          await opts.store.prune({ maxRows, olderThan: now - maxAgeMs, rejected: { maxRows: rejectedMaxRows, olderThan: now - rejectedMaxAgeMs } });
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

  const enqueue = (entry: Omit<CallEntry, 'id' | 'bytes_written'>): void => {
    if (queue.length >= maxQueued) {
      // Drop the oldest tenth at once: O(1) amortised, where one shift per call is O(n).
      const n = Math.max(1, Math.ceil(maxQueued / 10));
      queue.splice(0, n);
      dropped += n;
    }
    queue.push({ id: newId('call'), ...entry, bytes_written: entry.bytes_out });
  };

  return {
    record(entry) {
      if (!refusals.absorb(entry)) enqueue(entry);
    },
    async query(q) {
      await flush();
      return opts.store.query(q);
    },
    flush,
    async close() {
      clearInterval(timer);
      refusals.emitAll();
      await flush();
    },
  };
}
