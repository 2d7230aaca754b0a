import type Keyv from 'keyv';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { writerFor, type KeyvWriter, type WriteOp } from './writer.js';

const UNREADABLE = Symbol('unreadable');

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
  private readonly stored = new Set<string>();
  private writes: Promise<unknown> = Promise.resolve();
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
      await this.serial(async () => {
        const ops: WriteOp[] = [{ key: this.key(record.id), value: record }];
        // Record before index: a store without transactions never indexes a missing record.
        if (!this.stored.has(record.id)) ops.push({ key: this.indexKey, value: [...this.stored, record.id] });
        await this.writer.apply(ops);
        this.stored.add(record.id);
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
      await this.serial(async () => {
        if (!this.stored.has(id)) return this.writer.apply(also);
        // Index entry before record: the index never names a deleted record.
        const index = [...this.stored].filter((s) => s !== id);
        await this.writer.apply([{ key: this.indexKey, value: index }, { key: this.key(id), delete: true }, ...also]);
        this.stored.delete(id);
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

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.writes.then(fn, fn);
    this.writes = next.catch(() => undefined);
    return next;
  }
}
