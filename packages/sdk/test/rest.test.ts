import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../../core/test/support/gateway.js';
import { closedPort, startUpstream, type Upstream } from '../../core/test/support/upstream.js';
import { OpendrayClient, OpendrayError, isOpendrayError } from '../src/index.js';

let t: TestGateway;
let admin: OpendrayClient;

beforeAll(async () => {
  t = await startGateway({ auth: { admin: { username: 'root', password: 'correct horse battery' } } });
  admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
});
afterAll(() => t.close());

/** Resolves with the error a call rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<OpendrayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpendrayError);
  return err as OpendrayError;
}

describe('public routes and admin auth', () => {
  it('health answers without a token (a trailing /api/v1 in baseUrl is tolerated)', async () => {
    const anon = new OpendrayClient({ baseUrl: `${t.url}/api/v1/` });
    const health = await anon.health();
    expect(health.status).toBe('ok');
    expect(typeof health.uptime_s).toBe('number');
  });

  it("calls fetch unbound, as a browser's window.fetch requires (else: Illegal invocation)", async () => {
    // A browser's fetch throws when `this` is anything but the window (or undefined).
    function strictFetch(this: unknown, input: string, init?: RequestInit): Promise<Response> {
      if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
      return fetch(input, init);
    }
    const client = new OpendrayClient({ baseUrl: t.url, fetch: strictFetch });
    expect((await client.health()).status).toBe('ok');
    await client.login('root', 'correct horse battery');
    expect((await client.createWsTicket()).ticket).toMatch(/^odw_/);
  });

  it('openapi answers without a token', async () => {
    const doc = await new OpendrayClient({ baseUrl: t.url }).openapi();
    expect(String(doc.openapi)).toMatch(/^3\.1/);
  });

  it('login adopts the token; me names the admin; logout revokes it', async () => {
    const client = new OpendrayClient({ baseUrl: t.url });
    const res = await client.login('root', 'correct horse battery');
    expect(res.username).toBe('root');
    expect(client.token).toBe(res.token);
    expect(await client.me()).toMatchObject({ kind: 'admin', username: 'root' });

    const stale = new OpendrayClient({ baseUrl: t.url, token: res.token });
    await client.logout();
    expect(client.token).toBeUndefined();
    const err = await failure(stale.me());
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('a wrong password is a 401 OpendrayError with the gateway body', async () => {
    const err = await failure(new OpendrayClient({ baseUrl: t.url }).login('root', 'nope'));
    expect(err.status).toBe(401);
    expect(err.code).toBe('unauthorized');
    expect(typeof err.body === 'object' && err.body.error).toBeTruthy();
  });
});

describe('integrations (admin)', () => {
  it('create, list, get, update, rotate, delete', async () => {
    const created = await admin.createIntegration({ name: 'sdk-crud', scopes: ['session:read'] });
    expect(created.api_key).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
    const id = created.integration.id;

    const list = await admin.listIntegrations();
    expect(list.map((i) => i.id)).toContain(id);
    expect((await admin.getIntegration(id)).name).toBe('sdk-crud');

    const updated = await admin.updateIntegration(id, { version: '2.0.0', max_sessions: 3 });
    expect(updated).toMatchObject({ version: '2.0.0', max_sessions: 3 });

    const own = new OpendrayClient({ baseUrl: t.url, token: created.api_key });
    expect(await own.me()).toMatchObject({ kind: 'integration', id });

    const rotated = await admin.rotateKey(id);
    expect(rotated.api_key).not.toBe(created.api_key);
    expect((await failure(own.me())).status).toBe(401);
    own.setToken(rotated.api_key);
    expect((await own.me()).id).toBe(id);

    await admin.deleteIntegration(id);
    const gone = await failure(admin.getIntegration(id));
    expect(gone).toMatchObject({ status: 404, code: 'not_found' });
    expect(gone.requestId).toBeTruthy();
  });

  it('gateway refusals keep their code: validation_failed, conflict, missing_scope', async () => {
    const bad = await failure(admin.createIntegration({ name: '' }));
    expect(bad).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(bad.message).toMatch(/name/);

    const first = await admin.createIntegration({ name: 'sdk-dup' });
    expect((await failure(admin.createIntegration({ name: 'sdk-dup' }))).code).toBe('conflict');

    const integration = new OpendrayClient({ baseUrl: t.url, token: first.api_key });
    const denied = await failure(integration.createSession({}));
    expect(denied).toMatchObject({ status: 403, code: 'missing_scope' });
    expect(isOpendrayError(denied, 'missing_scope')).toBe(true);
  });

  it('listCalls pages through the call log; iterateCalls follows next_cursor', async () => {
    const { integration, api_key } = await admin.createIntegration({ name: 'sdk-calls' });
    const client = new OpendrayClient({ baseUrl: t.url, token: api_key });
    for (let i = 0; i < 3; i++) await client.me();
    let page = await admin.listCalls({ integration_id: integration.id, limit: 100 });
    for (let i = 0; page.entries.length < 3 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the call log writes in batches
      page = await admin.listCalls({ integration_id: integration.id, limit: 100 });
    }
    expect(page.entries.length).toBe(3);
    expect(page.entries.every((e) => e.route === '/auth/me' && e.direction === 'inbound')).toBe(true);

    const walked = [];
    for await (const entry of admin.iterateCalls({ integration_id: integration.id, limit: 1 })) walked.push(entry.id);
    expect(walked).toEqual(page.entries.map((e) => e.id));
  });

  it('proxy returns the upstream answer as a Response', async () => {
    const upstream: Upstream = await startUpstream();
    try {
      await admin.createIntegration({ name: 'sdk-proxy', base_url: upstream.url, route_prefix: 'sdk-proxy' });
      const res = await admin.proxy('sdk-proxy', '/echo/path', { query: { a: 1 } });
      expect(res.status).toBe(200);
      const seen = (await res.json()) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/echo/path?a=1');
      expect(seen.headers.authorization).toBeUndefined();
    } finally {
      await upstream.close();
    }
  });
});

describe('apiCall and transport errors', () => {
  it('apiCall takes paths with or without /api/v1 and a query in the path', async () => {
    const viaV2Style = await admin.apiCall<{ integrations: unknown[] }>('/api/v1/integrations');
    const relative = await admin.apiCall<{ integrations: unknown[] }>('integrations');
    expect(viaV2Style.integrations.length).toBe(relative.integrations.length);
    const calls = await admin.apiCall<{ entries: unknown[] }>('/integrations/_calls?limit=1', { query: { direction: 'inbound' } });
    expect(calls.entries.length).toBeLessThanOrEqual(1);
  });

  it('the v2 constructor shape ({ base }) works', async () => {
    const v2 = new OpendrayClient({ base: t.url, token: ADMIN_TOKEN });
    expect(v2.base).toBe(t.url);
    expect((await v2.me()).kind).toBe('admin');
  });

  it('an unreachable gateway is network_error', async () => {
    const client = new OpendrayClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    expect(await failure(client.health())).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('no answer within timeoutMs is timeout; an aborted signal is aborted', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer(() => undefined); // accepts, never answers
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const client = new OpendrayClient({ baseUrl: url, timeoutMs: 200 });
      expect(await failure(client.health())).toMatchObject({ status: 0, code: 'timeout' });
      const controller = new AbortController();
      const pending = new OpendrayClient({ baseUrl: url, timeoutMs: 0 }).health({ signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await failure(pending)).toMatchObject({ status: 0, code: 'aborted' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('an injected fetch is used', async () => {
    const seen: string[] = [];
    const client = new OpendrayClient({
      baseUrl: t.url,
      token: ADMIN_TOKEN,
      fetch: (input, init) => {
        seen.push(`${init?.method} ${input}`);
        return fetch(input, init);
      },
    });
    await client.listIntegrations();
    expect(seen).toEqual([`GET ${t.url}/api/v1/integrations`]);
  });

  it('a bad baseUrl is a TypeError naming the option', () => {
    expect(() => new OpendrayClient({ baseUrl: 'localhost:8770' })).toThrow(/baseUrl/);
  });
});
