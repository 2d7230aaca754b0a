/** An API key as a key store keeps it. */
export interface StoredKey {
  api_key: string;
  /** The integration the key belongs to: what an admin needs to rotate it. */
  integration_id?: string;
  /** When it was saved (RFC 3339). */
  saved_at?: string;
}

/**
 * Where an integration keeps its API key between runs. `FileKeyStore` (from
 * `@opendray/sdk/node`) is the file implementation; `MemoryKeyStore` suits tests and
 * browsers; anything with these two methods works (a secret manager, a keychain).
 */
export interface KeyStore {
  /** The saved key, or `null` when none was saved. */
  load(): Promise<StoredKey | null>;
  /** Replaces the saved key; resolves once it is durable. */
  save(key: StoredKey): Promise<void>;
}

/** A key store that lives as long as the process (or the page). */
export class MemoryKeyStore implements KeyStore {
  private key: StoredKey | null;

  constructor(initial: StoredKey | null = null) {
    this.key = initial ? { ...initial } : null;
  }

  async load(): Promise<StoredKey | null> {
    return this.key ? { ...this.key } : null;
  }

  async save(key: StoredKey): Promise<void> {
    this.key = { ...key };
  }
}
