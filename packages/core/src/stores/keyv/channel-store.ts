import type Keyv from 'keyv';
import type { Logger } from '../../log.js';
import type { ChannelRecord, ChannelStore } from '../types.js';
import { KeyvCollection } from './collection.js';
import { checkChannel } from './record-checks.js';

/** Channels on keyv, secrets included (redaction happens on the way out). */
export function createKeyvChannelStore(keyv: Keyv, options: { logger?: Logger } = {}): ChannelStore {
  const items = new KeyvCollection<ChannelRecord>(keyv, 'channel', { check: checkChannel, ...options });
  return {
    list: () => items.all(),
    get: (id) => items.get(id),
    put: (record) => items.put(record),
    delete: (id) => items.delete(id),
  };
}
