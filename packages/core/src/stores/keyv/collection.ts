import type Keyv from 'keyv';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { writerFor, type KeyvWriter, type WriteOp } from './writer.js';

const UNREADABLE = Symbol('unreadable');

interface QueuedWrite {
  build(stored: Set<string>): WriteOp[];
  resolve(): void;
  reject(err: unknown): void;
}

/** In one transaction only the last index write counts: drop the earlier ones. */
function lastIndexOnly(ops: WriteOp[], indexKey: string): WriteOp[] {
  const last = ops.map((op) => op.key).lastIndexOf(indexKey);
  return ops.filter((op, i) => op.key !== indexKey || i === last);
}

/** Why a stored value is not a usable record (a message), or null when it is. */
export type RecordCheck = (value: unknown) => string | null;

export interface CollectionOptions {
  /** Refuses malformed records at load (skipped and logged with their key, never fatal). */
  check?: RecordCheck;
  logger?: Logger;
}

/**
 * A keyed collection on keyv with an id index, loaded into memory once and written
 * through. Reads are memory reads; writes are serialised so the index never loses an id.
 * Suits records counted in thousands (integrations, sessions, channels).
 *
 * A write is acknowledged only once stored: a record and its index entry go in one
 * transaction (SQLite) and a failed write leaves memory as it was (the caller gets a 503),
 * so what is listed is what a restart finds. The index only ever names records that are
 * stored. At load a record that is missing or malformed is skipped and logged with its
 * key; one bad row never fails the rest.
 */
export class KeyvCollection<T extends { id: string }> {
  private readonly items = new Map<string, T>();
  /** Ids whose record is stored: what the index says, exactly. */
  private stored = new Set<string>();
  private readonly queue: QueuedWrite[] = [];
  private draining = false;
  private loaded: Promise<void> | null = null;
  private ready = false;
  private readonly writer: KeyvWriter;
  private readonly logger: Logger;

  constructor(
    private readonly keyv: Keyv,
    private readonly name: string,
    private readonly options: CollectionOptions = {},
  ) {
    this.writer = writerFor(keyv);
    this.logger = options.logger ?? silentLogger;
  }

  /** Loads the index and every record; safe to call many times. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const index: unknown = await this.keyv.get(this.indexKey);
      if (index !== undefined && (!Array.isArray(index) || index.some((id) => typeof id !== 'string'))) {
        throw new Error(`store key ${this.indexKey} is malformed (expected a list of ids)`);
      }
      const ids = (index as string[] | undefined) ?? [];
      const records = await this.readAll(ids);
      ids.forEach((id, i) => {
        const value = records[i];
        if (value === UNREADABLE) return;
        const problem = value === undefined ? 'missing' : this.problemOf(value, id);
        if (problem) {
          this.logger.warn('skipped a stored record', { key: this.key(id), problem });
          return;
        }
        this.items.set(id, value as T);
        this.stored.add(id);
      });
      this.ready = true;
    })();
    return this.loaded;
  }

  async all(): Promise<T[]> {
    await this.load();
    return [...this.items.values()];
  }

  async get(id: string): Promise<T | undefined> {
    await this.load();
    return this.items.get(id);
  }

  /**
   * Memory first (so a concurrent reader sees it at once), then the store; on a failed
   * write memory is rolled back and the error (a 503) thrown. Once loaded, the memory
   * write happens before `put` first yields, so check-then-put is atomic.
   */
  async put(record: T): Promise<void> {
    if (!this.ready) await this.load();
    const previous = this.items.get(record.id);
    this.items.set(record.id, record);
    try {
      await this.write((stored) => {
        const ops: WriteOp[] = [{ key: this.key(record.id), value: record }];
        if (stored.has(record.id)) return ops;
        // Record before index: a store without transactions never indexes a missing record.
        stored.add(record.id);
        return [...ops, { key: this.indexKey, value: [...stored] }];
      });
    } catch (err) {
      if (this.items.get(record.id) === record) {
        if (previous) this.items.set(record.id, previous);
        else this.items.delete(record.id);
      }
      throw err;
    }
  }

  /** Deletes the record (and `also`, in the same transaction); a failed write keeps it. */
  async delete(id: string, also: WriteOp[] = []): Promise<boolean> {
    await this.load();
    const previous = this.items.get(id);
    if (!previous) return false;
    this.items.delete(id);
    try {
      await this.write((stored) => {
        if (!stored.has(id)) return also;
        // Index entry before record: the index never names a deleted record.
        stored.delete(id);
        return [{ key: this.indexKey, value: [...stored] }, { key: this.key(id), delete: true }, ...also];
      });
    } catch (err) {
      if (!this.items.has(id)) this.items.set(id, previous);
      throw err;
    }
    return true;
  }

  /** Synchronous view for checks that must not interleave with other writers. */
  snapshot(): IterableIterator<T> {
    return this.items.values();
  }

  private problemOf(value: unknown, id: string): string | null {
    if (typeof value !== 'object' || value === null || (value as { id?: unknown }).id !== id) return 'not a record of this id';
    return this.options.check?.(value) ?? null;
  }

  /** Every record; one that does not even parse reads as malformed, not as a failed load. */
  private async readAll(ids: string[]): Promise<unknown[]> {
    if (ids.length === 0) return [];
    try {
      return (await this.keyv.getMany(ids.map((id) => this.key(id)))) as unknown[];
    } catch {
      return Promise.all(
        ids.map((id) =>
          this.keyv.get(this.key(id)).catch((err: unknown) => {
            this.logger.warn('skipped a stored record', { key: this.key(id), problem: 'does not parse', error: err });
            return UNREADABLE;
          }),
        ),
      );
    }
  }

  private get indexKey(): string {
    return `${this.name}:index`;
  }

  private key(id: string): string {
    return `${this.name}:${id}`;
  }

  /**
   * Queues a write whose ops `build` makes against the ids stored before it (and marks its
   * own effect on them). On SQLite, everything queued while the previous commit ran goes
   * in one transaction — one fsync for many acknowledgements (1000 sessions saved at
   * shutdown) — with one index write; elsewhere writes go one at a time, in order. A
   * failed batch rejects newest first, so each caller's rollback restores the value
   * before it.
   */
  private write(build: (stored: Set<string>) => WriteOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ build, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.writer.atomic ? this.queue.length : 1);
        const staged = new Set(this.stored);
        const ops = batch.flatMap((w) => w.build(staged));
        try {
          await this.writer.apply(batch.length > 1 ? lastIndexOnly(ops, this.indexKey) : ops);
          this.stored = staged;
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch.reverse()) w.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
