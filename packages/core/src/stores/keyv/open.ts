import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { prepareSqliteFile, sqlitePath } from './file-modes.js';

/** What `createGateway({ storage })` accepts: a Keyv instance or a store URI (SPEC §11). */
export type StorageOption = Keyv | string;

/**
 * Opens the storage: `'memory'` (the embedder default), `sqlite://<path>` or a Keyv
 * instance given by the embedder. SQLite runs in WAL mode so readers never wait on writes.
 */
export async function openStorage(storage: StorageOption | undefined): Promise<Keyv> {
  const keyv = await open(storage);
  // A store failure must surface (500 / health 503), never read as "no such record".
  keyv.throwOnErrors = true;
  return keyv;
}

async function open(storage: StorageOption | undefined): Promise<Keyv> {
  if (storage instanceof Keyv) return storage;
  const uri = storage ?? 'memory';
  if (uri === 'memory' || uri === 'memory://') return new Keyv({ namespace: 'opendray' });
  if (uri.startsWith('sqlite://')) {
    await prepareSqliteFile(sqlitePath(uri));
    const adapter = new KeyvSqlite({ uri, busyTimeout: 10_000 });
    await adapter.query('PRAGMA journal_mode=WAL');
    await adapter.query('PRAGMA synchronous=NORMAL');
    const keyv = new Keyv({ store: adapter, namespace: 'opendray' });
    keyv.on('error', () => {}); // surfaced through failing calls, not an unhandled event
    return keyv;
  }
  throw new TypeError(`storage: unsupported store URI "${uri}" (use "memory" or "sqlite://<path>")`);
}
