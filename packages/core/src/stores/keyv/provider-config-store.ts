import type Keyv from 'keyv';
import type { ProviderConfigStore } from '../types.js';

/** Per-provider config objects on keyv. */
export function createKeyvProviderConfigStore(keyv: Keyv): ProviderConfigStore {
  const key = (id: string): string => `provider-config:${id}`;
  return {
    async get(id) {
      return (await keyv.get(key(id))) as Record<string, unknown> | undefined;
    },
    async set(id, config) {
      await keyv.set(key(id), config);
    },
  };
}
