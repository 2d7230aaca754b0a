import { readFile, rm } from 'node:fs/promises';
import type { KeyStore, StoredKey } from './keystore.js';
import { writeSecretFile } from './secret-file.js';

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
    await writeSecretFile(this.path, `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Deletes the file (no error if it does not exist). */
  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
