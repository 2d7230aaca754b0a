import type Keyv from 'keyv';
import { conflict } from '../../errors.js';
import type { IntegrationRecord, IntegrationStore } from '../types.js';
import { KeyvCollection } from './collection.js';

/**
 * Integrations on keyv. Uniqueness of name and prefix is checked and reserved in memory
 * without yielding, so of N concurrent registrations of one name exactly one wins.
 */
export function createKeyvIntegrationStore(keyv: Keyv): IntegrationStore {
  const items = new KeyvCollection<IntegrationRecord>(keyv, 'integration');

  const assertUnique = (record: IntegrationRecord): void => {
    for (const other of items.snapshot()) {
      if (other.id === record.id) continue;
      if (other.name === record.name) throw conflict(`an integration named "${record.name}" already exists`);
      if (record.route_prefix && other.route_prefix === record.route_prefix) {
        throw conflict(`route_prefix "${record.route_prefix}" is already taken`);
      }
    }
  };

  return {
    list: () => items.all(),
    get: (id) => items.get(id),
    async findByLookupId(lookupId) {
      await items.load();
      for (const r of items.snapshot()) {
        if (r.key.lookup_id === lookupId || r.previous_key?.lookup_id === lookupId) return r;
      }
      return undefined;
    },
    async findByPrefix(prefix) {
      await items.load();
      for (const r of items.snapshot()) if (r.route_prefix === prefix) return r;
      return undefined;
    },
    async create(record) {
      await items.load();
      assertUnique(record);
      await items.put(record);
    },
    async update(id, fn) {
      await items.load();
      const current = await items.get(id);
      if (!current) return undefined;
      const next = fn(current);
      assertUnique(next);
      await items.put(next);
      return next;
    },
    delete: (id) => items.delete(id),
  };
}
