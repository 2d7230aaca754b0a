import assert from 'node:assert/strict';
import type { CallEntry } from '@opendray/sdk/wire';
import { GatewayError } from '../errors.js';
import type { IntegrationRecord, Stores } from './types.js';

/** The two functions of a test runner the contract needs (vitest, jest, mocha, node:test). */
export interface ContractHarness {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>): void;
}

export interface StoreContractOptions {
  /** Fresh, empty stores for one test. Only the kinds listed in `kinds` are used. */
  create(): Promise<Partial<Stores>> | Partial<Stores>;
  /** Called after each test, e.g. to close a database. */
  dispose?(stores: Partial<Stores>): Promise<void> | void;
  /** Which stores to check. @default every kind */
  kinds?: ReadonlyArray<keyof Stores>;
}

/**
 * The behaviour every store must have (ARCHITECTURE rule 6), as tests registered on your
 * runner. An embedder's replacement store proves itself with it; assertions use
 * `node:assert`, so any runner reports them.
 *
 * @example
 * import { describe, it } from 'vitest';
 * runStoreContract({ describe, it }, { create: () => ({ integrations: myStore() }), kinds: ['integrations'] });
 */
export function runStoreContract(harness: ContractHarness, options: StoreContractOptions): void {
  const kinds = new Set(options.kinds ?? ['adminTokens', 'integrations', 'sessions', 'callLog', 'providerConfig', 'channels']);
  const test = <K extends keyof Stores>(kind: K, name: string, fn: (store: Stores[K]) => Promise<void>): void =>
    harness.it(name, async () => {
      const stores = await options.create();
      const store = stores[kind];
      assert.ok(store, `create() returned no ${kind} store`);
      try {
        await fn(store);
      } finally {
        await options.dispose?.(stores);
      }
    });

  if (kinds.has('integrations')) harness.describe('integrations store', () => integrationContract(test));
  if (kinds.has('callLog')) harness.describe('call log store', () => callLogContract(test));
  if (kinds.has('adminTokens')) {
    test('adminTokens', 'puts, gets and deletes a token record by digest', async (s) => {
      const record = { digest: 'd'.repeat(64), username: 'admin', issued_at: iso(0), expires_at: new Date(Date.now() + 3_600_000).toISOString() };
      await s.put(record);
      assert.deepEqual(await s.get(record.digest), record);
      await s.delete(record.digest);
      assert.equal(await s.get(record.digest), undefined);
    });
  }
  if (kinds.has('sessions')) {
    test('sessions', 'puts, lists and deletes sessions, and keeps their output tail', async (s) => {
      const session = { id: 'ses_contract0001', name: 's', provider_id: 'shell', cwd: '/', args: [], state: 'running' as const, cols: 80, rows: 24, origin: 'operator' as const, created_at: iso(0), started_at: iso(0), bytes_out: 3 };
      await s.put(session);
      assert.deepEqual(await s.get(session.id), session);
      assert.deepEqual((await s.list()).map((x) => x.id), [session.id]);
      await s.saveTail(session.id, { start: 7, bytes: Buffer.from([0, 255, 10]) });
      const tail = await s.loadTail(session.id);
      assert.equal(tail?.start, 7);
      assert.deepEqual([...tail!.bytes], [0, 255, 10]);
      assert.equal(await s.delete(session.id), true);
      assert.equal(await s.delete(session.id), false);
      assert.equal(await s.get(session.id), undefined);
    });
  }
  if (kinds.has('providerConfig')) {
    test('providerConfig', 'stores one config object per provider', async (s) => {
      assert.equal(await s.get('shell'), undefined);
      await s.set('shell', { model: 'x', nested: { a: 1 } });
      assert.deepEqual(await s.get('shell'), { model: 'x', nested: { a: 1 } });
    });
  }
  if (kinds.has('channels')) {
    test('channels', 'puts, lists and deletes channels', async (s) => {
      const channel = { id: 'ch_contract0001', kind: 'webhook', name: 'c', enabled: true, capabilities: { inbound: true, outbound: true, commands: false }, config: { secret: 's' } };
      await s.put(channel);
      assert.deepEqual(await s.get(channel.id), channel);
      assert.deepEqual((await s.list()).map((x) => x.id), [channel.id]);
      assert.equal(await s.delete(channel.id), true);
      assert.deepEqual(await s.list(), []);
    });
  }
}

type Test = <K extends keyof Stores>(kind: K, name: string, fn: (store: Stores[K]) => Promise<void>) => void;

const iso = (ms: number): string => new Date(Date.parse('2026-01-01T00:00:00.000Z') + ms).toISOString();

function integration(n: number, over: Partial<IntegrationRecord> = {}): IntegrationRecord {
  const id = `int_contract${String(n).padStart(4, '0')}`;
  return {
    id,
    name: `contract-${n}`,
    base_url: '',
    route_prefix: '',
    scopes: ['session:read'],
    enabled: true,
    health_status: 'unknown',
    created_at: iso(n),
    max_sessions: 10,
    key: { lookup_id: `lk${String(n).padStart(10, '0')}`, hash: `$2b$04$${'x'.repeat(53)}` },
    ...over,
  };
}

async function rejectsWith409(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err) => err instanceof GatewayError && err.status === 409);
}

function integrationContract(test: Test): void {
  test('integrations', 'creates, gets and lists records as given', async (s) => {
    const a = integration(1);
    const b = integration(2, { base_url: 'http://b.test', route_prefix: 'b', signing_secret: 'sig' });
    await s.create(a);
    await s.create(b);
    assert.deepEqual(await s.get(b.id), b);
    assert.deepEqual((await s.list()).map((r) => r.id).sort(), [a.id, b.id]);
    assert.equal(await s.get('int_nothing0000'), undefined);
  });

  test('integrations', 'finds a record by the lookup id of its current or grace key, and by prefix', async (s) => {
    const r = integration(1, { base_url: 'http://p.test', route_prefix: 'p', previous_key: { lookup_id: 'prevprevprev', hash: 'h', valid_until: iso(1) } });
    await s.create(r);
    await s.create(integration(2));
    assert.equal((await s.findByLookupId(r.key.lookup_id))?.id, r.id);
    assert.equal((await s.findByLookupId('prevprevprev'))?.id, r.id);
    assert.equal(await s.findByLookupId('nonexistent0'), undefined);
    assert.equal((await s.findByPrefix('p'))?.id, r.id);
    assert.equal(await s.findByPrefix(''), undefined);
    assert.equal(await s.findByPrefix('q'), undefined);
  });

  test('integrations', 'refuses a taken name or prefix with 409, also among concurrent creates', async (s) => {
    await s.create(integration(1, { base_url: 'http://a.test', route_prefix: 'a' }));
    await rejectsWith409(s.create(integration(2, { name: 'contract-1' })));
    await rejectsWith409(s.create(integration(3, { base_url: 'http://a.test', route_prefix: 'a' })));
    await s.create(integration(4)); // consumers share the empty prefix
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create(integration(10 + i, { name: 'racer' }))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal((await s.list()).filter((r) => r.name === 'racer').length, 1);
  });

  test('integrations', 'updates atomically, re-checks uniqueness and re-indexes keys', async (s) => {
    const r = integration(1);
    await s.create(r);
    await s.create(integration(2));
    assert.equal(await s.update('int_nothing0000', (x) => x), undefined);
    await Promise.all(Array.from({ length: 10 }, () => s.update(r.id, (x) => ({ ...x, max_sessions: (x.max_sessions ?? 0) + 1 }))));
    assert.equal((await s.get(r.id))?.max_sessions, 20);
    await rejectsWith409(s.update(r.id, (x) => ({ ...x, name: 'contract-2' })));
    assert.equal((await s.get(r.id))?.name, 'contract-1');
    const next = await s.update(r.id, (x) => ({ ...x, key: { lookup_id: 'newlookup000', hash: 'h2' } }));
    assert.equal(next?.key.lookup_id, 'newlookup000');
    assert.equal(await s.findByLookupId(r.key.lookup_id), undefined);
    assert.equal((await s.findByLookupId('newlookup000'))?.id, r.id);
  });

  test('integrations', 'deletes a record and frees its name, prefix and lookup id', async (s) => {
    const r = integration(1, { base_url: 'http://a.test', route_prefix: 'a' });
    await s.create(r);
    assert.equal(await s.delete(r.id), true);
    assert.equal(await s.delete(r.id), false);
    assert.equal(await s.get(r.id), undefined);
    assert.equal(await s.findByLookupId(r.key.lookup_id), undefined);
    assert.equal(await s.findByPrefix('a'), undefined);
    await s.create(integration(2, { name: r.name, base_url: 'http://a.test', route_prefix: 'a' }));
  });
}

function call(n: number, over: Partial<CallEntry> = {}): CallEntry {
  return {
    id: `call_${String(n).padStart(12, '0')}`,
    ts: iso(n * 1000),
    integration_id: n % 2 ? 'int_odd0000000' : 'int_even000000',
    direction: n % 3 ? 'inbound' : 'outbound',
    method: 'GET',
    route: '/sessions',
    path: '/sessions',
    status_code: n % 5 ? 200 : 404,
    duration_ms: 1,
    bytes_in: 0,
    bytes_out: 2,
    bytes_written: 2,
    request_id: `req_${n}`,
    remote_addr: '127.0.0.1',
    ...over,
  };
}

function callLogContract(test: Test): void {
  test('callLog', 'pages newest first with cursors, without gaps or repeats', async (s) => {
    await s.append(Array.from({ length: 25 }, (_, i) => call(i)));
    await s.append([call(25), call(26)]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await s.query({ limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    assert.deepEqual(seen, Array.from({ length: 27 }, (_, i) => call(26 - i).id));
  });

  test('callLog', 'filters by integration, direction, status class and time', async (s) => {
    await s.append(Array.from({ length: 30 }, (_, i) => call(i)));
    const all = Array.from({ length: 30 }, (_, i) => call(29 - i));
    const ids = async (q: Parameters<typeof s.query>[0]): Promise<string[]> => (await s.query({ limit: 100, ...q })).entries.map((e) => e.id);
    assert.deepEqual(await ids({ integration_id: 'int_odd0000000' }), all.filter((e) => e.integration_id === 'int_odd0000000').map((e) => e.id));
    assert.deepEqual(await ids({ direction: 'outbound' }), all.filter((e) => e.direction === 'outbound').map((e) => e.id));
    assert.deepEqual(await ids({ status_class: 4 }), all.filter((e) => e.status_code === 404).map((e) => e.id));
    assert.deepEqual(await ids({ since: iso(10_000), until: iso(12_000) }), [call(12).id, call(11).id, call(10).id]);
  });

  test('callLog', 'prunes beyond maxRows and older than olderThan', async (s) => {
    await s.append(Array.from({ length: 2500 }, (_, i) => call(i)));
    const removed = await s.prune({ maxRows: 2000, olderThan: Date.parse(iso(1000 * 1000)) });
    const left: CallEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.query({ limit: 500, ...(cursor ? { cursor } : {}) });
      left.push(...page.entries);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.ok(removed >= 1000, `prune reported ${removed} rows`);
    assert.ok(left.length <= 2000 && left.length >= 1500, `${left.length} rows left`);
    assert.ok(left.every((e) => e.ts >= iso(1000 * 1000)), 'rows older than olderThan are gone');
    assert.equal(left[0]?.id, call(2499).id);
    const odd = await s.query({ integration_id: 'int_odd0000000', limit: 500 });
    assert.ok(odd.entries.every((e) => e.ts >= iso(1000 * 1000) && e.integration_id === 'int_odd0000000'));
    assert.equal(odd.entries[0]?.id, call(2499).id);
  });

  test('callLog', 'keeps rejected-credential rows under their own retention, apart from the rest', async (s) => {
    const rejected = (n: number): CallEntry => {
      const { integration_id: _none, ...rest } = call(n, { direction: 'rejected', status_code: 401 });
      return { ...rest, id: `call_rej${String(n).padStart(9, '0')}` };
    };
    // 50 real rows, then a flood of 1 200 refusals interleaved with 10 more real rows.
    await s.append(Array.from({ length: 50 }, (_, i) => call(i)));
    for (let i = 0; i < 10; i++) await s.append([...Array.from({ length: 120 }, (_, k) => rejected(100 + i * 121 + k)), call(100 + i * 121 + 120)]);
    await s.prune({ maxRows: 100, olderThan: 0, rejected: { maxRows: 200, olderThan: 0 } });
    const all: CallEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.query({ limit: 97, ...(cursor ? { cursor } : {}) });
      all.push(...page.entries);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'no row twice across pages');
    assert.equal(all.filter((e) => e.direction !== 'rejected').length, 60, 'every real row is kept');
    const refused = all.filter((e) => e.direction === 'rejected');
    assert.ok(refused.length <= 200 && refused.length >= 100, `${refused.length} rejected rows left`);
    assert.equal(refused[0]?.id, rejected(100 + 9 * 121 + 119).id, 'the newest refusals are the ones kept');
    assert.deepEqual(
      all.map((e) => e.ts),
      [...all.map((e) => e.ts)].sort().reverse(),
      'newest first across both kinds',
    );
    const onlyRejected = await s.query({ direction: 'rejected', limit: 500 });
    assert.equal(onlyRejected.entries.length, refused.length);
    assert.equal((await s.query({ integration_id: 'int_odd0000000', limit: 500 })).entries.length, all.filter((e) => e.integration_id === 'int_odd0000000').length);
  });
}
