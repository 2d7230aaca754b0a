import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyStore, StoredKey } from './keystore.js';

const KEY_PATTERN = /^odk_live_[A-Za-z0-9_-]{43}$/;

/**
 * Keeps an API key in a file readable only by its owner (Node only; import it from
 * `@opendray/sdk/node`). The file is JSON `{api_key, integration_id?, saved_at}`, mode
 * 0600, in a directory created 0700 when missing. A save writes a temp file beside it
 * (created 0600, flushed to disk) and renames it over the old one, so a crash leaves
 * either the old key or the new one, never a torn file. A file holding just the key (one
 * line) is read too.
 *
 * @example
 * const store = new FileKeyStore(join(homedir(), '.config', 'my-bot', 'opendray-key.json'));
 * const saved = await store.load();
 */
export class FileKeyStore implements KeyStore {
  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '') throw new TypeError('path: required file path');
  }

  async load(): Promise<StoredKey | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const trimmed = text.trim();
    if (KEY_PATTERN.test(trimmed)) return { api_key: trimmed };
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error(`${this.path}: not a key file (neither JSON nor an odk_live_ key)`);
    }
    const record = parsed as Partial<StoredKey> | null;
    if (!record || typeof record.api_key !== 'string' || record.api_key === '') {
      throw new Error(`${this.path}: not a key file (no api_key)`);
    }
    return {
      api_key: record.api_key,
      ...(typeof record.integration_id === 'string' ? { integration_id: record.integration_id } : {}),
      ...(typeof record.saved_at === 'string' ? { saved_at: record.saved_at } : {}),
    };
  }

  async save(key: StoredKey): Promise<void> {
    if (!key || typeof key.api_key !== 'string' || key.api_key === '') throw new TypeError('api_key: required string');
    const record: StoredKey = { ...key, saved_at: key.saved_at ?? new Date().toISOString() };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // 'wx': never follow or reuse an existing file; 0600 from the first byte on
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
        await handle.chmod(0o600); // in case the umask or the filesystem widened it
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await syncDir(dirname(this.path));
  }

  /** Deletes the file (no error if it does not exist). */
  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

// Makes the rename durable where the platform allows opening a directory.
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported (e.g. Windows): the rename is still atomic
  }
}
