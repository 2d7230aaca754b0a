import Keyv from 'keyv';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { prepareSqliteFile } from './file-modes.js';

/** What `createGateway({ storage })` accepts: a Keyv instance or a store URI (SPEC §11). */
export type StorageOption = Keyv | string;

/**
 * Opens the storage: `'memory'` (the embedder default), `sqlite://<path>` or a Keyv
 * instance given by the embedder. SQLite runs in WAL mode with `synchronous=FULL` in a
 * worker thread, so an acknowledged write is on disk and a commit's fsync never blocks the
 * event loop (docs/durability.md).
 */
export async function openStorage(storage: StorageOption | undefined): Promise<Keyv> {
  const keyv = await open(storage);
  // A store failure must surface (503 / health degraded), never read as "no such record".
  keyv.throwOnErrors = true;
  return keyv;
}

async function open(storage: StorageOption | undefined): Promise<Keyv> {
  if (storage instanceof Keyv) return storage;
  const uri = storage ?? 'memory';
  if (uri === 'memory' || uri === 'memory://') return new Keyv({ namespace: 'opendray' });
  if (uri.startsWith('sqlite://')) {
    const path = uri.slice('sqlite://'.length);
    if (path === '' || path === ':memory:') throw new TypeError('storage: sqlite:// needs a file path (use "memory" for an in-memory store)');
    await prepareSqliteFile(path);
    const store = new SqliteStore(path);
    await store.ready;
    const keyv = new Keyv({ store, namespace: 'opendray' });
    keyv.on('error', () => {}); // surfaced through failing calls, not an unhandled event
    return keyv;
  }
  throw new TypeError(`storage: unsupported store URI "${uri}" (use "memory" or "sqlite://<path>")`);
}

/** The SQLite store under a keyv, if that is what it is (health checks its file). */
export function sqliteStoreOf(keyv: Keyv): SqliteStore | undefined {
  const store: unknown = keyv.store;
  return store instanceof SqliteStore ? store : undefined;
}
