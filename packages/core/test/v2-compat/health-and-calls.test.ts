import { describe, expect, it } from 'vitest';
import { registerIntegration, waitFor } from '../support/gateway.js';
import { startUpstream } from '../support/upstream.js';
import { integration, session, v2Gateway } from './support.js';

/** SPEC §16 rows "health" and "call log". */
const gw = v2Gateway({ healthIntervalMs: 100_000, callLog: { flushIntervalMs: 20 } });

describe('SPEC §16 health', () => {
  it('health: a 2xx whose body says "status": "unhealthy" is unhealthy at once (the integration asked to shed traffic)', async () => {
    const t = gw.get();
    let answer = '{"status":"healthy"}';
    const up = await startUpstream({ health: (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(answer) });
    try {
      const { integration: reg } = await registerIntegration(t, { name: 'sheds', base_url: up.url, route_prefix: 'sheds' });
      await waitFor(async () => (await t.apiJson(`/integrations/${reg.id}`)).body.health_status === 'healthy');
      answer = '{"status":"unhealthy","version":"2"}';
      const probes = up.probes.length;
      // A base_url change probes at once: one probe, and it is unhealthy (no degraded step).
      await t.apiJson(`/integrations/${reg.id}`, { method: 'PATCH', body: { base_url: `${up.url}/v2` } });
      const after = await waitFor(async () => {
        const r = (await t.apiJson(`/integrations/${reg.id}`)).body;
        return r.health_status !== 'healthy' ? r : null;
      });
      expect(after).toMatchObject({ health_status: 'unhealthy', health_payload: { status: 'unhealthy', version: '2' } });
      expect(up.probes.length).toBe(probes + 1);
      const proxied = await t.apiJson('/proxy/sheds/anything');
      expect(proxied.status).toBe(503);
      expect(up.seen).toHaveLength(0);
    } finally {
      await up.close();
    }
  });
});

describe('SPEC §16 call log', () => {
  it('call log: entries also carry bytes_written; path is the full request path; limit above 500 is clamped, not refused', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const s = await session(t, {}, bot.key);
    await t.api(`/sessions/${s.id}?token=never-logged`, { token: bot.key });
    const page = await waitFor(async () => {
      const res = await t.apiJson(`/integrations/_calls?integration_id=${bot.id}&limit=1000`);
      return res.status === 200 && res.body.entries.length >= 2 ? res.body : null;
    });
    const get = page.entries.find((e: any) => e.method === 'GET');
    expect(get).toMatchObject({ route: '/sessions/{id}', path: `/api/v1/sessions/${s.id}`, status_code: 200 });
    expect(get.bytes_written).toBe(get.bytes_out);
    expect(get.bytes_written).toBeGreaterThan(0);
    expect(JSON.stringify(page)).not.toContain('never-logged');
    // 1000 is clamped to 500: a full page of 500 and a cursor on.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => t.api('/sessions', { token: bot.key }).then((r) => r.arrayBuffer())));
    }
    const big = await waitFor(async () => {
      const res = await t.apiJson(`/integrations/_calls?integration_id=${bot.id}&limit=100000`);
      return res.body.entries.length === 500 ? res : null;
    });
    expect(big.status).toBe(200);
    expect(big.body.next_cursor).toEqual(expect.any(String));
    expect((await t.apiJson('/integrations/_calls?limit=0')).status).toBe(400);
  });
});
