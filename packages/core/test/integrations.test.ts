import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createApiKeyVerifier } from '../src/auth/api-key-verifier.js';
import type { Principal } from '../src/auth/principal.js';
import { createLocalBus } from '../src/bus/local-bus.js';
import type { BusEvent } from '../src/bus/types.js';
import type { GatewayContext } from '../src/context.js';
import { bcryptKeyHasher } from '../src/integrations/keys.js';
import { createIntegrationService } from '../src/integrations/service.js';
import { silentLogger } from '../src/log.js';
import { createKeyvIntegrationStore } from '../src/stores/keyv/integration-store.js';
import { createConnectionRegistry } from '../src/ws/connections.js';
import { closed, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
const events: BusEvent[] = [];

beforeAll(async () => {
  t = await startGateway();
  t.gateway.bus.subscribe('integration.*', (e) => events.push(e));
});
afterAll(() => t.close());

const SECRET_FIELDS = ['api_key', 'key', 'previous_key', 'hash', 'signing_secret', 'lookup_id'];

function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value);
  for (const f of SECRET_FIELDS) expect(text).not.toContain(`"${f}"`);
  expect(text).not.toMatch(/odk_live_|\$2[aby]\$/);
}

describe('register', () => {
  it('returns the integration with defaults, the key once, and a signing secret for a proxied one', async () => {
    const consumer = await t.apiJson('/integrations', { method: 'POST', body: { name: 'consumer-one' } });
    expect(consumer.status).toBe(201);
    expect(Object.keys(consumer.body).sort()).toEqual(['api_key', 'integration']);
    const i = consumer.body.integration;
    expect(i).toMatchObject({
      name: 'consumer-one',
      base_url: '',
      route_prefix: '',
      scopes: ['session:read', 'event:subscribe:session.*'],
      enabled: true,
      health_status: 'unknown',
      // SPEC §16: no per-integration cap unless asked for; v2's profile fields with their defaults.
      max_sessions: null,
      session_access: 'shared',
      permission_mode: 'default',
      mcp_servers: [],
      memory_policy: 'none',
    });
    expect(i.id).toMatch(/^int_[A-Za-z0-9_-]{12}$/);
    expect(i.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(consumer.body.api_key).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
    expectNoSecrets(i);

    const proxied = await registerIntegration(t, {
      name: 'Proxied Bot',
      base_url: 'http://127.0.0.1:9/api/',
      route_prefix: 'proxied-bot',
      scopes: ['session:create', 'session:read', 'session:read'],
      version: '1.2.3',
      max_sessions: 3,
    });
    expect(proxied.signing_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(proxied.integration).toMatchObject({
      base_url: 'http://127.0.0.1:9/api',
      route_prefix: 'proxied-bot',
      scopes: ['session:create', 'session:read'],
      version: '1.2.3',
      max_sessions: 3,
    });
  });

  it('lists and shows integrations without any key, hash or secret', async () => {
    const { integration } = await registerIntegration(t, { name: 'listed', base_url: 'http://127.0.0.1:9', route_prefix: 'listed' });
    const list = await t.apiJson('/integrations');
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(['integrations']);
    expect(list.body.integrations.map((x: { id: string }) => x.id)).toContain(integration.id);
    expectNoSecrets(list.body);
    const one = await t.apiJson(`/integrations/${integration.id}`);
    expect(one.status).toBe(200);
    // health_* change as the health prober works; everything else is as registered.
    const { health_status: _h, health_payload: _p, health_last_seen: _s, ...stable } = one.body;
    const { health_status: _h2, ...registered } = integration;
    expect(stable).toEqual(registered);
    expectNoSecrets(one.body);
    expect((await t.api('/integrations/int_doesnotexist')).status).toBe(404);
  });

  it('publishes integration.registered with the integration as tenant', async () => {
    const { integration } = await registerIntegration(t, { name: 'evented', scopes: ['provider:read'] });
    const e = await waitFor(() => events.find((x) => x.topic === 'integration.registered' && x.data.integration_id === integration.id));
    expect(e.data).toEqual({ integration_id: integration.id, name: 'evented', route_prefix: '', scopes: ['provider:read'] });
    expect(e.tenant).toBe(integration.id);
  });

  it('answers 409 to a duplicate name (any case) or prefix', async () => {
    await registerIntegration(t, { name: 'dup-name', base_url: 'http://127.0.0.1:9', route_prefix: 'dup-prefix' });
    const sameName = await t.apiJson('/integrations', { method: 'POST', body: { name: 'DUP-name' } });
    expect(sameName.status).toBe(409);
    expect(sameName.body.code).toBe('conflict');
    const samePrefix = await t.apiJson('/integrations', {
      method: 'POST',
      body: { name: 'other', base_url: 'http://127.0.0.1:9', route_prefix: 'dup-prefix' },
    });
    expect(samePrefix.status).toBe(409);
    expect((await t.apiJson('/integrations')).body.integrations.filter((x: { name: string }) => x.name === 'other')).toHaveLength(0);
  });

  it('lets exactly one of 20 concurrent registrations of one name win', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.apiJson('/integrations', { method: 'POST', body: { name: 'racer' } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const list = (await t.apiJson('/integrations')).body.integrations;
    expect(list.filter((x: { name: string }) => x.name === 'racer')).toHaveLength(1);
  });
});

describe('bad input', () => {
  const long = 'x'.repeat(10_000);
  const cases: Array<[string, unknown, string]> = [
    ['an array body', [], 'body'],
    ['a null body', null, 'body'],
    ['no name', {}, 'name'],
    ['a numeric name', { name: 42 }, 'name'],
    ['an empty name', { name: '' }, 'name'],
    ['a 10 000-character name', { name: long }, 'name'],
    ['a name of spaces only', { name: '   ' }, 'name'],
    ['a name with a bidi override', { name: 'bot\u202egnp' }, 'name'],
    ['a name with a control character', { name: 'bot\u0007' }, 'name'],
    ['a name with a lone surrogate', { name: 'bot\ud800' }, 'name'],
    ['a name with a newline', { name: 'bot\nx' }, 'name'],
    ['a base_url without a prefix', { name: 'a1', base_url: 'http://127.0.0.1:9' }, 'route_prefix'],
    ['a prefix without a base_url', { name: 'a2', route_prefix: 'a2' }, 'base_url'],
    ['an ftp base_url', { name: 'a3', base_url: 'ftp://h.test', route_prefix: 'a3' }, 'base_url'],
    ['a base_url that is no URL', { name: 'a4', base_url: 'not a url', route_prefix: 'a4' }, 'base_url'],
    ['a base_url with credentials', { name: 'a5', base_url: 'http://u:p@h.test', route_prefix: 'a5' }, 'base_url'],
    ['a base_url of the wrong type', { name: 'a6', base_url: 7, route_prefix: 'a6' }, 'base_url'],
    ['a prefix with /', { name: 'a7', base_url: 'http://127.0.0.1:9', route_prefix: 'a/b' }, 'route_prefix'],
    ['a prefix ..', { name: 'a8', base_url: 'http://127.0.0.1:9', route_prefix: '..' }, 'route_prefix'],
    ['a prefix with %2F', { name: 'a9', base_url: 'http://127.0.0.1:9', route_prefix: 'a%2Fb' }, 'route_prefix'],
    ['an upper-case prefix', { name: 'a11', base_url: 'http://127.0.0.1:9', route_prefix: 'Bot' }, 'route_prefix'],
    ['a unicode prefix', { name: 'a12', base_url: 'http://127.0.0.1:9', route_prefix: 'bøt' }, 'route_prefix'],
    ['a 64-character prefix', { name: 'a13', base_url: 'http://127.0.0.1:9', route_prefix: 'p'.repeat(64) }, 'route_prefix'],
    ['scopes that are not an array', { name: 'a14', scopes: 'session:read' }, 'scopes'],
    ['an unknown scope', { name: 'a15', scopes: ['session:reed'] }, 'scopes[0]'],
    ['a scope of the wrong type', { name: 'a16', scopes: ['session:read', 1] }, 'scopes[1]'],
    ['a negative max_sessions', { name: 'a17', max_sessions: -1 }, 'max_sessions'],
    ['a fractional max_sessions', { name: 'a18', max_sessions: 1.5 }, 'max_sessions'],
    ['a string max_sessions', { name: 'a19', max_sessions: '3' }, 'max_sessions'],
    ['a numeric version', { name: 'a20', version: 3 }, 'version'],
  ];

  it.each(cases)('refuses %s with a 400 naming the field, storing nothing', async (_label, body, field) => {
    const before = (await t.apiJson('/integrations')).body.integrations.length;
    const res = await t.apiJson('/integrations', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.error.startsWith(`${field}:`) || res.body.error.includes(field)).toBe(true);
    expect((await t.apiJson('/integrations')).body.integrations.length).toBe(before);
  });

  it('refuses malformed JSON (400) and a non-JSON content type (415)', async () => {
    const bad = await t.apiJson('/integrations', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_json');
    const xml = await t.apiJson('/integrations', { method: 'POST', body: '<name>x</name>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
  });

  it('refuses integration keys on admin routes', async () => {
    const { api_key } = await registerIntegration(t, { name: 'not-admin', scopes: ['session:read', 'session:create'] });
    const res = await t.apiJson('/integrations', { token: api_key });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'sneaky' }, token: api_key });
    expect(reg.status).toBe(403);
  });
});

describe('patch', () => {
  it('changes fields, reports what changed, and validates against the stored record', async () => {
    const { integration } = await registerIntegration(t, { name: 'patchable' });
    const res = await t.apiJson(`/integrations/${integration.id}`, {
      method: 'PATCH',
      body: { scopes: ['session:read', 'provider:read'], version: '2.0', max_sessions: 0, name: 'ignored' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'patchable', scopes: ['session:read', 'provider:read'], version: '2.0', max_sessions: 0 });
    const e = await waitFor(() => events.find((x) => x.topic === 'integration.updated' && x.data.integration_id === integration.id));
    expect((e.data.changed as string[]).sort()).toEqual(['max_sessions', 'scopes', 'version']);
    expect(e.tenant).toBe(integration.id);

    const half = await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { base_url: 'http://127.0.0.1:9' } });
    expect(half.status).toBe(400);
    expect(half.body.error).toMatch(/^route_prefix:/);
    for (const body of [{ enabled: 'no' }, { scopes: ['nope'] }, { max_sessions: 1001 }, { base_url: 'gopher://x' }, []]) {
      expect((await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body })).status).toBe(400);
    }
    expect((await t.apiJson(`/integrations/${integration.id}`)).body).toEqual(res.body);
    expect((await t.apiJson('/integrations/int_missing00000', { method: 'PATCH', body: { enabled: false } })).status).toBe(404);
  });

  it('turns a consumer into a proxied integration; rotate-key then returns its signing secret', async () => {
    const { integration } = await registerIntegration(t, { name: 'late-proxy' });
    const res = await t.apiJson(`/integrations/${integration.id}`, {
      method: 'PATCH',
      body: { base_url: 'http://127.0.0.1:9', route_prefix: 'late-proxy' },
    });
    expect(res.status).toBe(200);
    expectNoSecrets(res.body);
    const rotated = await t.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.signing_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await t.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST', body: {} });
    expect(again.body.signing_secret).not.toBe(rotated.body.signing_secret);
  });

  it('disabling refuses the key at once; enabling restores it', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'toggled' });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: false } });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(401);
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: true } });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
  });
});

describe('delete', () => {
  it('forgets the integration, refuses its key and publishes integration.deregistered', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'doomed', base_url: 'http://127.0.0.1:9', route_prefix: 'doomed' });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
    const del = await t.api(`/integrations/${integration.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await t.api(`/integrations/${integration.id}`)).status).toBe(404);
    const me = await t.apiJson('/auth/me', { token: api_key });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('unauthorized');
    const e = await waitFor(() => events.find((x) => x.topic === 'integration.deregistered' && x.data.integration_id === integration.id));
    expect(e.data).toEqual({ integration_id: integration.id });
    expect((await t.api(`/integrations/${integration.id}`, { method: 'DELETE' })).status).toBe(404);
    // The name and prefix are free again.
    await registerIntegration(t, { name: 'doomed', base_url: 'http://127.0.0.1:9', route_prefix: 'doomed' });
  });
});

describe('live revocation of WebSockets', () => {
  let server: Server;
  let wss: WebSocketServer;
  let url: string;
  const registry = createConnectionRegistry();
  // The stand-in endpoint tracks each socket under the principal its ?key= proves, as the
  // gateway's endpoints do.
  let verifyKey: (key: string) => Promise<Principal | null> = async () => null;

  beforeAll(async () => {
    server = createServer();
    wss = new WebSocketServer({ server });
    wss.on('connection', (ws, req) => {
      void verifyKey(new URL(req.url!, 'http://x').searchParams.get('key')!).then((principal) => {
        if (!principal) return ws.close(4001);
        registry.track(principal, ws);
        ws.send('tracked');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    wss.close();
    await new Promise((r) => server.close(r));
  });

  const connect = async (key: string, integrationId: string): Promise<WebSocket> => {
    const ws = new WebSocket(`${url}/?key=${encodeURIComponent(key)}`);
    await new Promise((r, j) => ws.once('message', r).once('close', j).once('error', j));
    expect(registry.count(integrationId)).toBeGreaterThan(0);
    return ws;
  };

  const service = () => {
    const store = createKeyvIntegrationStore(new Keyv());
    const clock = { now: () => Date.now() };
    const hasher = bcryptKeyHasher(4);
    const ctx = {
      stores: { integrations: store },
      bus: createLocalBus({ clock }),
      connections: registry,
      clock,
      logger: silentLogger,
    } as unknown as GatewayContext;
    const verifier = createApiKeyVerifier({ store, hasher, clock });
    verifyKey = (key) => verifier.verify(key);
    return { svc: createIntegrationService({ ctx, hasher, verifier }), verifier };
  };

  it('rotate, disable and delete close the integration’s sockets with 4001 and leave others open', async () => {
    const { svc } = service();
    const a = await svc.register({ name: 'ws-a', base_url: '', route_prefix: '', scopes: ['session:read'], max_sessions: 1 });
    const b = await svc.register({ name: 'ws-b', base_url: '', route_prefix: '', scopes: ['session:read'], max_sessions: 1 });
    const other = await connect(b.api_key, b.integration.id);

    let key = a.api_key;
    const closesOn = async (act: () => Promise<unknown>): Promise<void> => {
      const ws = await connect(key, a.integration.id);
      const done = closed(ws);
      await act();
      expect((await done).code).toBe(4001);
    };
    await closesOn(async () => (key = (await svc.rotate(a.integration.id, 0)).api_key));
    await closesOn(() => svc.update(a.integration.id, { enabled: false }));
    await svc.update(a.integration.id, { enabled: true });
    await closesOn(() => svc.remove(a.integration.id));
    expect(other.readyState).toBe(WebSocket.OPEN);
    other.close();
  });

  it('narrowing scopes closes the sockets; widening them does not', async () => {
    const { svc } = service();
    const a = await svc.register({ name: 'ws-scopes', base_url: '', route_prefix: '', scopes: ['session:read'], max_sessions: 1 });
    const ws = await connect(a.api_key, a.integration.id);
    const done = closed(ws);
    await svc.update(a.integration.id, { scopes: ['session:read', 'provider:read'] });
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    await svc.update(a.integration.id, { scopes: ['provider:read'] });
    expect((await done).code).toBe(4003);
  });

  it('a rotation with grace keeps the old key and its sockets until the grace ends, then closes only those', async () => {
    const { svc, verifier } = service();
    const a = await svc.register({ name: 'ws-grace', base_url: '', route_prefix: '', scopes: ['session:read'], max_sessions: 1 });
    const old = await connect(a.api_key, a.integration.id);
    const done = closed(old);
    const rotated = await svc.rotate(a.integration.id, 1);
    const fresh = await connect(rotated.api_key, a.integration.id);
    expect(await verifier.verify(a.api_key)).toMatchObject({ id: a.integration.id });
    expect(await verifier.verify(rotated.api_key)).toMatchObject({ id: a.integration.id });
    expect(old.readyState).toBe(WebSocket.OPEN);
    expect((await done).code).toBe(4001);
    expect(await verifier.verify(a.api_key)).toBeNull();
    expect(await verifier.verify(rotated.api_key)).toMatchObject({ id: a.integration.id });
    await new Promise((r) => setTimeout(r, 200));
    expect(fresh.readyState).toBe(WebSocket.OPEN);
    fresh.close();
    svc.stop();
  });

  it('a second graced rotation closes the first key’s sockets at once (its grace is over)', async () => {
    const { svc, verifier } = service();
    const a = await svc.register({ name: 'ws-grace-twice', base_url: '', route_prefix: '', scopes: ['session:read'], max_sessions: 1 });
    const first = await connect(a.api_key, a.integration.id);
    const firstClosed = closed(first);
    const second = await svc.rotate(a.integration.id, 600);
    const onSecond = await connect(second.api_key, a.integration.id);
    await svc.rotate(a.integration.id, 600);
    const started = Date.now();
    expect((await firstClosed).code).toBe(4001);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await verifier.verify(a.api_key)).toBeNull();
    // The second key is the grace key now: it and its sockets live on.
    expect(await verifier.verify(second.api_key)).toMatchObject({ id: a.integration.id });
    expect(onSecond.readyState).toBe(WebSocket.OPEN);
    onSecond.close();
    svc.stop();
  });
});
