import { afterEach, describe, expect, it } from 'vitest';
import { registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';

// The audit trail cannot be flushed (issue #15): rate-limited refusals are one row per
// address and window, and refused credentials have a retention of their own.

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const rejectedRows = async (g: TestGateway): Promise<any[]> => (await g.apiJson('/integrations/_calls?direction=rejected&limit=500')).body.entries;

/** Sends `n` requests, at most `concurrency` at a time. */
async function burst(n: number, concurrency: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const res = await send(next++);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

describe('call log under a junk flood', () => {
  it('writes one row per address and window for rate-limited refusals, with how many there were', async () => {
    t = await startGateway({ auth: { credentialRateLimit: { max: 3, windowMs: 60_000 } }, callLog: { aggregateWindowMs: 500, flushIntervalMs: 50 } });
    const statuses = await burst(50, 5, () => t!.api('/auth/me', { token: 'junk-token' }));
    expect(statuses.filter((s) => s === 429)).toHaveLength(47);
    // Every refusal is counted once; the burst may straddle a window or two.
    const countOf = (rows: any[]): number => rows.filter((e) => e.status_code === 429).reduce((n, e) => n + e.count, 0);
    const rows = await waitFor(async () => {
      const r = await rejectedRows(t!);
      return countOf(r) === 47 ? r : null;
    });
    expect(rows.filter((e) => e.status_code === 401)).toHaveLength(3);
    const limited = rows.filter((e) => e.status_code === 429);
    expect(limited.length).toBeLessThanOrEqual(3);
    for (const row of limited) expect(row).toMatchObject({ count: expect.any(Number), remote_addr: expect.stringContaining('127.0.0.1'), route: '/auth/me' });
    expect(rows.filter((e) => e.status_code === 401).every((e) => e.count === undefined)).toBe(true);
  });

  it('treats failed logins alike: rate-limited ones aggregated, none pushing out an integration’s rows', async () => {
    const admin = { username: 'root', password: 'correct horse battery' };
    t = await startGateway({
      trustProxy: ['loopback'],
      auth: { admin, loginRateLimit: { max: 3, windowMs: 60_000 } },
      callLog: { maxRows: 40, rejectedMaxRows: 20, aggregateWindowMs: 200, flushIntervalMs: 50 },
    });
    const { integration, api_key } = await registerIntegration(t, { name: 'audited-logins', scopes: ['session:read'] });
    for (let i = 0; i < 30; i++) expect((await t.api('/sessions', { token: api_key })).status).toBe(200);
    const login = (ip: string) =>
      t!.api('/auth/login', { method: 'POST', token: null, body: { ...admin, password: 'wrong-password' }, headers: { 'x-forwarded-for': ip } });
    const one = await burst(20, 1, () => login('198.51.100.9'));
    expect(one.filter((s) => s === 429)).toHaveLength(17);
    const rows = await waitFor(async () => {
      const r = (await t!.apiJson('/integrations/_calls?direction=admin&limit=500')).body.entries as any[];
      return r.filter((e) => e.status_code === 429).reduce((n, e) => n + e.count, 0) === 17 ? r : null;
    });
    const limited = rows.filter((e) => e.status_code === 429);
    expect(limited.reduce((n, e) => n + e.count, 0)).toBe(17);
    for (const row of limited) expect(row).toMatchObject({ remote_addr: '198.51.100.9', route: '/auth/login' });
    expect(rows.filter((e) => e.status_code === 401)).toHaveLength(3);
    // Failed logins from 1 100 addresses: each a row, all under the refusals' own retention.
    await burst(1_100, 20, (i) => login(`10.2.${i >> 8}.${i & 255}`));
    const refused = (await t.apiJson('/integrations/_calls?direction=admin&limit=500')).body.entries;
    expect(refused.length).toBeLessThan(1_100);
    const own = (await t.apiJson(`/integrations/_calls?integration_id=${integration.id}&limit=500`)).body.entries;
    expect(own).toHaveLength(30);
  }, 60_000);

  it('keeps an integration’s rows while junk from many addresses floods the log', async () => {
    t = await startGateway({ trustProxy: ['loopback'], callLog: { maxRows: 100, rejectedMaxRows: 50, flushIntervalMs: 50 } });
    const { integration, api_key } = await registerIntegration(t, { name: 'audited', scopes: ['session:read'] });
    for (let i = 0; i < 30; i++) expect((await t.api('/sessions', { token: api_key })).status).toBe(200);
    // Each junk request from its own address: every one is a fresh 401 row.
    const statuses = await burst(2_000, 20, (i) => t!.api('/auth/me', { token: `junk-${i}`, headers: { 'x-forwarded-for': `10.1.${i >> 8}.${i & 255}` } }));
    expect(statuses.every((s) => s === 401)).toBe(true);
    const own = (await t.apiJson(`/integrations/_calls?integration_id=${integration.id}&limit=500`)).body.entries;
    expect(own).toHaveLength(30);
    const rejected = await rejectedRows(t);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.length).toBeLessThan(2_000); // pruned by their own retention
    expect(rejected[0].remote_addr).toMatch(/^10\.1\./);
  }, 60_000);
});
