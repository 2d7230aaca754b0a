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
    t = await startGateway({ auth: { credentialRateLimit: { max: 3, windowMs: 60_000 } }, callLog: { aggregateWindowMs: 200, flushIntervalMs: 50 } });
    const statuses = await burst(50, 5, () => t!.api('/auth/me', { token: 'junk-token' }));
    expect(statuses.filter((s) => s === 429)).toHaveLength(47);
    const rows = await waitFor(async () => {
      const r = await rejectedRows(t!);
      return r.some((e) => e.status_code === 429) ? r : null;
    });
    expect(rows.filter((e) => e.status_code === 401)).toHaveLength(3);
    const limited = rows.filter((e) => e.status_code === 429);
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ count: 47, remote_addr: expect.stringContaining('127.0.0.1'), route: '/auth/me' });
    expect(rows.filter((e) => e.status_code === 401).every((e) => e.count === undefined)).toBe(true);
  });

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
