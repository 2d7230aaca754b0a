import type Keyv from 'keyv';
import type { SessionRecord, SessionStore } from '../types.js';
import { KeyvCollection } from './collection.js';

/** Sessions on keyv; the output tail is a separate key so metadata writes stay small. */
export function createKeyvSessionStore(keyv: Keyv): SessionStore {
  const items = new KeyvCollection<SessionRecord>(keyv, 'session');
  const tailKey = (id: string): string => `session-tail:${id}`;
  return {
    list: () => items.all(),
    get: (id) => items.get(id),
    put: (record) => items.put(record),
    async delete(id) {
      await keyv.delete(tailKey(id));
      return items.delete(id);
    },
    async saveTail(id, tail) {
      await keyv.set(tailKey(id), { start: tail.start, data: tail.bytes.toString('base64') });
    },
    async loadTail(id) {
      const stored = (await keyv.get(tailKey(id))) as { start: number; data: string } | undefined;
      return stored ? { start: stored.start, bytes: Buffer.from(stored.data, 'base64') } : undefined;
    },
  };
}
