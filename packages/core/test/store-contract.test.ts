import { join } from 'node:path';
import Keyv from 'keyv';
import { describe, it } from 'vitest';
import { createStores } from '../src/defaults.js';
import { runStoreContract } from '../src/index.js';
import { openStorage } from '../src/stores/keyv/open.js';
import { tempDir } from './support/gateway.js';

describe('keyv stores in memory', () => {
  runStoreContract({ describe, it }, { create: () => createStores(new Keyv({ namespace: 'contract' })) });
});

describe('keyv stores on SQLite', () => {
  const open = new Map<object, { keyv: Keyv; remove: () => Promise<void> }>();
  runStoreContract(
    { describe, it },
    {
      async create() {
        const dir = await tempDir();
        const keyv = await openStorage(`sqlite://${join(dir.path, 'contract.sqlite')}`);
        const stores = createStores(keyv);
        open.set(stores, { keyv, remove: dir.remove });
        return stores;
      },
      async dispose(stores) {
        const o = open.get(stores)!;
        open.delete(stores);
        await o.keyv.disconnect();
        await o.remove();
      },
    },
  );
});
