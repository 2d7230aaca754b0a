import type Keyv from 'keyv';
import type { ChannelRecord, ChannelStore } from '../types.js';
import { KeyvCollection } from './collection.js';

/** Channels on keyv, secrets included (redaction happens on the way out). */
export function createKeyvChannelStore(keyv: Keyv): ChannelStore {
  const items = new KeyvCollection<ChannelRecord>(keyv, 'channel');
  return {
    list: () => items.all(),
    get: (id) => items.get(id),
    put: (record) => items.put(record),
    delete: (id) => items.delete(id),
  };
}
