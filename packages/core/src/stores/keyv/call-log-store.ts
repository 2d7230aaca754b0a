import type Keyv from 'keyv';
import type { CallEntry, CallPage } from '@opendray/sdk/wire';
import { badRequest } from '../../errors.js';
import type { CallLogStore } from '../types.js';

const SEGMENT_ROWS = 1000;

interface Meta {
  /** Number of the first segment still stored. */
  first: number;
  /** Total rows ever appended; row n lives in segment floor(n / SEGMENT_ROWS). */
  rows: number;
}

/**
 * The call log on keyv in segments of 1 000 rows: an append rewrites only the newest
 * segment; retention drops whole old segments. Rows are also held in memory (bounded by
 * retention) so a filtered, newest-first page is a scan of memory, not of the store.
 */
export function createKeyvCallLogStore(keyv: Keyv): CallLogStore {
  let meta: Meta = { first: 0, rows: 0 };
  // rows[i] is row number (firstRow + i).
  let rows: CallEntry[] = [];
  let firstRow = 0;
  let loaded: Promise<void> | null = null;
  const segKey = (n: number): string => `calls:seg:${n}`;

  const load = (): Promise<void> =>
    (loaded ??= (async () => {
      meta = ((await keyv.get('calls:meta')) as Meta | undefined) ?? meta;
      const last = Math.floor(Math.max(0, meta.rows - 1) / SEGMENT_ROWS);
      firstRow = meta.first * SEGMENT_ROWS;
      for (let n = meta.first; meta.rows > 0 && n <= last; n++) {
        rows.push(...(((await keyv.get(segKey(n))) as CallEntry[] | undefined) ?? []));
      }
    })());

  const writeSegments = async (from: number, to: number): Promise<void> => {
    for (let n = from; n <= to; n++) {
      const start = n * SEGMENT_ROWS - firstRow;
      await keyv.set(segKey(n), rows.slice(Math.max(0, start), start + SEGMENT_ROWS));
    }
    await keyv.set('calls:meta', meta);
  };

  return {
    async append(entries) {
      if (!entries.length) return;
      await load();
      const fromSeg = Math.floor(meta.rows / SEGMENT_ROWS);
      rows.push(...entries);
      meta.rows += entries.length;
      await writeSegments(fromSeg, Math.floor((meta.rows - 1) / SEGMENT_ROWS));
    },

    async query(q): Promise<CallPage> {
      await load();
      const limit = q.limit ?? 100;
      let start = firstRow + rows.length - 1;
      if (q.cursor !== undefined) {
        const n = decodeCursor(q.cursor);
        start = Math.min(start, n);
      }
      const since = q.since ? Date.parse(q.since) : -Infinity;
      const until = q.until ? Date.parse(q.until) : Infinity;
      const entries: CallEntry[] = [];
      let n = start;
      for (; n >= firstRow && entries.length < limit; n--) {
        const e = rows[n - firstRow]!;
        const ts = Date.parse(e.ts);
        if (ts < since) break; // rows are in time order: nothing older can match
        if (ts > until) continue;
        if (q.integration_id && e.integration_id !== q.integration_id) continue;
        if (q.direction && e.direction !== q.direction) continue;
        if (q.status_class && Math.floor(e.status_code / 100) !== q.status_class) continue;
        entries.push(e);
      }
      const more = entries.length === limit && n >= firstRow;
      return { entries, next_cursor: more ? encodeCursor(n) : null };
    },

    async prune({ maxRows, olderThan }) {
      await load();
      let drop = Math.max(0, rows.length - maxRows);
      while (drop < rows.length && Date.parse(rows[drop]!.ts) < olderThan) drop++;
      // Only whole segments go, so the store and memory stay aligned.
      const segments = Math.floor((firstRow + drop) / SEGMENT_ROWS) - meta.first;
      if (segments <= 0) return 0;
      const removed = segments * SEGMENT_ROWS;
      for (let n = meta.first; n < meta.first + segments; n++) await keyv.delete(segKey(n));
      meta.first += segments;
      rows = rows.slice(removed);
      firstRow += removed;
      await keyv.set('calls:meta', meta);
      return removed;
    },
  };
}

function encodeCursor(row: number): string {
  return Buffer.from(`r${row}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^r(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequest('cursor: not a cursor from a previous page');
  return Number(m[1]);
}
