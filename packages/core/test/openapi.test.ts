import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/index.js';
import * as wire from '@opendray/sdk/wire';
import { openApiPath, type OpenApiDocument } from '../src/openapi/document.js';
import { ADMIN_TOKEN, closed, nextMessage, openWs, registerIntegration, startGateway, tempDir, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { fakeAgentProvider, hookTokenOf } from './support/agent-fakes.js';
import { createChecker, operationsOf, structuralProblems, type Checker } from './support/openapi-checker.js';
import { createRecorder } from './support/openapi-recorder.js';
import { startUpstream, type Upstream } from './support/upstream.js';
import { startWebhookStandIn, type WebhookStandIn } from './support/webhook-stand-in.js';

const operationKey = (method: string, template: string): string => `${method.toUpperCase()} ${template}`;
const ALL_SCOPES = ['session:read', 'session:create', 'session:input', 'provider:read', 'provider:write', 'channel:send', 'channel:receive', 'event:subscribe:*'];
const MISSING_SESSION = 'ses_AAAAAAAAAAAA';

const recorder = createRecorder();
const { call } = recorder;
let t: TestGateway;
let doc: OpenApiDocument;
let checker: Checker;
let dir: { path: string; remove: () => Promise<void> };
let upstream: Upstream;
let standIn: WebhookStandIn;
/** An integration granted every scope, one with the default scopes, and a proxied one. */
let full: { key: string; id: string };
let narrow: { key: string; id: string };
let checkedUpTo = 0;

/** Every exchange since the last call that disagrees with the document, and why. */
function disagreements(): string[] {
  const fresh = recorder.exchanges.slice(checkedUpTo);
  checkedUpTo = recorder.exchanges.length;
  return fresh.flatMap((x) => [...checker.check(x), ...(x.status < 300 ? checker.checkRequest(x) : [])]);
}

beforeAll(async () => {
  dir = await tempDir('opendray-openapi-');
  upstream = await startUpstream({ websocket: (ws) => ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })) });
  standIn = await startWebhookStandIn();
  t = await startGateway({
    workspaceRoot: dir.path,
    auth: { admin: { username: 'admin', password: 'correct horse battery' }, loginRateLimit: { max: 2, windowMs: 60_000 } },
    hooks: { onResponse: [recorder.hook] },
    providers: [fakeAgentProvider('claude')],
  });
  recorder.use(t);
  const res = await call('/openapi.json', { token: null });
  expect(res.status).toBe(200);
  doc = res.json();
  checker = createChecker(doc);
  const a = await registerIntegration(t, { name: 'oa-full', scopes: ALL_SCOPES });
  full = { key: a.api_key, id: a.integration.id };
  const b = await registerIntegration(t, { name: 'oa-narrow' });
  narrow = { key: b.api_key, id: b.integration.id };
});

afterAll(async () => {
  await t?.close();
  await upstream?.close();
  await standIn?.close();
  await dir?.remove();
});

describe('GET /api/v1/openapi.json', () => {
  it('documents every route of the table and every WebSocket, from the rows themselves', () => {
    const table = new Set(t.gateway.routes.map((r) => operationKey(r.method, r.path)));
    for (const route of t.gateway.routes) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()] as Record<string, any> | undefined;
      expect(op, `${route.method} ${route.path} has no operation`).toBeDefined();
      expect(op!['x-opendray-scope']).toEqual(typeof route.access === 'string' ? route.access : { anyOf: [...route.access.anyOf] });
      expect(op!.summary).toBe(route.summary);
      expect(op!.operationId).toBe(route.operationId);
      for (const status of Object.keys(route.response)) expect(op!.responses[status === '0' ? 'default' : status], `${route.path} ${status}`).toBeDefined();
      for (const status of Object.keys(route.errors ?? {})) expect(op!.responses[status], `${route.path} ${status}`).toBeDefined();
    }
    const real = new Set(t.gateway.upgrades.map((u) => u.path));
    for (const u of t.gateway.upgrades) expect(u.doc, `${u.path} has no doc`).toBeDefined();
    const websockets = operationsOf(doc).filter(({ op }) => op.responses['101']);
    expect(new Set(websockets.map(({ path }) => path))).toEqual(new Set([...real].map(openApiPath)));
    for (const { path, method, op } of operationsOf(doc)) {
      const known = [...table].some((key) => openApiPath(key) === `${method.toUpperCase()} ${path}`);
      expect(known || (method === 'get' && websockets.some((w) => w.path === path)), `${method} ${path} documents no real route`).toBe(true);
      expect(op['x-opendray-undocumented'], `${method} ${path} is undocumented`).toBeUndefined();
    }
    // The exported builder gives what the route serves.
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument(t.gateway.routes, t.gateway.upgrades)))).toEqual(doc);
  });

  it('has a component for every schema of @opendray/sdk/wire, and wire declares no shape by hand', async () => {
    const components = (doc.components as any).schemas as Record<string, unknown>;
    const named = Object.values(wire).map((v) => wire.schemaName(v)).filter((n): n is string => n !== undefined);
    expect(named.length).toBeGreaterThan(40);
    expect(named.filter((name) => !(name in components))).toEqual([]);
    for (const schema of Object.values(wire.TOPIC_SCHEMAS)) expect(components[wire.schemaName(schema)!]).toBeDefined();
    // Every exported type of a shape is the static type of a schema: no hand-written copy.
    const dir = new URL('../../sdk/src/wire/', import.meta.url);
    const files = ['auth', 'calls', 'channels', 'errors', 'events', 'integrations', 'kit', 'providers', 'scopes', 'sessions', 'stream'];
    const source = (await Promise.all(files.map((f) => readFile(new URL(`${f}.ts`, dir), 'utf8')))).join('\n');
    const handWritten = [...source.matchAll(/^export (?:interface|type) (\w+)(?:<[^>]*>)? (?:extends [^{]*)?[={]\s*([^;\n]*)/gm)]
      .filter(([, , rhs]) => !/^Static<|^\(typeof |^keyof |^\{ \[K in|^`|^FixedScope|^Static/.test(rhs!.trim()))
      .map(([, name]) => name);
    // TopicFrame<K> maps the topic map (itself Static-derived); nothing else may be written by hand.
    expect(handWritten).toEqual(['TopicFrame']);
  });

  it('is a structurally valid OpenAPI 3.1 document whose $refs all resolve', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe('/api/v1');
    expect(structuralProblems(doc)).toEqual([]);
    // Every schema compiles under Ajv 2020-12 strict mode (meta-schema valid, no unknown keywords).
    for (const name of Object.keys((doc.components as any).schemas)) {
      expect(() => checker.validateComponent(name, null), name).not.toThrow();
    }
    expect(structuralProblems({ ...doc, paths: { '/x/{id}': { get: { operationId: 'x', tags: [], parameters: [], responses: { 200: { $ref: '#/nope' } } } } } })).toHaveLength(3);
  });

  it('refuses exchanges that disagree with it, and allows additive fields', () => {
    const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': 'r1' });
    const health = { method: 'GET', template: '/health', status: 200, headers, body: Buffer.from('{"status":"ok","version":"1","uptime_s":3,"new_field":true}') };
    expect(checker.check(health)).toEqual([]);
    expect(checker.check({ ...health, body: Buffer.from('{"status":"ok","version":"1"}') })).not.toEqual([]);
    expect(checker.check({ ...health, body: Buffer.from('{"status":"fine","version":"1","uptime_s":3}') })).not.toEqual([]);
    expect(checker.check({ ...health, status: 418 })).not.toEqual([]);
    expect(checker.check({ ...health, headers: new Headers({ 'content-type': 'application/json' }) })).not.toEqual([]);
    expect(checker.check({ ...health, headers: new Headers({ 'content-type': 'text/html', 'x-request-id': 'r1' }) })).not.toEqual([]);
    expect(checker.check({ ...health, template: '/no/such/route' })).not.toEqual([]);
    const unauthorized = { method: 'GET', template: '/sessions', status: 401, headers, body: Buffer.from('{"error":"unauthorized","code":"unauthorized"}') };
    expect(checker.check(unauthorized).join()).toContain('WWW-Authenticate');
    const withChallenge = new Headers({ 'content-type': 'application/json', 'x-request-id': 'r1', 'www-authenticate': 'Bearer realm="opendray"' });
    expect(checker.check({ ...unauthorized, headers: withChallenge })).toEqual([]);
    expect(checker.check({ ...unauthorized, headers: withChallenge, body: Buffer.from('{"error":"x","code":"no_such_code"}') })).not.toEqual([]);
    const resize = { method: 'POST', template: '/sessions/{id}/resize', status: 204, headers, body: Buffer.alloc(0) };
    expect(checker.checkRequest({ ...resize, requestBody: { cols: 80, rows: 24 } })).toEqual([]);
    expect(checker.checkRequest({ ...resize, requestBody: { cols: 'wide', rows: 24 } })).not.toEqual([]);
    expect(checker.check({ ...resize, body: Buffer.from('unexpected') })).not.toEqual([]);
  });

  it('answers the health, auth, integration and call-log routes as documented', async () => {
    expect((await call('/health', { token: null })).status).toBe(200);
    expect((await call('/asyncapi.json', { token: null })).json().asyncapi).toBe('3.0.0');
    const login = await call('/auth/login', { method: 'POST', token: null, body: { username: 'admin', password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    const adminToken: string = login.json().token;
    expect((await call('/auth/me', { token: adminToken })).json().kind).toBe('admin');
    expect((await call('/auth/me', { token: full.key })).json().kind).toBe('integration');
    expect((await call('/auth/ws-ticket', { method: 'POST', token: adminToken })).json().ticket).toMatch(/^odw_/);
    expect((await call('/auth/logout', { method: 'POST', token: adminToken })).status).toBe(204);
    expect((await call('/auth/me', { token: adminToken })).status).toBe(401);
    expect((await call('/auth/login', { method: 'POST', token: null, body: { username: 'admin' } })).status).toBe(400);
    const failures = [];
    for (let i = 0; i < 3; i++) failures.push((await call('/auth/login', { method: 'POST', token: null, body: { username: 'admin', password: 'wrong' } })).status);
    expect(failures).toEqual([401, 401, 429]);

    const created = await call('/integrations', { method: 'POST', body: { name: 'oa-temp', scopes: ['session:read'], max_sessions: 2 } });
    expect(created.status).toBe(201);
    const tempId: string = created.json().integration.id;
    const proxied = await call('/integrations', { method: 'POST', body: { name: 'oa-up', base_url: upstream.url, route_prefix: 'oa-up' } });
    expect(proxied.json().signing_secret).toEqual(expect.any(String));
    expect((await call('/integrations', { method: 'POST', body: { name: 'oa-temp' } })).status).toBe(409);
    expect((await call('/integrations', { method: 'POST', body: { name: 5 } })).status).toBe(400);
    expect((await call('/integrations', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call('/integrations', { method: 'POST', body: '<name/>', headers: { 'content-type': 'application/xml' } })).status).toBe(415);
    expect((await call('/integrations')).json().integrations.length).toBeGreaterThanOrEqual(4);
    expect((await call(`/integrations/${tempId}`)).status).toBe(200);
    expect((await call('/integrations/int_AAAAAAAAAAAA')).status).toBe(404);
    expect((await call(`/integrations/${tempId}`, { method: 'PATCH', body: { version: '2.0.0', max_sessions: 3 } })).json().version).toBe('2.0.0');
    expect((await call(`/integrations/${tempId}/rotate-key`, { method: 'POST', body: { grace_seconds: 30 } })).status).toBe(200);
    expect((await call(`/integrations/${tempId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/integrations', { token: full.key })).status).toBe(403);
    expect((await call('/integrations', { token: 'odk_live_' + 'A'.repeat(43) })).status).toBe(401);
    expect((await call('/integrations/_calls?limit=5')).json().entries.length).toBeGreaterThan(0);
    expect((await call('/integrations/_calls?limit=0')).status).toBe(400);
    expect(disagreements()).toEqual([]);
  });

  it('answers the session and provider routes as documented (real shell PTY)', async () => {
    const created = await call('/sessions', { method: 'POST', token: full.key, body: { provider_id: 'shell', cwd: dir.path, cols: 80, rows: 24, name: 'oa' } });
    expect(created.status).toBe(201);
    const id: string = created.json().id;
    const base = `/sessions/${id}`;
    expect((await call('/sessions', { token: full.key })).json().sessions.map((s: any) => s.id)).toContain(id);
    expect((await call('/sessions?state=running&provider_id=shell')).status).toBe(200);
    expect((await call('/sessions?state=bogus')).status).toBe(400);
    expect((await call(base, { token: full.key })).json().state).toMatch(/running|idle/);
    expect((await call(base, { token: narrow.key })).status).toBe(404);
    expect((await call(`/sessions/${MISSING_SESSION}`)).status).toBe(404);
    expect((await call('/sessions', { method: 'POST', token: narrow.key, body: {} })).status).toBe(403);
    expect((await call('/sessions', { token: null })).status).toBe(401);
    expect((await call('/sessions', { method: 'POST', body: { cwd: `${dir.path}/missing` } })).status).toBe(400);
    expect((await call('/sessions', { method: 'POST', body: { name: 'x'.repeat(1_100_000) } })).status).toBe(413);

    expect((await call(`${base}/input`, { method: 'POST', token: full.key, body: { data: 'echo openapi-$((40+2))\n' } })).status).toBe(204);
    await waitForOutput(t, id, 'openapi-42');
    expect((await call(`${base}/input`, { method: 'POST', body: { text: 'echo typed' } })).status).toBe(204);
    expect((await call(`${base}/input`, { method: 'POST', body: { keys: ['Enter', 'C-l'] } })).status).toBe(204);
    expect((await call(`${base}/input`, { method: 'POST', body: { keys: ['NoSuchKey'] } })).status).toBe(400);
    expect((await call(`${base}/resize`, { method: 'POST', body: { cols: 100, rows: 30 } })).status).toBe(204);
    expect((await call(`${base}/resize`, { method: 'POST', body: { cols: 0, rows: 30 } })).status).toBe(400);
    expect((await call(`${base}/buffer?since=0`)).body.toString()).toContain('openapi-42');
    expect((await call(`${base}/buffer?since=x`)).status).toBe(400);
    await waitForOutput(t, id, 'typed');
    expect((await call(`${base}/history?limit=10`)).json().entries.length).toBeGreaterThan(0);
    expect((await call(`${base}/screen`)).json().cols).toBe(100);
    expect((await call(`${base}/screen?format=ansi`)).status).toBe(200);
    expect((await call(`${base}/screen?format=svg`)).status).toBe(400);

    expect((await call(`${base}/stop`, { method: 'POST' })).json().state).toBe('stopped');
    expect((await call(`${base}/input`, { method: 'POST', body: { data: 'x' } })).status).toBe(409);
    expect((await call(`${base}/start`, { method: 'POST' })).json().state).toMatch(/running|idle/);
    expect((await call(`${base}/start`, { method: 'POST' })).status).toBe(409);
    expect((await call(base, { method: 'DELETE' })).status).toBe(204);
    expect((await call(base)).status).toBe(404);

    expect((await call('/providers', { token: full.key })).json().providers.map((p: any) => p.id)).toContain('shell');
    expect((await call('/providers/shell', { token: full.key })).status).toBe(200);
    expect((await call('/providers/nope')).status).toBe(404);
    expect((await call('/providers', { token: narrow.key })).status).toBe(403);
    expect((await call('/providers/shell/config', { method: 'PATCH', body: { extra_args: [] } })).status).toBe(200);
    expect((await call('/providers/shell/config', { method: 'PATCH', body: { extra_args: 5 } })).status).toBe(400);
    expect(disagreements()).toEqual([]);
  });

  it('answers the channel routes as documented (webhook kind, local target)', async () => {
    const secret = 's'.repeat(32);
    const created = await call('/channels', { method: 'POST', body: { kind: 'webhook', name: 'oa-hook', config: { url: `${standIn.url}/hook`, secret } } });
    expect(created.status).toBe(201);
    const base = `/channels/${created.json().id}`;
    expect((await call('/channels', { method: 'POST', body: { kind: 'webhook', name: 'oa-hook' } })).status).toBe(409);
    expect((await call('/channels', { method: 'POST', body: { name: 'no kind' } })).status).toBe(400);
    expect((await call('/channels')).json().channels.length).toBe(1);
    expect((await call('/channels', { token: full.key })).json().channels[0].config.secret).toBe('********');
    expect((await call('/channels', { token: narrow.key })).status).toBe(403);
    expect((await call(base)).json().config.secret).toBe(secret);
    expect((await call('/channels/ch_AAAAAAAAAAAA')).status).toBe(404);
    expect((await call(base, { method: 'PATCH', body: { name: 'oa-hook-2' } })).json().name).toBe('oa-hook-2');
    expect((await call(`${base}/test`, { method: 'POST', body: {} })).json().ok).toBe(true);
    expect((await call(`${base}/messages`, { method: 'POST', token: full.key, body: { text: 'hello', conversation_id: 'c1' } })).status).toBe(202);
    standIn.status = 500;
    expect((await call(`${base}/messages`, { method: 'POST', body: { text: 'fails' } })).status).toBe(502);
    expect((await call(`${base}/test`, { method: 'POST', body: { text: 'fails too' } })).json().ok).toBe(false);
    standIn.status = 200;
    expect((await call(`${base}/messages`, { method: 'POST', body: {} })).status).toBe(400);
    expect((await call(`${base}/webhook`, { method: 'POST', token: secret, body: { text: 'hi', author: 'bob', conversation_id: 7 } })).json().received).toBe(1);
    expect((await call(`${base}/webhook`, { method: 'POST', token: 'w'.repeat(32), body: { text: 'hi' } })).status).toBe(401);
    expect((await call(base, { method: 'DELETE' })).status).toBe(204);
    expect(disagreements()).toEqual([]);
  });

  it('answers the proxy routes as documented, every method', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']) {
      for (const path of ['/proxy/oa-up', '/proxy/oa-up/deep/path?x=1']) {
        const body = method === 'GET' || method === 'HEAD' ? undefined : 'payload';
        const res = await call(path, { method, body, headers: body ? { 'content-type': 'text/plain' } : {} });
        expect(res.status, `${method} ${path}`).toBe(200);
      }
    }
    expect((await call('/proxy/no-such-prefix/x')).status).toBe(404);
    expect((await call('/proxy/oa-up/x', { token: full.key })).status).toBe(403);
    expect(disagreements()).toEqual([]);
  });

  it('opens and refuses the WebSocket endpoints as documented', async () => {
    const events = await openWs(`${t.wsUrl}/api/v1/integrations/_events?topics=session.*`, { token: full.key });
    recorder.opened('/integrations/_events');
    const hello = await nextMessage(events, (m) => m.topic === '_hello');
    expect([...checker.validateComponent('EventFrame', hello), ...checker.validateComponent('HelloData', hello.data)]).toEqual([]);
    const session = (await call('/sessions', { method: 'POST', token: full.key, body: { cwd: dir.path } })).json();
    expect(checker.validateComponent('EventFrame', await nextMessage(events, (m) => m.topic === 'session.started'))).toEqual([]);
    events.close();

    const stream = await openWs(`${t.wsUrl}/api/v1/sessions/${session.id}/stream`, { token: full.key, protocols: 'opendray.v2' });
    recorder.opened('/sessions/{id}/stream');
    expect(checker.validateComponent('StreamServerControl', await nextMessage(stream, (m, binary) => !binary && m.type === 'hello'))).toEqual([]);
    expect(checker.validateComponent('StreamClientControl', { type: 'resize', cols: 90, rows: 20 })).toEqual([]);
    stream.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
    expect(checker.validateComponent('StreamServerControl', await nextMessage(stream, (m, binary) => !binary && m.type === 'resize'))).toEqual([]);
    await call(`/sessions/${session.id}/stop`, { method: 'POST', token: full.key });
    expect(checker.validateComponent('StreamServerControl', await nextMessage(stream, (m, binary) => !binary && m.type === 'ended'))).toEqual([]);
    await closed(stream);

    for (const path of ['/proxy/oa-up', '/proxy/oa-up/socket']) {
      const ws = await openWs(`${t.wsUrl}/api/v1${path}`, { token: ADMIN_TOKEN });
      recorder.opened(path === '/proxy/oa-up' ? '/proxy/{prefix}' : '/proxy/{prefix}/*');
      ws.send('ping');
      expect(String(await nextMessage(ws))).toBe('ping');
      ws.close();
    }

    const refusals = [
      await recorder.refusedUpgrade('/integrations/_events', '/integrations/_events?topics=', full.key),
      await recorder.refusedUpgrade('/integrations/_events', '/integrations/_events?topics=channel.*', narrow.key),
      await recorder.refusedUpgrade('/integrations/_events', '/integrations/_events?topics=session.*', null),
      await recorder.refusedUpgrade('/sessions/{id}/stream', `/sessions/${session.id}/stream?since=x`, ADMIN_TOKEN),
      await recorder.refusedUpgrade('/proxy/{prefix}/*', '/proxy/no-such-prefix/x', ADMIN_TOKEN),
    ];
    expect(refusals.map((r) => r.status)).toEqual([400, 403, 401, 400, 404]);
    // A gone session is not refused: `{"type":"ended"}`, then 1001 (SPEC §16).
    const gone = await openWs(`${t.wsUrl}/api/v1/sessions/${MISSING_SESSION}/stream`, { token: ADMIN_TOKEN });
    expect(checker.validateComponent('StreamEnded', await nextMessage(gone))).toEqual([]);
    expect((await closed(gone)).code).toBe(1001);
    expect(disagreements()).toEqual([]);
  });

  it('answers the agent routes as documented (a replayed Claude Code)', async () => {
    const id: string = (await call('/sessions', { method: 'POST', body: { provider_id: 'fake-claude', cwd: dir.path } })).json().id;
    const base = `/sessions/${id}`;
    await waitFor(async () => ((await call(`${base}/agent`)).json().state === 'idle' ? true : undefined), 15_000, 50);
    const token = await hookTokenOf(id);
    expect((await call(`${base}/agent-events?event=Notification`, { method: 'POST', token, body: { hook_event_name: 'Notification' } })).status).toBe(200);
    expect((await call(`${base}/agent-events`, { method: 'POST', token: 'odh_nope', body: {} })).status).toBe(401);
    expect((await call(`${base}/prompt`, { method: 'POST', body: { text: 'say hello', wait: { timeout_ms: 20_000 } } })).json().state).toBe('idle');
    expect((await call(`${base}/prompt`, { method: 'POST', body: { text: '' } })).status).toBe(400);
    expect((await call(`${base}/permission`, { method: 'POST', body: { decision: 'allow' } })).status).toBe(409);
    expect((await call(`${base}/prompt`, { method: 'POST', body: { text: 'please run the tool', wait: { timeout_ms: 20_000 } } })).json().state).toBe('blocked');
    expect((await call(`${base}/prompt`, { method: 'POST', body: { text: 'again' } })).status).toBe(409);
    expect((await call(`${base}/permission`, { method: 'POST', body: { decision: 'deny' } })).status).toBe(200);
    expect((await call(`${base}/agent`)).json().explain.length).toBeGreaterThan(0);
    expect((await call(`/sessions/${MISSING_SESSION}/agent`)).status).toBe(404);
    await call(base, { method: 'DELETE' });
  });

  it('validated a real response of every REST route and WebSocket endpoint', () => {
    const answered = new Set(recorder.exchanges.filter((x) => x.status < 400).map((x) => operationKey(x.method, x.template)));
    const unvisited = t.gateway.routes.map((r) => operationKey(r.method, r.path)).filter((key) => !answered.has(key));
    expect(unvisited, 'routes without a validated success response').toEqual([]);
    const opened = new Set(recorder.exchanges.filter((x) => x.status === 101).map((x) => x.template));
    expect(t.gateway.upgrades.map((u) => u.path).filter((path) => !opened.has(path))).toEqual([]);
  });
});
