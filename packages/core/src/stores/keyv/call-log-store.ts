import type Keyv from 'keyv';
import type { CallEntry, CallPage } from '@opendray/sdk/wire';
import { badRequest } from '../../errors.js';
import type { CallLogStore } from '../types.js';
import { writerFor, type WriteOp } from './writer.js';

const SEGMENT_ROWS = 1000;
const META_KEY = 'calls:meta';

interface Meta {
  /** Number of the first segment still stored. */
  first: number;
  /** Total rows ever appended; row n lives in segment floor(n / SEGMENT_ROWS) at n % SEGMENT_ROWS. */
  rows: number;
  /** Number of the oldest row retention kept; older rows are gone (stored as null). */
  live?: number;
}

/**
 * The call log on keyv in segments of 1 000 rows: an append rewrites only the newest
 * segment; retention deletes whole old segments and blanks (nulls) the expired head of a
 * partly expired one, so retention is exact and pruned rows leave the disk too. Live rows
 * are also held in memory (bounded by retention) so a filtered, newest-first page is a
 * scan of memory, not of the store, and a page of one integration scans only its rows. Cursors are row numbers, stable across pruning.
 */
export function createKeyvCallLogStore(keyv: Keyv): CallLogStore {
  const writer = writerFor(keyv);
  let meta: Meta = { first: 0, rows: 0 };
  // rows[i] is row number (firstRow + i).
  let rows: CallEntry[] = [];
  let firstRow = 0;
  // Row numbers (ascending) of each integration's live rows: a page filtered by
  // integration reads only that integration's rows, however many others there are.
  const byIntegration = new Map<string, number[]>();
  let loaded: Promise<void> | null = null;
  // The segment being filled is rewritten on every append; its rows are kept as JSON text,
  // each encoded once, so a flush joins strings instead of re-encoding up to 1 000 objects
  // with keyv's (much slower) serializer. Keyed by the segment number they belong to.
  let tail: { segment: number; json: string[] } = { segment: -1, json: [] };

  const keep = (e: CallEntry, row: number): void => {
    rows.push(e);
    if (!e.integration_id) return;
    const list = byIntegration.get(e.integration_id);
    if (list) list.push(row);
    else byIntegration.set(e.integration_id, [row]);
  };
  const segKey = (n: number): string => `calls:seg:${n}`;

  const load = (): Promise<void> =>
    (loaded ??= (async () => {
      meta = ((await keyv.get(META_KEY)) as Meta | undefined) ?? meta;
      firstRow = Math.max(meta.first * SEGMENT_ROWS, meta.live ?? 0);
      const last = Math.floor((meta.rows - 1) / SEGMENT_ROWS);
      for (let n = meta.first; meta.rows > 0 && n <= last; n++) {
        // A segment is stored as JSON text (see `tail`), or as an array by older versions.
        const raw = (await keyv.get(segKey(n))) as string | (CallEntry | null)[] | undefined;
        const stored = (typeof raw === 'string' ? (JSON.parse(raw) as (CallEntry | null)[]) : raw) ?? [];
        stored.forEach((e, i) => {
          if (e && n * SEGMENT_ROWS + i >= firstRow) keep(e, n * SEGMENT_ROWS + i);
        });
      }
    })());

  /** Segment n as stored: expired rows before `firstRow` keep their place as null. */
  const segmentOf = (n: number): (CallEntry | null)[] => {
    const start = n * SEGMENT_ROWS - firstRow;
    const live = rows.slice(Math.max(0, start), start + SEGMENT_ROWS);
    return start >= 0 ? live : [...new Array<null>(-start).fill(null), ...live];
  };

  /** The JSON text of segment n when it is the one being filled and every row of it is live. */
  const tailJson = (n: number): string | null => {
    if (tail.segment !== n || n * SEGMENT_ROWS < firstRow) return null;
    const count = Math.min(SEGMENT_ROWS, firstRow + rows.length - n * SEGMENT_ROWS);
    if (tail.json.length !== count) return null;
    return `[${tail.json.join(',')}]`;
  };

  // The call log is written in batches nobody waits for: `normal` durability (docs/durability.md).
  const writeSegments = async (from: number, to: number): Promise<void> => {
    const ops: WriteOp[] = [];
    for (let n = from; n <= to; n++) ops.push({ key: segKey(n), value: tailJson(n) ?? segmentOf(n) });
    await writer.apply([...ops, { key: META_KEY, value: { ...meta } }], 'normal');
  };

  /** Keeps the JSON text of a row of the segment being filled. */
  const encodeTail = (e: CallEntry, row: number): void => {
    const segment = Math.floor(row / SEGMENT_ROWS);
    if (tail.segment !== segment) {
      // A new segment starts empty; joining mid-segment (after a restart) rebuilds from the rows.
      const start = segment * SEGMENT_ROWS;
      const before = start >= firstRow ? rows.slice(start - firstRow, row - firstRow) : null;
      tail = { segment, json: before ? before.map((r) => JSON.stringify(r)) : [] };
      if (!before) tail.segment = -1;
    }
    if (tail.segment === segment) tail.json.push(JSON.stringify(e));
  };

  return {
    async append(entries) {
      if (!entries.length) return;
      await load();
      const fromSeg = Math.floor(meta.rows / SEGMENT_ROWS);
      for (const e of entries) {
        const row = firstRow + rows.length;
        keep(e, row);
        encodeTail(e, row);
      }
      meta.rows += entries.length;
      await writeSegments(fromSeg, Math.floor((meta.rows - 1) / SEGMENT_ROWS));
    },

    async query(q): Promise<CallPage> {
      await load();
      const limit = q.limit ?? 100;
      let start = firstRow + rows.length - 1;
      if (q.cursor !== undefined) start = Math.min(start, decodeCursor(q.cursor));
      // Stored `ts` are toISOString() strings, which order like the times they name.
      const since = q.since ? isoOf('since', q.since) : '';
      const until = q.until ? isoOf('until', q.until) : '\uffff';
      // Rows are in completion order and `ts` is the start: a long call may sit after
      // newer ones, so an old row is skipped, never a reason to stop.
      const matches = (e: CallEntry): boolean =>
        e.ts >= since &&
        e.ts <= until &&
        (!q.direction || e.direction === q.direction) &&
        (!q.status_class || Math.floor(e.status_code / 100) === q.status_class);
      const entries: CallEntry[] = [];
      if (q.integration_id !== undefined) {
        const list = byIntegration.get(q.integration_id) ?? [];
        let i = lastAtMost(list, start);
        for (; i >= 0 && list[i]! >= firstRow && entries.length < limit; i--) {
          const e = rows[list[i]! - firstRow]!;
          if (matches(e)) entries.push(e);
        }
        const more = entries.length === limit && i >= 0 && list[i]! >= firstRow;
        return { entries, next_cursor: more ? encodeCursor(list[i]!) : null };
      }
      let n = start;
      for (; n >= firstRow && entries.length < limit; n--) {
        const e = rows[n - firstRow]!;
        if (matches(e)) entries.push(e);
      }
      const more = entries.length === limit && n >= firstRow;
      return { entries, next_cursor: more ? encodeCursor(n) : null };
    },

    async prune({ maxRows, olderThan }) {
      await load();
      let drop = Math.max(0, rows.length - maxRows);
      const cutoff = new Date(olderThan).toISOString();
      while (drop < rows.length && rows[drop]!.ts < cutoff) drop++;
      if (drop === 0) return 0;
      rows = rows.slice(drop);
      firstRow += drop;
      meta.live = firstRow;
      for (const [id, list] of byIntegration) {
        let k = 0;
        while (k < list.length && list[k]! < firstRow) k++;
        if (k === list.length) byIntegration.delete(id);
        else if (k > 0) list.splice(0, k);
      }
      const segments = Math.floor(firstRow / SEGMENT_ROWS) - meta.first;
      const ops: WriteOp[] = [];
      for (let n = meta.first; n < meta.first + segments; n++) ops.push({ key: segKey(n), delete: true });
      meta.first += segments;
      // Blank the expired head of the segment that is now first, so no pruned row stays on disk.
      if (firstRow % SEGMENT_ROWS !== 0 && meta.first * SEGMENT_ROWS < meta.rows) ops.push({ key: segKey(meta.first), value: segmentOf(meta.first) });
      await writer.apply([...ops, { key: META_KEY, value: { ...meta } }], 'normal');
      return drop;
    },
  };
}

/** Index of the last element ≤ `max` in an ascending list, or -1. */
function lastAtMost(list: readonly number[], max: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! <= max) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

function encodeCursor(row: number): string {
  return Buffer.from(`r${row}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^r(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequest('cursor: not a cursor from a previous page');
  return Number(m[1]);
}

function isoOf(field: string, time: string): string {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw badRequest(`${field}: must be an RFC 3339 timestamp`);
  return new Date(ms).toISOString();
}
