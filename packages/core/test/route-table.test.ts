import { T } from '@opendray/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRoute } from '../src/http/route-schemas.js';
import { defineRoute, isStreamBody, json, type Route } from '../src/http/route.js';
import { NoBody } from '../src/openapi/media.js';
import { compile } from '../src/validation/ajv.js';
import { startGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(async () => {
  await t.close();
});

const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH']);
const row = (over: Partial<Route>): Route =>
  ({ method: 'GET', path: '/x', access: 'admin', operationId: 'x', summary: 'x', response: { 200: NoBody }, handler: () => json({}), ...over }) as Route;

describe('the route table (one declaration per endpoint)', () => {
  it('every row with a body-taking method declares its body, and every row its responses and errors', () => {
    expect(t.gateway.routes.length).toBeGreaterThan(40);
    for (const route of t.gateway.routes) {
      const where = `${route.method} ${route.path}`;
      if (TAKES_BODY.has(route.method)) {
        const body = route.body;
        expect(body, `${where} declares no body`).toBeDefined();
        // A schema (validated), 'none' (not read), or a stream the handler reads (documented when it has a schema).
        expect(body === 'none' || isStreamBody(body) || typeof (body as { type?: unknown }).type === 'string', where).toBe(true);
      }
      const statuses = Object.keys(route.response).map(Number);
      expect(statuses.length, `${where} declares no response`).toBeGreaterThan(0);
      // Responses with their own body (a 503 Health is an answer); errors are ErrorBody. Never both.
      for (const s of statuses) expect(s === 0 || (s >= 100 && s < 600 && !(s in (route.errors ?? {}))), `${where}: ${s}`).toBe(true);
      for (const s of Object.keys(route.errors ?? {}).map(Number)) expect(s >= 400 && s < 600, `${where}: ${s} is not an error`).toBe(true);
      expect(route.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(() => compileRoute(route), where).not.toThrow();
    }
    const ids = t.gateway.routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every status the gateway answered in the conformance walk is one the document lists (openapi.test.ts); here: each declared one is served', async () => {
    const doc = (await t.apiJson('/openapi.json', { token: null })).body;
    for (const route of t.gateway.routes) {
      const op = doc.paths[route.path.replace(/\/\*$/, '/{path}')][route.method.toLowerCase()];
      const listed = Object.keys(op.responses);
      for (const s of [...Object.keys(route.response), ...Object.keys(route.errors ?? {})]) expect(listed).toContain(s === '0' ? 'default' : s);
      if (route.access !== 'public') expect(listed).toEqual(expect.arrayContaining(['401', '429']));
      if (route.path.includes('{')) expect(listed).toContain('404');
      if (route.body && route.body !== 'none' && !isStreamBody(route.body)) expect(listed).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
  });

  it('refuses at build time, naming the route, a row that cannot be served as declared', () => {
    expect(() => compileRoute(row({ method: 'POST', path: '/things' }))).toThrow(/route POST \/things: a POST route must declare its body/);
    expect(() => compileRoute(row({ path: '/things/{id}' }))).toThrow(/route GET \/things\/\{id\}: params must declare exactly/);
    expect(() => compileRoute(row({ path: '/things/{id}', params: T.Object({ name: T.String() }) }))).toThrow(/params must declare exactly/);
    expect(() => compileRoute(row({ response: {} }))).toThrow(/declares no response/);
    expect(() => compileRoute(row({ operationId: '' }))).toThrow(/declares no operationId/);
    const typo = { type: 'object', properties: { n: { type: 'strnig' } } } as never;
    expect(() => compileRoute(row({ method: 'POST', path: '/typo', body: typo }))).toThrow(/route POST \/typo body: schema does not compile/);
    expect(() => compileRoute(row({ query: { type: 'object', properties: { n: { tpye: 'string' } } } as never }))).toThrow(/route GET \/x query: schema does not compile/);
  });

  it('types the handler from the schemas (a compile-time check that also runs)', async () => {
    const route = defineRoute({
      method: 'POST',
      path: '/things/{id}',
      access: 'admin',
      operationId: 'thing',
      summary: 'x',
      params: T.Object({ id: T.String() }),
      query: T.Object({ n: T.Optional(T.Integer()) }),
      body: T.Object({ cols: T.Integer(), name: T.Optional(T.String()) }),
      response: { 200: T.Object({ sum: T.Integer() }) },
      handler: ({ params, query, body }) => {
        const id: string = params.id;
        const n: number | undefined = query.n;
        const cols: number = body.cols;
        return json({ sum: cols + (n ?? 0), id });
      },
    });
    expect(() => compileRoute(route)).not.toThrow();
    // The compiled validator of a schema is shared: one compilation per schema per process.
    const schema = T.Object({ a: T.String() });
    expect(compile(schema, 'a')).toBe(compile(schema, 'b'));
  });
});
