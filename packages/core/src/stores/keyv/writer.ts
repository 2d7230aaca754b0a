import type Keyv from 'keyv';
import { GatewayError } from '../../errors.js';
import { SqliteStore, type Durability, type WireOp } from '../sqlite/sqlite-store.js';

/** One step of a store write: set a key (optionally with a TTL), or delete it. */
export type WriteOp = { key: string; value: unknown; ttl?: number } | { key: string; delete: true };

/** The last failed write, for `/health` (public: no paths, no values). */
export interface WriteFailure {
  at: number;
  reason: string;
}

/**
 * Every write of the keyv stores goes through here, so that
 * - the ops of one write are one transaction on the SQLite store (a record and its index
 *   never part), and applied in the given order elsewhere (callers order them so a crash
 *   between two leaves nothing a reader trusts: a record before its index entry, an index
 *   entry removed before its record);
 * - a failure is a 503 naming the cause (disk full, read-only, store file gone), never a
 *   silent success, and is remembered for `/health` until a later write succeeds.
 */
export class KeyvWriter {
  lastFailure: WriteFailure | null = null;
  /** `normal` makes every write `normal` (GatewayOptions.storageDurability). */
  ceiling: Durability = 'full';

  constructor(private readonly keyv: Keyv) {}

  /** Whether one `apply` is one transaction (the SQLite store): all of it or none. */
  get atomic(): boolean {
    return this.keyv.store instanceof SqliteStore;
  }

  async apply(ops: readonly WriteOp[], durability: Durability = 'full'): Promise<void> {
    if (ops.length === 0) return;
    try {
      const store: unknown = this.keyv.store;
      const level = this.ceiling === 'normal' ? 'normal' : durability;
      if (store instanceof SqliteStore) await store.write(await Promise.all(ops.map((op) => this.wire(op))), level);
      else {
        for (const op of ops) {
          if ('delete' in op) await this.keyv.delete(op.key);
          else await this.keyv.set(op.key, op.value, op.ttl);
        }
      }
      this.lastFailure = null;
    } catch (err) {
      const reason = describeFailure(err);
      this.lastFailure = { at: Date.now(), reason };
      throw new GatewayError('unavailable', `storage unavailable: ${reason}; nothing was saved`, { cause: err });
    }
  }

  /** keyv's own serialisation and key prefix, so `keyv.get` reads what this wrote. */
  private async wire(op: WriteOp): Promise<WireOp> {
    const key = this.keyv.useKeyPrefix && this.keyv.namespace ? `${this.keyv.namespace}:${op.key}` : op.key;
    if ('delete' in op) return { key, delete: true };
    const expires = typeof op.ttl === 'number' ? Date.now() + op.ttl : undefined;
    const value = await this.keyv.serializeData({ value: op.value, expires });
    return { key, value: typeof value === 'string' ? value : JSON.stringify(value) };
  }
}

const writers = new WeakMap<Keyv, KeyvWriter>();

/** The one writer of a keyv instance (stores built on one keyv share it, and its health). */
export function writerFor(keyv: Keyv): KeyvWriter {
  let writer = writers.get(keyv);
  if (!writer) {
    writer = new KeyvWriter(keyv);
    writers.set(keyv, writer);
  }
  return writer;
}

/** A short, public cause of a store failure. */
export function describeFailure(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'the store is read-only';
  if (code === 'STORE_FILE_GONE') return 'the store file was deleted or replaced while the gateway runs';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'an I/O error';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'the store is locked by another process';
  if (code === 'EMFILE' || code === 'ENFILE') return 'the gateway is out of file descriptors';
  return 'the store refused the write';
}
