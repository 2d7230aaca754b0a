import type { CallEntry } from '@opendray/sdk/wire';
import { isRefusedCredential } from './refused.js';

type Row = Omit<CallEntry, 'id' | 'bytes_written'>;

export interface RefusalAggregatorOptions {
  /** One row per address and status per window. */
  windowMs: number;
  now(): number;
  /** Receives each aggregated row (the window's first refusal, with `count`). */
  emit(row: Row): void;
  /** Addresses tracked at once; past it the oldest window is emitted early. @default 10_000 */
  maxAddresses?: number;
}

/**
 * Folds rate-limited refusals (a refused credential or login answered 429 or 503) into one
 * call-log row per address, kind, status and window (docs/abuse-resistance.md): a client that
 * keeps knocking after its limit writes one row a minute, not one per request.
 */
export function createRefusalAggregator(opts: RefusalAggregatorOptions) {
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const open = new Map<string, { row: Row; count: number; since: number }>();

  const emit = (key: string): void => {
    const w = open.get(key)!;
    open.delete(key);
    opts.emit({ ...w.row, count: w.count });
  };

  return {
    /** Takes a rate-limited refusal into its window; false for any other row (record it as is). */
    absorb(row: Row): boolean {
      if (!isRefusedCredential(row) || (row.status_code !== 429 && row.status_code !== 503)) return false;
      const key = `${row.direction} ${row.status_code} ${row.remote_addr}`;
      const w = open.get(key);
      if (w) {
        w.count++;
        return true;
      }
      if (open.size >= maxAddresses) emit(open.keys().next().value!);
      open.set(key, { row, count: 1, since: opts.now() });
      return true;
    },
    /** Emits the windows that are over. */
    emitDue(): void {
      const now = opts.now();
      for (const [key, w] of open) if (now - w.since >= opts.windowMs) emit(key);
    },
    /** Emits every window (shutdown). */
    emitAll(): void {
      for (const key of [...open.keys()]) emit(key);
    },
  };
}
