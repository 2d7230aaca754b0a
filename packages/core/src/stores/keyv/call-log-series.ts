import type Keyv from 'keyv';
import type { CallEntry } from '@opendray/sdk/wire';
import { writerFor, type KeyvWriter, type WriteOp } from './writer.js';

const SEGMENT_ROWS = 1000;

interface Meta {
  /** Number of the first segment still stored. */
  first: number;
  /** Total rows ever appended; row n lives in segment floor(n / SEGMENT_ROWS) at n % SEGMENT_ROWS. */
  rows: number;
  /** Number of the oldest row retention kept; older rows are gone (stored as null). */
  live?: number;
}

/**
 * One append-only sequence of call-log rows on keyv, in segments of 1 000 rows under
 * `<prefix>:seg:<n>` (meta at `<prefix>:meta`): an append rewrites only the newest
 * segment; retention deletes whole old segments and blanks (nulls) the expired head of a
 * partly expired one, so retention is exact and pruned rows leave the disk too. Live rows
 * are held in memory (bounded by retention). Row numbers never change, so cursors built
 * on them are stable across pruning.
 */
export class CallLogSeries {
  private meta: Meta = { first: 0, rows: 0 };
  // rows[i] is row number (firstRow + i).
  private rows: CallEntry[] = [];
  private firstRow = 0;
  // Row numbers (ascending) of each integration's live rows, when indexed.
  private readonly byIntegration = new Map<string, number[]>();
  private loaded: Promise<void> | null = null;
  // The segment being filled is rewritten on every append; its rows are kept as JSON text,
  // each encoded once, so a flush joins strings instead of re-encoding up to 1 000 objects
  // with keyv's (much slower) serializer. Keyed by the segment number they belong to.
  private tail: { segment: number; json: string[] } = { segment: -1, json: [] };
  private readonly writer: KeyvWriter;

  constructor(
    private readonly keyv: Keyv,
    private readonly prefix: string,
  ) {
    this.writer = writerFor(keyv);
  }

  /** Oldest live row number. */
  get first(): number {
    return this.firstRow;
  }

  /** Newest row number (first - 1 when empty). */
  get last(): number {
    return this.firstRow + this.rows.length - 1;
  }

  /** The live row `n` (first ≤ n ≤ last). */
  at(n: number): CallEntry {
    return this.rows[n - this.firstRow]!;
  }

  /** Ascending row numbers of an integration's live rows. */
  rowsOf(integrationId: string): readonly number[] {
    return this.byIntegration.get(integrationId) ?? [];
  }

  load(): Promise<void> {
    return (this.loaded ??= (async () => {
      this.meta = ((await this.keyv.get(this.metaKey)) as Meta | undefined) ?? this.meta;
      this.firstRow = Math.max(this.meta.first * SEGMENT_ROWS, this.meta.live ?? 0);
      const last = Math.floor((this.meta.rows - 1) / SEGMENT_ROWS);
      for (let n = this.meta.first; this.meta.rows > 0 && n <= last; n++) {
        // A segment is stored as JSON text (see `tail`), or as an array by older versions.
        const raw = (await this.keyv.get(this.segKey(n))) as string | (CallEntry | null)[] | undefined;
        const stored = (typeof raw === 'string' ? (JSON.parse(raw) as (CallEntry | null)[]) : raw) ?? [];
        stored.forEach((e, i) => {
          if (e && n * SEGMENT_ROWS + i >= this.firstRow) this.keep(e, n * SEGMENT_ROWS + i);
        });
      }
    })());
  }

  async append(entries: readonly CallEntry[]): Promise<void> {
    if (!entries.length) return;
    await this.load();
    const fromSeg = Math.floor(this.meta.rows / SEGMENT_ROWS);
    for (const e of entries) {
      const row = this.firstRow + this.rows.length;
      this.keep(e, row);
      this.encodeTail(e, row);
    }
    this.meta.rows += entries.length;
    await this.writeSegments(fromSeg, Math.floor((this.meta.rows - 1) / SEGMENT_ROWS));
  }

  /** Drops rows beyond `maxRows` and older than `olderThan` (epoch ms); returns how many. */
  async prune(maxRows: number, olderThan: number): Promise<number> {
    await this.load();
    let drop = Math.max(0, this.rows.length - maxRows);
    const cutoff = new Date(olderThan).toISOString();
    while (drop < this.rows.length && this.rows[drop]!.ts < cutoff) drop++;
    if (drop === 0) return 0;
    this.rows = this.rows.slice(drop);
    this.firstRow += drop;
    this.meta.live = this.firstRow;
    for (const [id, list] of this.byIntegration) {
      let k = 0;
      while (k < list.length && list[k]! < this.firstRow) k++;
      if (k === list.length) this.byIntegration.delete(id);
      else if (k > 0) list.splice(0, k);
    }
    const segments = Math.floor(this.firstRow / SEGMENT_ROWS) - this.meta.first;
    const ops: WriteOp[] = [];
    for (let n = this.meta.first; n < this.meta.first + segments; n++) ops.push({ key: this.segKey(n), delete: true });
    this.meta.first += segments;
    // Blank the expired head of the segment that is now first, so no pruned row stays on disk.
    if (this.firstRow % SEGMENT_ROWS !== 0 && this.meta.first * SEGMENT_ROWS < this.meta.rows) {
      ops.push({ key: this.segKey(this.meta.first), value: this.segmentOf(this.meta.first) });
    }
    // The call log is written in batches nobody waits for: `normal` durability (docs/durability.md).
    await this.writer.apply([...ops, { key: this.metaKey, value: { ...this.meta } }], 'normal');
    return drop;
  }

  private get metaKey(): string {
    return `${this.prefix}:meta`;
  }

  private segKey(n: number): string {
    return `${this.prefix}:seg:${n}`;
  }

  private keep(e: CallEntry, row: number): void {
    this.rows.push(e);
    if (!e.integration_id) return;
    const list = this.byIntegration.get(e.integration_id);
    if (list) list.push(row);
    else this.byIntegration.set(e.integration_id, [row]);
  }

  /** Segment n as stored: expired rows before `firstRow` keep their place as null. */
  private segmentOf(n: number): (CallEntry | null)[] {
    const start = n * SEGMENT_ROWS - this.firstRow;
    const live = this.rows.slice(Math.max(0, start), start + SEGMENT_ROWS);
    return start >= 0 ? live : [...new Array<null>(-start).fill(null), ...live];
  }

  /** The JSON text of segment n when it is the one being filled and every row of it is live. */
  private tailJson(n: number): string | null {
    if (this.tail.segment !== n || n * SEGMENT_ROWS < this.firstRow) return null;
    const count = Math.min(SEGMENT_ROWS, this.firstRow + this.rows.length - n * SEGMENT_ROWS);
    if (this.tail.json.length !== count) return null;
    return `[${this.tail.json.join(',')}]`;
  }

  /** Keeps the JSON text of a row of the segment being filled. */
  private encodeTail(e: CallEntry, row: number): void {
    const segment = Math.floor(row / SEGMENT_ROWS);
    if (this.tail.segment !== segment) {
      // A new segment starts empty; joining mid-segment (after a restart) rebuilds from the rows.
      const start = segment * SEGMENT_ROWS;
      const before = start >= this.firstRow ? this.rows.slice(start - this.firstRow, row - this.firstRow) : null;
      this.tail = { segment, json: before ? before.map((r) => JSON.stringify(r)) : [] };
      if (!before) this.tail.segment = -1;
    }
    if (this.tail.segment === segment) this.tail.json.push(JSON.stringify(e));
  }

  private async writeSegments(from: number, to: number): Promise<void> {
    const ops: WriteOp[] = [];
    for (let n = from; n <= to; n++) ops.push({ key: this.segKey(n), value: this.tailJson(n) ?? this.segmentOf(n) });
    await this.writer.apply([...ops, { key: this.metaKey, value: { ...this.meta } }], 'normal');
  }
}
