import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEntry } from '@opendray/sdk/wire';
import { createCallLog } from '../src/calllog/call-log.js';
import { silentLogger } from '../src/log.js';
import { createKeyvCallLogStore } from '../src/stores/keyv/call-log-store.js';
import { openStorage } from '../src/stores/keyv/open.js';
import { registerIntegration, startGateway, tempDir, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(() => t.close());

const calls = async (query = ''): Promise<{ entries: CallEntry[]; next_cursor: string | null }> => {
  const res = await t.apiJson(`/integrations/_calls${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('recording', () => {
  it('logs every call made with an integration key with its route template, and no admin calls', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'caller', scopes: ['session:read'] });
    await t.api('/auth/me', { token: api_key, headers: { 'x-request-id': 'req-logged-1' } });
    await t.api('/integrations', { token: api_key });
    await t.api('/integrations/int_whatever0000?token=secret-in-query', { token: api_key });
    const { entries } = await calls(`?integration_id=${integration.id}`);
    expect(entries.map((e) => [e.method, e.route, e.status_code])).toEqual([
      ['GET', '/integrations/{id}', 403],
      ['GET', '/integrations', 403],
      ['GET', '/auth/me', 200],
    ]);
    const first = entries[2]!;
    expect(first).toMatchObject({
      integration_id: integration.id,
      direction: 'inbound',
      path: '/auth/me',
      request_id: 'req-logged-1',
      bytes_in: 0,
      remote_addr: expect.stringContaining('127.0.0.1'),
    });
    expect(first.id).toMatch(/^call_/);
    expect(first.bytes_out).toBeGreaterThan(0);
    expect(first.duration_ms).toBeGreaterThanOrEqual(0);
    expect(entries[0]!.path).toBe('/integrations/int_whatever0000');
    expect(JSON.stringify(entries)).not.toContain('secret-in-query');
    // The admin's own calls (registration, these queries) are not integration traffic.
    const all = await calls('?limit=500');
    expect(all.entries.every((e) => e.direction !== 'inbound' || e.integration_id)).toBe(true);
  });

  it('logs rejected credentials without an integration and without the token', async () => {
    const bogus = 'odk_live_' + 'Z'.repeat(43);
    await t.api('/auth/me', { token: bogus, headers: { 'x-request-id': 'req-rejected-1' } });
    const { entries } = await calls('?direction=rejected');
    const e = entries.find((x) => x.request_id === 'req-rejected-1');
    expect(e).toMatchObject({ direction: 'rejected', status_code: 401, route: '/auth/me', method: 'GET' });
    expect(e!.integration_id).toBeUndefined();
    expect(JSON.stringify(entries)).not.toContain(bogus);
  });

  it('keeps the rows of a deleted integration', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'short-lived' });
    await t.api('/auth/me', { token: api_key });
    expect((await t.api(`/integrations/${integration.id}`, { method: 'DELETE' })).status).toBe(204);
    const { entries } = await calls(`?integration_id=${integration.id}`);
    // Its own call, and the admin's delete of it (an admin action on that integration).
    expect(entries.map((e) => [e.direction, e.method, e.route])).toEqual([
      ['admin', 'DELETE', '/integrations/{id}'],
      ['inbound', 'GET', '/auth/me'],
    ]);
  });
});

describe('querying', () => {
  it('filters by direction and status class, newest first, in cursor pages without gaps or repeats', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'pager' });
    for (let i = 0; i < 7; i++) await t.api('/auth/me', { token: api_key, headers: { 'x-request-id': `page-${i}` } });
    await t.api('/integrations', { token: api_key });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { entries: CallEntry[]; next_cursor: string | null } = await calls(
        `?integration_id=${integration.id}&status_class=2&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((e) => e.request_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    expect(pages).toBe(3);
    const fours = await calls(`?integration_id=${integration.id}&status_class=4&direction=inbound`);
    expect(fours.entries.map((e) => [e.route, e.status_code])).toEqual([['/integrations', 403]]);
    expect((await calls(`?integration_id=${integration.id}&direction=rejected`)).entries).toEqual([]);
  });

  it('filters by since and until', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'timed' });
    await t.api('/auth/me', { token: api_key });
    const { entries } = await calls(`?integration_id=${integration.id}`);
    const ts = entries[0]!.ts;
    const ms = Date.parse(ts);
    const iso = (n: number) => new Date(n).toISOString();
    expect((await calls(`?integration_id=${integration.id}&since=${iso(ms)}&until=${iso(ms)}`)).entries).toHaveLength(1);
    expect((await calls(`?integration_id=${integration.id}&since=${iso(ms + 1)}`)).entries).toHaveLength(0);
    expect((await calls(`?integration_id=${integration.id}&until=${iso(ms - 1)}`)).entries).toHaveLength(0);
    // An offset is the same instant.
    const offset = new Date(ms).toISOString().replace('Z', '+00:00');
    expect((await calls(`?integration_id=${integration.id}&since=${encodeURIComponent(offset)}`)).entries).toHaveLength(1);
  });

  it.each([
    ['status_class=0', 'status_class'],
    ['status_class=6', 'status_class'],
    ['status_class=2xx', 'status_class'],
    ['since=yesterday', 'since'],
    ['since=2026-02-30T00:00:00Z', 'since'],
    ['until=2026-04-27', 'until'],
    ['since=2026-04-28T00:00:00Z&until=2026-04-27T00:00:00Z', 'until'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=', 'limit'],
    ['cursor=%%%', 'cursor'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['direction=sideways', 'direction'],
    ['integration_id=', 'integration_id'],
  ])('refuses ?%s with a 400 naming %s', async (query, field) => {
    const res = await t.apiJson(`/integrations/_calls?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.error.startsWith(`${field}:`)).toBe(true);
  });

  it('is admin only', async () => {
    const { api_key } = await registerIntegration(t, { name: 'snoop', scopes: ['session:read', 'event:subscribe:*'] });
    const res = await t.apiJson('/integrations/_calls', { token: api_key });
    expect(res.status).toBe(403);
  });
});

describe('the call log and its store', () => {
  const entry = (i: number, over: Partial<CallEntry> = {}): Omit<CallEntry, 'id'> => ({
    ts: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString(),
    integration_id: 'int_aaaaaaaaaaaa',
    direction: 'outbound',
    method: 'POST',
    route: '/proxy/{prefix}/*',
    path: `/proxy/bot/${i}`,
    status_code: 200,
    duration_ms: 1,
    bytes_in: 0,
    bytes_out: 0,
    request_id: `r${i}`,
    remote_addr: '127.0.0.1',
    ...over,
  });

  it('records outbound calls through the same API and keeps exactly the newest maxRows', async () => {
    const store = createKeyvCallLogStore(new Keyv());
    const log = createCallLog({ store, clock: { now: () => Date.parse('2026-01-01T01:00:00.000Z') }, logger: silentLogger, maxRows: 1000 });
    for (let i = 0; i < 2500; i++) log.record(entry(i));
    await log.flush();
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = await log.query({ direction: 'outbound', limit: 500, ...(cursor ? { cursor } : {}) });
      ids.push(...p.entries.map((e) => e.request_id));
      if (!p.next_cursor) break;
      cursor = p.next_cursor;
    }
    expect(ids).toHaveLength(1000);
    expect(ids[0]).toBe('r2499');
    expect(ids.at(-1)).toBe('r1500');
    await log.close();
  });

  it('drops rows past the maximum age from memory and from the store', async () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const keyv = new Keyv();
    const log = createCallLog({ store: createKeyvCallLogStore(keyv), clock: { now: () => now }, logger: silentLogger, maxAgeMs: 3_600_000 });
    for (let i = 0; i < 1500; i++) log.record(entry(i));
    await log.flush();
    now += 2 * 3_600_000;
    for (let i = 0; i < 10; i++) log.record(entry(0, { ts: new Date(now).toISOString(), request_id: `new${i}` }));
    await log.flush();
    expect((await log.query({ limit: 500 })).entries.map((e) => e.request_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `new${9 - i}`),
    );
    const stored = [...(((await keyv.get('calls:seg:0')) as unknown[]) ?? []), ...(((await keyv.get('calls:seg:1')) as unknown[]) ?? [])];
    expect(stored.filter((e) => e !== null)).toHaveLength(10);
    // A fresh store over the same storage sees the same.
    const reopened = createKeyvCallLogStore(keyv);
    expect((await reopened.query({ limit: 500 })).entries).toHaveLength(10);
    await log.close();
  });

  it('survives a restart on SQLite and skips an old long call when filtering by since', async () => {
    const dir = await tempDir();
    const uri = `sqlite://${join(dir.path, 'calls.sqlite')}`;
    try {
      let keyv = await openStorage(uri);
      let store = createKeyvCallLogStore(keyv);
      // A long call finishes (and is appended) after newer ones, but carries its start time.
      await store.append([
        { id: 'call_1', ...entry(10) },
        { id: 'call_2', ...entry(11) },
        { id: 'call_3', ...entry(0, { request_id: 'long' }) },
      ]);
      await keyv.disconnect();
      keyv = await openStorage(uri);
      store = createKeyvCallLogStore(keyv);
      const page = await store.query({ since: entry(5).ts, limit: 10 });
      expect(page.entries.map((e) => e.id)).toEqual(['call_2', 'call_1']);
      expect((await store.query({ limit: 10 })).entries.map((e) => e.id)).toEqual(['call_3', 'call_2', 'call_1']);
      await keyv.disconnect();
    } finally {
      await dir.remove();
    }
  });
});
