import type Keyv from 'keyv';
import { conflict } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { IntegrationRecord, IntegrationStore } from '../types.js';
import { KeyvCollection } from './collection.js';
import { checkIntegration } from './record-checks.js';

/**
 * Integrations on keyv, with in-memory indexes by id, lookup id (current and grace key),
 * name and route prefix, so key verification and uniqueness checks are O(1).
 *
 * Every check-and-write happens without yielding between the check and the index
 * update: of N concurrent registrations of one name exactly one wins, and concurrent
 * `update`s each apply their `fn` to the latest record. Names are unique ignoring case.
 * Returned records are shared: callers must not mutate them (use `update`). A write that
 * fails (503) is undone in memory: a failed registration neither lists nor holds its name,
 * a failed delete leaves the integration in place.
 */
export function createKeyvIntegrationStore(keyv: Keyv, options: { logger?: Logger } = {}): IntegrationStore {
  const items = new KeyvCollection<IntegrationRecord>(keyv, 'integration', { check: checkIntegration, ...options });
  const byId = new Map<string, IntegrationRecord>();
  const byLookup = new Map<string, string>();
  const byName = new Map<string, string>();
  const byPrefix = new Map<string, string>();
  let indexed: Promise<void> | null = null;

  const nameKey = (name: string): string => name.toLowerCase();

  const ready = (): Promise<void> =>
    (indexed ??= (async () => {
      await items.load();
      for (const r of items.snapshot()) {
        byId.set(r.id, r);
        addKeys(r);
      }
    })());

  const addKeys = (r: IntegrationRecord): void => {
    byName.set(nameKey(r.name), r.id);
    if (r.route_prefix) byPrefix.set(r.route_prefix, r.id);
    byLookup.set(r.key.lookup_id, r.id);
    if (r.previous_key) byLookup.set(r.previous_key.lookup_id, r.id);
  };

  const dropKeys = (r: IntegrationRecord): void => {
    const drop = (map: Map<string, string>, key: string | undefined): void => {
      if (key !== undefined && map.get(key) === r.id) map.delete(key);
    };
    drop(byName, nameKey(r.name));
    drop(byPrefix, r.route_prefix || undefined);
    drop(byLookup, r.key.lookup_id);
    drop(byLookup, r.previous_key?.lookup_id);
  };

  const assertUnique = (r: IntegrationRecord): void => {
    const named = byName.get(nameKey(r.name));
    if (named !== undefined && named !== r.id) throw conflict(`an integration named "${r.name}" already exists`);
    const prefixed = r.route_prefix ? byPrefix.get(r.route_prefix) : undefined;
    if (prefixed !== undefined && prefixed !== r.id) throw conflict(`route_prefix "${r.route_prefix}" is already taken`);
  };

  return {
    async list() {
      await ready();
      return [...byId.values()];
    },
    async get(id) {
      await ready();
      return byId.get(id);
    },
    async findByLookupId(lookupId) {
      await ready();
      const id = byLookup.get(lookupId);
      return id === undefined ? undefined : byId.get(id);
    },
    async findByPrefix(prefix) {
      await ready();
      const id = byPrefix.get(prefix);
      return id === undefined ? undefined : byId.get(id);
    },
    async create(record) {
      await ready();
      if (byId.has(record.id)) throw conflict(`integration ${record.id} already exists`);
      assertUnique(record);
      byId.set(record.id, record);
      addKeys(record);
      try {
        await items.put(record);
      } catch (err) {
        if (byId.get(record.id) === record) {
          byId.delete(record.id);
          dropKeys(record);
        }
        throw err;
      }
    },
    async update(id, fn) {
      await ready();
      const current = byId.get(id);
      if (!current) return undefined;
      const next = { ...fn(current), id };
      assertUnique(next);
      dropKeys(current);
      byId.set(id, next);
      addKeys(next);
      try {
        await items.put(next);
      } catch (err) {
        if (byId.get(id) === next) {
          dropKeys(next);
          byId.set(id, current);
          addKeys(current);
        }
        throw err;
      }
      return next;
    },
    async delete(id) {
      await ready();
      const current = byId.get(id);
      if (!current) return false;
      byId.delete(id);
      dropKeys(current);
      try {
        await items.delete(id);
      } catch (err) {
        if (!byId.has(id)) {
          byId.set(id, current);
          addKeys(current);
        }
        throw err;
      }
      return true;
    },
  };
}
