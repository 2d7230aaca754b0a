import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/auth/authenticate.js';
import { createRateLimiter } from '../src/auth/rate-limit.js';
import { createVerificationGate } from '../src/auth/verification-gate.js';
import type { Principal } from '../src/auth/principal.js';
import { conflict } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { createUpgradeDispatcher, type UpgradeEndpoint } from '../src/ws/upgrade.js';
import { nextMessage, openWs, startGateway, type TestGateway } from './support/gateway.js';

const principals: Record<string, Principal> = {
  admin: { kind: 'admin', id: 'admin', username: 'admin', via: 'static' },
  reader: { kind: 'integration', id: 'int_reader', name: 'reader', scopes: ['session:read'], maxSessions: 1 },
};

let server: Server | undefined;
let t: TestGateway | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await t?.close();
  t = undefined;
});

async function serve(endpoints: UpgradeEndpoint[]): Promise<string> {
  const authenticator = createAuthenticator(
    [{ verify: async (token) => principals[token] ?? null }],
    { failures: createRateLimiter({ max: 100, windowMs: 60_000, clock: { now: Date.now } }), gate: createVerificationGate() },
  );
  const dispatch = createUpgradeDispatcher(endpoints, { basePath: '/api/v1', authenticator, logger: silentLogger });
  server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => void dispatch(req, socket, head));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}

const echo = (access: UpgradeEndpoint['access']): UpgradeEndpoint => {
  const wss = new WebSocketServer({ noServer: true });
  return {
    path: '/things/{id}/echo',
    access,
    handle: ({ req, socket, head, params, principal }) =>
      wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ id: params.id, who: principal.id }))),
  };
};

describe('WebSocket upgrade dispatcher', () => {
  it('routes by path and authenticates with the header or ?token=', async () => {
    const base = await serve([echo('session:read')]);
    const viaHeader = await openWs(`${base}/things/t1/echo`, { token: 'reader' });
    expect(await nextMessage(viaHeader)).toEqual({ id: 't1', who: 'int_reader' });
    viaHeader.close();
    const viaQuery = await openWs(`${base}/things/t2/echo?token=admin`);
    expect(await nextMessage(viaQuery)).toEqual({ id: 't2', who: 'admin' });
    viaQuery.close();
  });

  it('refuses before upgrading, with plain HTTP statuses and JSON bodies', async () => {
    const base = await serve([
      echo('session:input'),
      { path: '/busy', access: 'authenticated', handle: () => { throw conflict('session not running'); } },
    ]);
    const refusal = (url: string, token?: string) => openWs(url, token ? { token } : {}).then(
      () => { throw new Error('upgrade should have been refused'); },
      (err: { status: number; body: string }) => ({ status: err.status, body: JSON.parse(err.body) }),
    );
    expect(await refusal(`${base}/nowhere`, 'admin')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await refusal(`${base}/things/x/echo`)).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await refusal(`${base}/things/x/echo`, 'nobody')).toMatchObject({ status: 401 });
    const scope = await refusal(`${base}/things/x/echo`, 'reader');
    expect(scope).toMatchObject({ status: 403, body: { code: 'missing_scope' } });
    expect(scope.body.error).toContain('session:input');
    expect(await refusal(`${base}/busy`, 'admin')).toMatchObject({ status: 409, body: { code: 'conflict' } });
  });
});

describe('embedder hooks', () => {
  it('runs onRequest, preHandler and onResponse around every request', async () => {
    const seen: string[] = [];
    t = await startGateway({
      hooks: {
        onRequest: [(req) => seen.push(`request ${req.url}`)],
        preHandler: [(ctx) => void seen.push(`pre ${ctx.route.path} ${ctx.principal?.kind}`)],
        onResponse: [(info) => seen.push(`response ${info.route} ${info.status}`)],
        onError: [(err) => seen.push(`error ${err.code}`)],
      },
    });
    await t.api('/auth/me');
    await t.api('/missing');
    expect(seen).toEqual([
      'request /api/v1/auth/me',
      'pre /auth/me admin',
      'response /auth/me 200',
      'request /api/v1/missing',
      'error not_found',
      'response /missing 404',
    ]);
  });
});

describe('refused upgrade credentials', () => {
  it('are recorded in the call log as rejected, without the ?token=', async () => {
    t = await startGateway();
    const refused = await openWs(`${t.wsUrl}/api/v1/integrations/_events?topics=session.*&token=odk_live_not-a-real-key`).then(
      () => 0,
      (err: { status: number }) => err.status,
    );
    expect(refused).toBe(401);
    const page = await t.apiJson('/integrations/_calls?direction=rejected');
    expect(page.body.entries).toHaveLength(1);
    expect(page.body.entries[0]).toMatchObject({ direction: 'rejected', method: 'GET', route: '/integrations/_events', path: '/api/v1/integrations/_events', status_code: 401 });
    expect(JSON.stringify(page.body)).not.toContain('not-a-real-key');
  });
});
