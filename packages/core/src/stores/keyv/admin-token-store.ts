import type Keyv from 'keyv';
import type { AdminTokenRecord, AdminTokenStore } from '../types.js';
import { writerFor } from './writer.js';

/** Admin tokens by SHA-256 digest, expiring with the token through keyv's TTL. */
export function createKeyvAdminTokenStore(keyv: Keyv, now: () => number): AdminTokenStore {
  const key = (digest: string): string => `admin-token:${digest}`;
  const writer = writerFor(keyv);
  return {
    async put(record) {
      const ttl = Math.max(1, Date.parse(record.expires_at) - now());
      await writer.apply([{ key: key(record.digest), value: record, ttl }]);
    },
    async get(digest) {
      return (await keyv.get(key(digest))) as AdminTokenRecord | undefined;
    },
    async delete(digest) {
      await writer.apply([{ key: key(digest), delete: true }]);
    },
  };
}
