import type Keyv from 'keyv';
import type { ProviderConfigStore } from '../types.js';
import { writerFor } from './writer.js';

/**
 * Per-provider config objects on keyv, one key per provider (secrets included; redaction
 * happens on the way out). A value that is not a plain object reads as undefined.
 */
export function createKeyvProviderConfigStore(keyv: Keyv): ProviderConfigStore {
  const key = (id: string): string => `provider-config:${id}`;
  const writer = writerFor(keyv);
  return {
    async get(id) {
      const value: unknown = await keyv.get(key(id));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      return { ...(value as Record<string, unknown>) };
    },
    async set(id, config) {
      await writer.apply([{ key: key(id), value: { ...config } }]);
    },
  };
}
