import type { OpendrayClient } from './client.js';
import type { KeyStore, StoredKey } from './keystore.js';
import type { IntegrationWithKey } from './wire.js';

/** Options of {@link withKeyRecovery}. */
export interface KeyRecoveryOptions {
  /** The integration's client (its token is the stored key). */
  client: OpendrayClient;
  /** Where the key lives; the new key is saved here before the call is retried. */
  keyStore: KeyStore;
  /**
   * Obtains a new key, typically as the admin:
   * `(stored) => admin.rotateKey(stored?.integration_id ?? id)`. Its answer (or a bare key) is saved.
   */
  rotate(stored: StoredKey | null): Promise<IntegrationWithKey | string>;
  /** Told after a new key was adopted (e.g. to log it happened; never log the key). */
  onRecovered?(key: StoredKey): void;
}

/**
 * Makes `client` survive a rotated key (SPEC §2.2, §13): when a call answers 401, the
 * key store is consulted first (another process may already have saved a newer key);
 * otherwise `rotate` gets a new key, which is saved, adopted, and the call retried once.
 * Concurrent 401s share one rotation. The event and stream sockets recover the same way
 * when they are refused. Returns the same client.
 *
 * @example
 * const store = new FileKeyStore('./opendray-key.json');
 * const client = withKeyRecovery({
 *   client: new OpendrayClient({ baseUrl, token: (await store.load())?.api_key }),
 *   keyStore: store,
 *   rotate: (stored) => admin.rotateKey(stored!.integration_id!),
 * });
 */
export function withKeyRecovery(options: KeyRecoveryOptions): OpendrayClient {
  const { client, keyStore, rotate, onRecovered } = options;
  client.setUnauthorizedHandler(async () => {
    const stored = await keyStore.load().catch(() => null);
    if (stored && stored.api_key !== client.token) {
      onRecovered?.(stored);
      return stored.api_key;
    }
    const answer = await rotate(stored);
    const next: StoredKey =
      typeof answer === 'string'
        ? { api_key: answer, ...(stored?.integration_id ? { integration_id: stored.integration_id } : {}) }
        : { api_key: answer.api_key, integration_id: answer.integration.id };
    await keyStore.save({ ...next, saved_at: new Date().toISOString() });
    onRecovered?.(next);
    return next.api_key;
  });
  return client;
}
