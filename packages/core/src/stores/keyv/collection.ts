import type Keyv from 'keyv';
import { createSerialQueue } from '../../serial-queue.js';

/**
 * A keyed collection on keyv with an id index, loaded into memory once and written
 * through. Reads are memory reads; writes are serialised so the index never loses an id.
 * Suits records counted in thousands (integrations, sessions, channels).
 */
export class KeyvCollection<T extends { id: string }> {
  private readonly items = new Map<string, T>();
  private readonly writes = createSerialQueue();
  private loaded: Promise<void> | null = null;
  private ready = false;

  constructor(
    private readonly keyv: Keyv,
    private readonly name: string,
  ) {}

  /** Loads the index and every record; safe to call many times. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const ids = ((await this.keyv.get(this.indexKey)) as string[] | undefined) ?? [];
      const records = ids.length ? ((await this.keyv.getMany(ids.map((id) => this.key(id)))) as (T | undefined)[]) : [];
      for (const r of records) if (r) this.items.set(r.id, r);
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
   * Memory first (so a concurrent reader sees it at once), then the store. Once loaded,
   * the memory write happens before `put` first yields, so check-then-put is atomic.
   */
  async put(record: T): Promise<void> {
    if (!this.ready) await this.load();
    const isNew = !this.items.has(record.id);
    this.items.set(record.id, record);
    await this.serial(async () => {
      await this.keyv.set(this.key(record.id), record);
      if (isNew) await this.keyv.set(this.indexKey, [...this.items.keys()]);
    });
  }

  async delete(id: string): Promise<boolean> {
    await this.load();
    if (!this.items.delete(id)) return false;
    await this.serial(async () => {
      await this.keyv.delete(this.key(id));
      await this.keyv.set(this.indexKey, [...this.items.keys()]);
    });
    return true;
  }

  /** Synchronous view for checks that must not interleave with other writers. */
  snapshot(): IterableIterator<T> {
    return this.items.values();
  }

  private get indexKey(): string {
    return `${this.name}:index`;
  }

  private key(id: string): string {
    return `${this.name}:${id}`;
  }

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    return this.writes.run(fn);
  }
}
