import type Keyv from 'keyv';
import type { Logger } from '../../log.js';
import type { SessionRecord, SessionStore } from '../types.js';
import { KeyvCollection } from './collection.js';
import { checkSession } from './record-checks.js';
import { writerFor } from './writer.js';

/** Sessions on keyv; the output tail is a separate key so metadata writes stay small. */
export function createKeyvSessionStore(keyv: Keyv, options: { logger?: Logger } = {}): SessionStore {
  const items = new KeyvCollection<SessionRecord>(keyv, 'session', { check: checkSession, ...options });
  const writer = writerFor(keyv);
  const tailKey = (id: string): string => `session-tail:${id}`;
  return {
    list: () => items.all(),
    get: (id) => items.get(id),
    put: (record) => items.put(record),
    // The record, its index entry and its tail go in one transaction.
    delete: (id) => items.delete(id, [{ key: tailKey(id), delete: true }]),
    async saveTail(id, tail) {
      await writer.apply([{ key: tailKey(id), value: { start: tail.start, data: tail.bytes.toString('base64') } }]);
    },
    async loadTail(id) {
      const stored = (await keyv.get(tailKey(id))) as { start: number; data: string } | undefined;
      return stored ? { start: stored.start, bytes: Buffer.from(stored.data, 'base64') } : undefined;
    },
  };
}
