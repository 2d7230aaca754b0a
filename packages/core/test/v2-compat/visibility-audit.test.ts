import type { TSchema } from '@opendray/sdk/wire';
import { describe, expect, it } from 'vitest';
import { isStreamBody, type Route } from '../../src/http/route.js';
import { compile } from '../../src/validation/ajv.js';
import { closed, nextMessage, openWs } from '../support/gateway.js';
import { integration, session, v2Gateway } from './support.js';

/**
 * SPEC §3: "enforced in one place for every {id} route, both WebSockets and event delivery".
 * Written over whatever `gateway.routes` and `gateway.upgrades` hold, like scope-audit, so a
 * `/sessions/{id}/…` route added later that forgets `canSeeSession` fails here.
 */
const gw = v2Gateway();

const EVERY_SCOPE = ['session:read', 'session:create', 'session:input', 'provider:read', 'provider:write', 'channel:send', 'channel:receive', 'event:subscribe:*'];

const isSessionIdRoute = (path: string): boolean => path.startsWith('/sessions/{id}');

// Bodies a session route may take; each route gets the first its own schema accepts, so the
// call reaches the handler (a 400 from the body check would prove nothing).
const BODY_CANDIDATES: unknown[] = [{}, { cols: 80, rows: 24 }, { data: 'x' }, { text: 'x' }, { decision: 'allow' }, { text: 'x', wait: { until: 'none' } }];

function validBody(route: Route): { body?: string; missing?: true } {
  const spec = route.body;
  if (spec === undefined || spec === 'none' || isStreamBody(spec)) return {};
  const check = compile(spec as TSchema, `audit ${route.path}`);
  const body = BODY_CANDIDATES.find((b) => check(b));
  return body === undefined ? { missing: true } : { body: JSON.stringify(body) };
}

describe('SPEC §3 visibility audit: every /sessions/{id} route and WebSocket asks canSeeSession', () => {
  it('finds the session routes to audit', () => {
    const t = gw.get();
    expect(t.gateway.routes.filter((r) => isSessionIdRoute(r.path)).length).toBeGreaterThanOrEqual(9);
    expect(t.gateway.upgrades.filter((u) => isSessionIdRoute(u.path)).length).toBeGreaterThanOrEqual(1);
  });

  it("answers 404 on every {id} route for another integration's, a private and (for session_access own) an operator session, and changes nothing", async () => {
    const t = gw.get();
    const owner = await integration(t);
    const intruder = await integration(t, { scopes: EVERY_SCOPE });
    const ownOnly = await integration(t, { scopes: EVERY_SCOPE, session_access: 'own' });
    const victims = [
      { who: intruder.key, label: "another integration's", id: (await session(t, {}, owner.key)).id },
      { who: intruder.key, label: 'a private operator', id: (await session(t, { private: true })).id },
      { who: ownOnly.key, label: 'an operator (to session_access own)', id: (await session(t)).id },
    ];
    const failures: string[] = [];
    for (const route of t.gateway.routes.filter((r) => isSessionIdRoute(r.path))) {
      const { body, missing } = validBody(route);
      if (missing) {
        failures.push(`${route.method} ${route.path}: no body candidate passes its schema; add one to BODY_CANDIDATES`);
        continue;
      }
      for (const v of victims) {
        const res = await t.apiJson(route.path.replace('{id}', v.id), {
          method: route.method,
          token: v.who,
          ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
        });
        // The agent hook endpoint takes only the session's own hook token (SPEC §17): every
        // other credential is a 401 there, whoever may see the session.
        const expected = route.access === 'public' ? 401 : 404;
        if (res.status !== expected || (expected === 404 && res.body?.code !== 'not_found')) failures.push(`${route.method} ${route.path} on ${v.label} session: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing was stopped, deleted or typed into.
    for (const v of victims) {
      const s = (await t.apiJson(`/sessions/${v.id}`)).body;
      expect([v.label, ['running', 'idle'].includes(s.state)]).toEqual([v.label, true]);
      expect((await t.apiJson(`/sessions/${v.id}/history`)).body.entries).toEqual([]);
    }
  });

  it('lets the same calls through for a session the caller may see (the audit is not vacuous)', async () => {
    const t = gw.get();
    const a = await integration(t, { scopes: EVERY_SCOPE });
    const operator = await session(t);
    for (const route of t.gateway.routes.filter((r) => isSessionIdRoute(r.path) && r.method === 'GET')) {
      const res = await t.api(route.path.replace('{id}', operator.id), { token: a.key });
      // A shell runs no agent: /agent gets past visibility and answers that (SPEC §17).
      const noAgent = route.path === '/sessions/{id}/agent' && res.status === 404 && /plain command/.test(await res.text());
      const got = noAgent ? 200 : res.status;
      expect([route.path, got]).toEqual([route.path, 200]);
    }
  });

  it('answers every /sessions/{id} WebSocket of an invisible session with {"type":"ended"} and 1001', async () => {
    const t = gw.get();
    const owner = await integration(t);
    const intruder = await integration(t, { scopes: EVERY_SCOPE });
    const theirs = await session(t, {}, owner.key);
    for (const endpoint of t.gateway.upgrades.filter((u) => isSessionIdRoute(u.path))) {
      const ws = await openWs(`${t.wsUrl}/api/v1${endpoint.path.replace('{id}', theirs.id)}`, { token: intruder.key });
      expect(await nextMessage(ws)).toEqual({ type: 'ended' });
      expect((await closed(ws)).code).toBe(1001);
    }
  });
});
