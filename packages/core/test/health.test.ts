import type { IncomingMessage, ServerResponse } from 'node:http';
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../src/bus/types.js';
import { registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { healthyHandler, startUpstream, verifyOpendraySignature, type Upstream } from './support/upstream.js';

const gateways: TestGateway[] = [];
const upstreams: Upstream[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close();
  for (const u of upstreams.splice(0)) await u.close();
});

async function gateway(options: Parameters<typeof startGateway>[0] = {}): Promise<TestGateway> {
  const g = await startGateway(options);
  gateways.push(g);
  return g;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
/** An upstream whose `/health` answer the test switches at will. */
async function switchable(initial: Handler = healthyHandler): Promise<Upstream & { set(h: Handler): void }> {
  let current = initial;
  const up = await startUpstream({ health: (req, res) => current(req, res) });
  upstreams.push(up);
  return Object.assign(up, { set: (h: Handler) => void (current = h) });
}

const status = (code: number, body: string, type = 'application/json'): Handler => (_req, res) => {
  res.writeHead(code, { 'content-type': type });
  res.end(body);
};

function healthEvents(t: TestGateway): BusEvent[] {
  const events: BusEvent[] = [];
  // v2's canonical name (SPEC §16); the guide's integration.health_change is an alias for subscribers.
  t.gateway.bus.subscribe('integration.health_changed', (e) => events.push(e));
  return events;
}

async function record(t: TestGateway, id: string) {
  return (await t.apiJson(`/integrations/${id}`)).body;
}

describe('health probes: classification and hysteresis', () => {
  it('probes on registration and stores status, payload and last seen', async () => {
    const up = await switchable();
    const t = await gateway({ healthIntervalMs: 60_000 });
    const events = healthEvents(t);
    const { integration, signing_secret } = await registerIntegration(t, { name: 'bot', base_url: `${up.url}/api/`, route_prefix: 'bot' });
    const stored = await waitFor(async () => {
      const r = await record(t, integration.id);
      return r.health_status === 'healthy' ? r : null;
    });
    expect(stored.health_payload).toEqual({ status: 'healthy', version: '1.2.3' });
    expect(Date.parse(stored.health_last_seen)).not.toBeNaN();
    expect(events.map((e) => [e.data, e.tenant])).toEqual([
      [{ integration_id: integration.id, from: 'unknown', to: 'healthy', payload: { status: 'healthy', version: '1.2.3' } }, integration.id],
    ]);
    const probe = up.probes[0]!;
    expect(probe.url).toBe('/api/health');
    expect(probe.headers['x-integration-id']).toBe(integration.id);
    expect(verifyOpendraySignature(probe, signing_secret!)).toBe(true);
  });

  it('degrades after one failure, is unhealthy (503, upstream untouched) after two, and recovers on the next healthy probe', async () => {
    const up = await switchable();
    const t = await gateway({ healthIntervalMs: 100, healthTimeoutMs: 500 });
    const events = healthEvents(t);
    const { integration } = await registerIntegration(t, { name: 'bot', base_url: up.url, route_prefix: 'bot' });
    await waitFor(async () => (await record(t, integration.id)).health_status === 'healthy');
    const lastSeen = (await record(t, integration.id)).health_last_seen;

    up.set(status(500, 'boom', 'text/plain'));
    await waitFor(async () => (await record(t, integration.id)).health_status === 'unhealthy');
    const unhealthy = await record(t, integration.id);
    expect(unhealthy.health_payload).toEqual({ error: 'HTTP 500' });
    const proxied = await t.apiJson('/proxy/bot/x');
    expect(proxied.status).toBe(503);
    expect(proxied.body.code).toBe('unavailable');
    expect(up.seen).toHaveLength(0);

    up.set(healthyHandler);
    await waitFor(async () => (await record(t, integration.id)).health_status === 'healthy');
    expect((await t.apiJson('/proxy/bot/x')).status).toBe(200);
    expect(up.seen).toHaveLength(1);
    expect((await record(t, integration.id)).health_last_seen > lastSeen).toBe(true);
    expect(events.map((e) => `${e.data.from}>${e.data.to}`)).toEqual(['unknown>healthy', 'healthy>degraded', 'degraded>unhealthy', 'unhealthy>healthy']);
  });

  it('classifies what the integration reports, and every fault, without losing responsiveness', async () => {
    const up = await startUpstream({
      health: (req, res) => {
        const mode = req.url!.split('/')[1];
        switch (mode) {
          case 'reports-degraded':
            return status(200, JSON.stringify({ status: 'degraded', busy_ratio: 0.9 }))(req, res);
          case 'reports-unhealthy':
            return status(200, JSON.stringify({ status: 'unhealthy', reason: 'db down' }))(req, res);
          case 'no-status':
            return status(200, JSON.stringify({ version: '2' }))(req, res);
          case 'not-json':
            return status(200, 'OK', 'text/plain')(req, res);
          case 'hang':
            return;
          case 'reset':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
            return void res.write('{"status":', () => req.socket.destroy());
          case 'garbage':
            return void req.socket.end('SMTP ready\r\n\r\n');
          case 'huge': {
            res.writeHead(200, { 'content-type': 'application/json' });
            const block = Buffer.alloc(64 * 1024, 32);
            let sent = 0;
            const pump = (): void => {
              while (sent < 10 * 1024 * 1024) {
                sent += block.length;
                if (!res.write(block)) return void res.once('drain', pump);
              }
              res.end();
            };
            res.on('close', () => (sent = Infinity));
            return pump();
          }
        }
      },
    });
    upstreams.push(up);
    const t = await gateway({ healthIntervalMs: 150, healthTimeoutMs: 300 });
    const expected: Record<string, string> = {
      'reports-degraded': 'degraded',
      'reports-unhealthy': 'unhealthy',
      'no-status': 'healthy',
      'not-json': 'healthy',
      hang: 'unhealthy',
      reset: 'unhealthy',
      garbage: 'unhealthy',
      huge: 'unhealthy',
    };
    const ids: Record<string, string> = {};
    for (const mode of Object.keys(expected)) {
      const { integration } = await registerIntegration(t, { name: mode, base_url: `${up.url}/${mode}`, route_prefix: mode });
      ids[mode] = integration.id;
    }
    expect((await t.apiJson('/health')).status).toBe(200);
    const settled = await waitFor(async () => {
      const list = (await t.apiJson('/integrations')).body.integrations as Array<{ name: string; health_status: string; health_payload?: unknown }>;
      return list.every((i) => i.health_status === expected[i.name]) ? list : null;
    }, 15_000);
    const byName = Object.fromEntries(settled.map((i) => [i.name, i.health_payload]));
    expect(byName['reports-degraded']).toEqual({ status: 'degraded', busy_ratio: 0.9 });
    expect(byName['reports-unhealthy']).toEqual({ status: 'unhealthy', reason: 'db down' });
    expect(byName['no-status']).toEqual({ version: '2' });
    expect(byName['not-json']).toBeUndefined();
    expect(byName.hang).toEqual({ error: 'no answer within 300 ms' });
    expect(byName.huge).toEqual({ error: `health body exceeds ${64 * 1024} bytes` });
    expect(byName.garbage).toEqual({ error: 'not an HTTP answer' });
    // A degraded integration is still served; an unhealthy one is not.
    expect((await t.apiJson('/proxy/reports-degraded/x')).status).toBe(200);
    expect((await t.apiJson('/proxy/hang/x')).status).toBe(503);
  });
});

describe('health probes: when they run', () => {
  it('probes every integration at start', async () => {
    const storage = new Keyv();
    const up = await switchable();
    const first = await gateway({ storage, healthIntervalMs: 60_000 });
    const { integration } = await registerIntegration(first, { name: 'bot', base_url: up.url, route_prefix: 'bot' });
    await waitFor(async () => (await record(first, integration.id)).health_status === 'healthy');
    await first.close();

    up.set(status(200, JSON.stringify({ status: 'degraded' })));
    const second = await gateway({ storage, healthIntervalMs: 60_000 });
    await waitFor(async () => (await record(second, integration.id)).health_status === 'degraded');
  });

  it('probes the new base_url at once when it changes, and re-probes when re-enabled', async () => {
    const a = await switchable();
    const b = await switchable(status(200, JSON.stringify({ status: 'degraded' })));
    const t = await gateway({ healthIntervalMs: 60_000 });
    const { integration } = await registerIntegration(t, { name: 'bot', base_url: a.url, route_prefix: 'bot' });
    await waitFor(async () => (await record(t, integration.id)).health_status === 'healthy');
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { base_url: b.url } });
    await waitFor(async () => (await record(t, integration.id)).health_status === 'degraded');
    expect(b.probes).toHaveLength(1);

    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: false } });
    b.set(healthyHandler);
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: true } });
    await waitFor(async () => (await record(t, integration.id)).health_status === 'healthy');
    expect(b.probes).toHaveLength(2);
  });

  it('does not probe disabled, deleted or consumer-only integrations', async () => {
    const control = await switchable();
    const off = await switchable();
    const gone = await switchable();
    const t = await gateway({ healthIntervalMs: 80 });
    await registerIntegration(t, { name: 'control', base_url: control.url, route_prefix: 'control' });
    const disabled = await registerIntegration(t, { name: 'off', base_url: off.url, route_prefix: 'off' });
    const deleted = await registerIntegration(t, { name: 'gone', base_url: gone.url, route_prefix: 'gone' });
    const consumer = await registerIntegration(t, { name: 'consumer' });
    await waitFor(() => off.probes.length >= 1 && gone.probes.length >= 1);
    await t.apiJson(`/integrations/${disabled.integration.id}`, { method: 'PATCH', body: { enabled: false } });
    await t.api(`/integrations/${deleted.integration.id}`, { method: 'DELETE' });
    const offCount = off.probes.length;
    const goneCount = gone.probes.length;
    const controlCount = control.probes.length;
    await waitFor(() => control.probes.length >= controlCount + 3);
    expect(off.probes.length).toBe(offCount);
    expect(gone.probes.length).toBe(goneCount);
    expect((await record(t, consumer.integration.id)).health_status).toBe('unknown');
  });

  it('probes in parallel, so a slow integration delays no other', async () => {
    const slow = await startUpstream({ health: () => undefined });
    const fast = await switchable();
    upstreams.push(slow);
    const t = await gateway({ healthIntervalMs: 60_000, healthTimeoutMs: 30_000 });
    await registerIntegration(t, { name: 'slow', base_url: slow.url, route_prefix: 'slow' });
    await waitFor(() => slow.open() === 1);
    const { integration } = await registerIntegration(t, { name: 'fast', base_url: fast.url, route_prefix: 'fast' });
    await waitFor(async () => (await record(t, integration.id)).health_status === 'healthy');
    expect(slow.open()).toBe(1);
  });

  it('runs at most 16 probes at once and gets to every integration', async () => {
    const slow = await startUpstream({ health: () => undefined });
    upstreams.push(slow);
    const t = await gateway({ healthIntervalMs: 60_000, healthTimeoutMs: 1_000 });
    for (let i = 0; i < 20; i++) await registerIntegration(t, { name: `slow${i}`, base_url: `${slow.url}/${i}`, route_prefix: `slow${i}` });
    await waitFor(() => slow.probes.length === 20, 15_000);
    expect(slow.maxConcurrentProbes()).toBeGreaterThan(1);
    expect(slow.maxConcurrentProbes()).toBeLessThanOrEqual(16);
  });

  it('aborts probes in flight when the gateway stops', async () => {
    const up = await startUpstream({ health: () => undefined });
    upstreams.push(up);
    const t = await gateway({ healthTimeoutMs: 60_000 });
    await registerIntegration(t, { name: 'bot', base_url: up.url, route_prefix: 'bot' });
    await waitFor(() => up.open() === 1);
    await t.close();
    await waitFor(() => up.open() === 0, 5_000);
  });
});
