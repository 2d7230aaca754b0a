import { FIXED_SCOPES, type Scope } from '@opendray/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKnownScope, scopeGrants } from '../src/auth/scopes.js';
import type { Route, RouteAccess } from '../src/http/route.js';
import { registerIntegration, startGateway, type TestGateway } from './support/gateway.js';

/**
 * SPEC §3: every route declares its scope and every scope is enforced. Written over
 * whatever `gateway.routes` holds, so routes added later are audited too.
 */
let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(() => t.close());

const scopesOf = (access: RouteAccess): readonly Scope[] | null => {
  if (typeof access === 'object' && access !== null && 'anyOf' in access) return access.anyOf;
  if (typeof access === 'string' && !['public', 'authenticated', 'admin'].includes(access)) return [access as Scope];
  return null;
};

// Fill `{params}` with ids no resource has and `*` with a dummy rest, so a permitted
// call answers 404/400 instead of touching anything real.
const concretePath = (route: Route): string =>
  route.path
    .split('/')
    .map((seg) => (seg === '*' ? 'scope-audit' : /^\{.+\}$/.test(seg) ? 'zz_scope_audit_0' : seg))
    .join('/');

// A JSON body that does not parse: a permitted call stops at 400 before any handler acts.
const call = (route: Route, token: string) =>
  t.apiJson(concretePath(route), {
    method: route.method,
    token,
    ...(route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE'
      ? {}
      : { body: '{"scope-audit":', headers: { 'content-type': 'application/json' } }),
  });

const keys = new Map<string, string>();
/** A key granted exactly `scopes` (registered once per distinct set). */
async function keyWith(scopes: readonly Scope[]): Promise<string> {
  const id = [...scopes].sort().join(',');
  let key = keys.get(id);
  if (!key) {
    key = (await registerIntegration(t, { name: `audit-${keys.size}`, scopes })).api_key;
    keys.set(id, key);
  }
  return key;
}

/** Every fixed scope and every event pattern except those granting any of `wanted`. */
const allBut = (wanted: readonly Scope[]): Scope[] =>
  [...FIXED_SCOPES, 'event:subscribe:*' as Scope].filter((g) => !wanted.some((w) => scopeGrants(g, w)));

describe('the route table', () => {
  it('declares a valid access on every route', () => {
    expect(t.gateway.routes.length).toBeGreaterThan(0);
    const bad = t.gateway.routes.filter((r) => {
      const a = r.access as RouteAccess | undefined;
      if (a === undefined || a === null) return true;
      if (a === 'public' || a === 'authenticated' || a === 'admin') return false;
      const scopes = scopesOf(a);
      return !scopes || scopes.length === 0 || !scopes.every((s) => isKnownScope(s));
    });
    expect(bad.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('includes the integration registry rows as admin routes', () => {
    const admin = t.gateway.routes.filter((r) => r.access === 'admin').map((r) => `${r.method} ${r.path}`);
    for (const row of [
      'POST /integrations',
      'GET /integrations',
      'GET /integrations/{id}',
      'PATCH /integrations/{id}',
      'DELETE /integrations/{id}',
      'POST /integrations/{id}/rotate-key',
      'GET /integrations/_calls',
    ]) {
      expect(admin).toContain(row);
    }
  });
});

describe('scope enforcement, route by route', () => {
  it('answers 403 missing_scope without the scope and not 403 with it', async () => {
    const scoped = t.gateway.routes.filter((r) => scopesOf(r.access));
    expect(scoped.length).toBeGreaterThan(0); // SPEC §4 has scoped routes; none would make this vacuous
    const failures: string[] = [];
    for (const route of scoped) {
      const wanted = scopesOf(route.access)!;
      const label = `${route.method} ${route.path}`;
      const without = await call(route, await keyWith(allBut(wanted)));
      if (route.method === 'HEAD') {
        if (without.status !== 403) failures.push(`${label} without scope: ${without.status}`);
      } else if (without.status !== 403 || without.body?.code !== 'missing_scope') {
        failures.push(`${label} without scope: ${without.status} ${JSON.stringify(without.body)}`);
      } else if (!wanted.some((s) => without.body.error.includes(s))) {
        failures.push(`${label}: the 403 does not name the scope (${without.body.error})`);
      }
      for (const scope of wanted) {
        const withIt = await call(route, await keyWith([scope]));
        if (withIt.status === 403 || withIt.status === 401) failures.push(`${label} with ${scope}: ${withIt.status} ${JSON.stringify(withIt.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses every admin route to a key holding every scope (403 forbidden)', async () => {
    const key = await keyWith([...FIXED_SCOPES, 'event:subscribe:*' as Scope]);
    const failures: string[] = [];
    for (const route of t.gateway.routes.filter((r) => r.access === 'admin')) {
      const res = await call(route, key);
      // A HEAD answer has no body to read the code from.
      if (res.status !== 403 || (route.method !== 'HEAD' && res.body?.code !== 'forbidden')) failures.push(`${route.method} ${route.path}: ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('lets the admin past every scope check', async () => {
    const failures: string[] = [];
    for (const route of t.gateway.routes.filter((r) => scopesOf(r.access))) {
      const res = await t.apiJson(concretePath(route), {
        method: route.method,
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{"x":', headers: { 'content-type': 'application/json' } }),
      });
      if (res.status === 401 || res.status === 403) failures.push(`${route.method} ${route.path}: ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('accepts any valid key on authenticated routes', async () => {
    const key = await keyWith([]);
    for (const route of t.gateway.routes.filter((r) => r.access === 'authenticated' && r.method === 'GET')) {
      const res = await call(route, key);
      expect([401, 403]).not.toContain(res.status);
    }
  });
});
