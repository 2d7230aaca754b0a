import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../src/index.js';
import { Router } from '../src/http/router.js';
import type { Route } from '../src/http/route.js';
import { ADMIN_TOKEN, startGateway, tempDir, type TestGateway } from './support/gateway.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const expectError = async (res: Response, status: number, code: string): Promise<Record<string, unknown>> => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ code, request_id: res.headers.get('x-request-id') });
  expect(typeof body.error).toBe('string');
  return body;
};

describe('HTTP conventions (SPEC §1)', () => {
  it('answers /health publicly with status, version and uptime', async () => {
    t = await startGateway();
    const res = await t.apiJson('/health', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: expect.any(String), uptime_s: expect.any(Number) });
  });

  it('answers 503 degraded when the store becomes unreachable', async () => {
    // A Map-backed store that starts healthy and then loses its disk.
    const data = new Map<string, unknown>();
    let broken = false;
    const check = (): void => {
      if (broken) throw new Error('disk gone');
    };
    const store = {
      get: async (k: string) => (check(), data.get(k)),
      set: async (k: string, v: unknown) => (check(), data.set(k, v), true),
      delete: async (k: string) => (check(), data.delete(k)),
      clear: async () => (check(), data.clear()),
    };
    t = await startGateway({ storage: new Keyv({ store: store as never }) });
    expect((await t.apiJson('/health', { token: null })).status).toBe(200);
    broken = true;
    const res = await t.apiJson('/health', { token: null });
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
  });

  it('answers an unknown route with 404 not_found, inside and outside /api/v1', async () => {
    t = await startGateway();
    await expectError(await t.api('/no/such/route'), 404, 'not_found');
    await expectError(await fetch(`${t.url}/elsewhere`), 404, 'not_found');
  });

  it('answers a wrong method with 405 and Allow', async () => {
    t = await startGateway();
    const res = await t.api('/health', { method: 'DELETE' });
    await expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toContain('GET');
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    t = await startGateway();
    const res = await t.api('/auth/login', { method: 'POST', body: '{"username":', headers: { 'content-type': 'application/json' } });
    await expectError(res, 400, 'invalid_json');
  });

  it('answers a content type that is not JSON-alike with 415', async () => {
    t = await startGateway();
    const res = await t.api('/auth/login', { method: 'POST', body: 'username=a', headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    await expectError(res, 415, 'unsupported_media_type');
    // What curl -d sends is read as JSON (SPEC §1): these bytes are not JSON, so 400.
    const form = await t.api('/auth/login', { method: 'POST', body: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expectError(form, 400, 'invalid_json');
  });

  it('answers an oversized body with 413, declared or streamed', async () => {
    t = await startGateway({ bodyLimitBytes: 1024 });
    const big = JSON.stringify({ username: 'a'.repeat(4096), password: 'b' });
    await expectError(await t.api('/auth/login', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
    // Chunked, no Content-Length: the cap still holds.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413, 'payload_too_large');
  });

  it('answers wrong field types with 400 naming the field, and ignores unknown fields', async () => {
    t = await startGateway();
    const body = await expectError(await t.api('/auth/login', { method: 'POST', body: { username: 42, password: 'x' } }), 400, 'validation_failed');
    expect(body.error).toContain('username');
    await expectError(await t.api('/auth/login', { method: 'POST', body: [1, 2] }), 400, 'validation_failed');
    const res = await t.api('/auth/login', { method: 'POST', body: { username: 'nobody', password: 'x', extra: true } });
    expect(res.status).toBe(401);
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    t = await startGateway();
    const sane = await t.api('/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(sane.headers.get('x-request-id')).toBe('abc-123');
    const insane = await t.api('/health', { headers: { 'x-request-id': 'a b<script>' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('mounts into a host app next to its own routes', async () => {
    const gateway = await createGateway({ bcryptCost: 4, auth: { adminToken: ADMIN_TOKEN } });
    const host = createServer((req, res) => gateway.handler(req, res, () => res.end('host route')));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/mine`)).text()).toBe('host route');
      expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
    } finally {
      host.close();
      await gateway.close();
    }
  });
});

describe('route table', () => {
  const handler = (): never => {
    throw new Error('unused');
  };

  it('refuses a route without a declared access scope', () => {
    const noScope = { method: 'GET', path: '/x', handler } as unknown as Route;
    expect(() => new Router([noScope])).toThrow(/declares no access/);
  });

  it('refuses duplicate and malformed templates', () => {
    expect(() => new Router([{ method: 'GET', path: '/a/{id}', access: 'admin', handler }, { method: 'GET', path: '/a/{other}', access: 'admin', handler }])).toThrow(/duplicate/);
    expect(() => new Router([{ method: 'GET', path: '/a/{id', access: 'admin', handler }])).toThrow(/malformed/);
    expect(() => new Router([{ method: 'GET', path: 'no-slash', access: 'admin', handler }])).toThrow(/start with/);
  });

  it('prefers literal segments over parameters', () => {
    const router = new Router([
      { method: 'GET', path: '/integrations/{id}', access: 'admin', handler },
      { method: 'GET', path: '/integrations/_calls', access: 'admin', handler },
    ]);
    const hit = router.lookup('GET', '/integrations/_calls');
    expect(hit && 'found' in hit && hit.found.route.path).toBe('/integrations/_calls');
    const param = router.lookup('GET', '/integrations/int_x');
    expect(param && 'found' in param && param.found.params).toEqual({ id: 'int_x' });
  });

  it('gives every route of a real gateway a declared access', async () => {
    t = await startGateway();
    expect(t.gateway.routes.length).toBeGreaterThan(0);
    for (const route of t.gateway.routes) expect(route.access, `${route.method} ${route.path}`).toBeTruthy();
  });
});

describe('admin auth (SPEC §2.1)', () => {
  const admin = { username: 'root', password: 'correct horse battery' };

  it('logs in, answers /auth/me, and logs out', async () => {
    t = await startGateway({ auth: { admin } });
    const login = await t.apiJson('/auth/login', { method: 'POST', token: null, body: admin });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ token: expect.stringMatching(/^odt_/), username: 'root', issued_at: expect.any(String), expires_at: expect.any(String) });
    expect(Date.parse(login.body.expires_at) - Date.parse(login.body.issued_at)).toBe(86_400_000);
    const me = await t.apiJson('/auth/me', { token: login.body.token });
    expect(me.body).toEqual({ kind: 'admin', id: 'admin', username: 'root' });
    expect((await t.api('/auth/logout', { method: 'POST', token: login.body.token })).status).toBe(204);
    await expectError(await t.api('/auth/me', { token: login.body.token }), 401, 'unauthorized');
  });

  it('refuses bad credentials with 401 invalid credentials', async () => {
    t = await startGateway({ auth: { admin } });
    for (const body of [{ ...admin, password: 'wrong' }, { ...admin, username: 'other' }]) {
      const res = await t.api('/auth/login', { method: 'POST', token: null, body });
      const err = await expectError(res, 401, 'unauthorized');
      expect(err.error).toBe('invalid credentials');
    }
  });

  it('answers missing, malformed and unknown bearer tokens with the same 401', async () => {
    t = await startGateway({ auth: { admin } });
    const bodies = [];
    const variants: Record<string, string>[] = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer odt_nope' }];
    for (const headers of variants) {
      const res = await fetch(`${t.url}/api/v1/auth/me`, { headers });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="opendray"');
      const body = await expectError(res, 401, 'unauthorized');
      bodies.push(body.error);
    }
    expect(new Set(bodies).size).toBe(1);
  });

  it('expires tokens after their TTL', async () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    t = await startGateway({ auth: { admin, tokenTtlMs: 60_000 }, clock: { now: () => now } });
    const login = await t.apiJson('/auth/login', { method: 'POST', token: null, body: admin });
    expect(login.body.expires_at).toBe('2026-01-01T00:01:00.000Z');
    expect((await t.api('/auth/me', { token: login.body.token })).status).toBe(200);
    now += 60_001;
    await expectError(await t.api('/auth/me', { token: login.body.token }), 401, 'unauthorized');
  });

  it('rate-limits failed logins per address with 429 and Retry-After', async () => {
    t = await startGateway({ auth: { admin, loginRateLimit: { max: 3, windowMs: 60_000 } } });
    for (let i = 0; i < 3; i++) {
      expect((await t.api('/auth/login', { method: 'POST', token: null, body: { ...admin, password: 'no' } })).status).toBe(401);
    }
    const limited = await t.api('/auth/login', { method: 'POST', token: null, body: admin });
    await expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('rate-limits refused bearer tokens per address', async () => {
    t = await startGateway({ auth: { credentialRateLimit: { max: 2, windowMs: 60_000 } } });
    expect((await t.api('/auth/me', { token: 'bad-1' })).status).toBe(401);
    expect((await t.api('/auth/me', { token: 'bad-2' })).status).toBe(401);
    const limited = await t.api('/auth/me', { token: 'bad-3' });
    await expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });

  it('accepts the static admin token', async () => {
    t = await startGateway();
    const me = await t.apiJson('/auth/me');
    expect(me.body.kind).toBe('admin');
  });

  it('keeps login tokens across a restart on the same SQLite file, stored hashed', async () => {
    const dir = await tempDir();
    const storage = `sqlite://${dir.path}/opendray.sqlite`;
    try {
      t = await startGateway({ storage, auth: { admin } });
      const login = await t.apiJson('/auth/login', { method: 'POST', token: null, body: admin });
      await t.close();
      t = await startGateway({ storage, auth: { admin } });
      expect((await t.apiJson('/auth/me', { token: login.body.token })).body.username).toBe('root');
      await t.close();
      t = undefined;
      const { readFile } = await import('node:fs/promises');
      const raw = await readFile(`${dir.path}/opendray.sqlite`);
      expect(raw.includes(Buffer.from(login.body.token))).toBe(false);
    } finally {
      await dir.remove();
    }
  });
});

describe('misconfiguration', () => {
  it('throws a TypeError naming the option', async () => {
    await expect(createGateway({ port: 70000 })).rejects.toThrow(/port/);
    await expect(createGateway({ bodyLimitBytes: -1 })).rejects.toThrow(/bodyLimitBytes/);
    await expect(createGateway({ storage: 'postgres://x' })).rejects.toThrow(/storage/);
  });
});
