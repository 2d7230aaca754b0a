import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AdminPrincipal } from '../src/index.js';
import { createSession, TEST_PROVIDERS } from './fixtures/sessions.js';
import { closed, openWs, registerIntegration, startGateway, type TestGateway } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

// Sockets never outlive their credential (issue #15, SPEC §2.2): every WebSocket — events,
// stream, proxied upgrade — is tracked by the credential that opened it and closed the
// moment that credential stops being valid, for any reason.

const admin = { username: 'root', password: 'correct horse battery' };
let t: TestGateway | undefined;
let upstream: Upstream | undefined;
afterEach(async () => {
  await t?.close();
  await upstream?.close();
  t = upstream = undefined;
});

const login = async (g: TestGateway): Promise<string> => (await g.apiJson('/auth/login', { method: 'POST', token: null, body: admin })).body.token;
const eventsUrl = (g: TestGateway): string => `${g.wsUrl}/api/v1/integrations/_events?topics=session.*`;

/** Resolves with how the socket closed and how long after `from` it did. */
async function closedAfter(ws: WebSocket, from: () => number): Promise<{ code: number; ms: number }> {
  const { code } = await closed(ws, 10_000);
  return { code, ms: Date.now() - from() };
}

/** Every kind of socket an admin token can open: events, a session stream, a proxied upgrade. */
async function openAllWith(g: TestGateway, token: string, sessionId: string): Promise<WebSocket[]> {
  return Promise.all([
    openWs(eventsUrl(g), { token }),
    openWs(`${g.wsUrl}/api/v1/sessions/${sessionId}/stream`, { token }),
    openWs(`${g.wsUrl}/api/v1/proxy/echo/ws`, { token }),
  ]);
}

async function setUp(options: Parameters<typeof startGateway>[0] = {}): Promise<{ g: TestGateway; sessionId: string }> {
  upstream = await startUpstream({ websocket: (ws) => ws.on('message', (m) => ws.send(m)) });
  const g = (t = await startGateway({ providers: TEST_PROVIDERS, ...options, auth: { admin, ...options.auth } }));
  await registerIntegration(g, { name: 'echo', base_url: upstream.url, route_prefix: 'echo' });
  const session = await createSession(g, { provider_id: 'sh' });
  return { g, sessionId: session.id };
}

describe('admin tokens', () => {
  it('logout closes every socket the token opened (events, stream, proxied) within a second; other tokens’ stay', async () => {
    const { g, sessionId } = await setUp();
    const [mine, other] = [await login(g), await login(g)];
    const sockets = await openAllWith(g, mine, sessionId);
    const others = await openAllWith(g, other, sessionId);
    let loggedOutAt = 0;
    const ends = sockets.map((ws) => closedAfter(ws, () => loggedOutAt));
    loggedOutAt = Date.now();
    expect((await g.api('/auth/logout', { method: 'POST', token: mine })).status).toBe(204);
    const [events, stream, proxied] = await Promise.all(ends);
    expect(events!.code).toBe(4001);
    expect(stream!.code).toBe(4001);
    // A spliced socket carries the upstream's frames: it can only be cut (1006).
    expect(proxied!.code).toBe(1006);
    for (const end of [events, stream, proxied]) expect(end!.ms).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 100));
    for (const ws of others) expect(ws.readyState).toBe(WebSocket.OPEN);
    for (const ws of others) ws.close();
  });

  it('expiry closes the token’s sockets when the TTL ends, with no request needed', async () => {
    const { g, sessionId } = await setUp({ auth: { admin, tokenTtlMs: 1_500 } });
    const issued = await g.apiJson('/auth/login', { method: 'POST', token: null, body: admin });
    const expiresAt = Date.parse(issued.body.expires_at);
    const sockets = await openAllWith(g, issued.body.token, sessionId);
    const ends = await Promise.all(sockets.map((ws) => closedAfter(ws, () => expiresAt)));
    expect(ends.map((e) => e.code)).toEqual([4001, 4001, 1006]);
    for (const end of ends) expect(end.ms).toBeLessThan(2_000);
  });

  it('a socket opened with a principal derived from a token (a WebSocket ticket) dies with that token', async () => {
    // An embedder's verifier standing in for a single-use ticket: it names the minting token.
    let minted: { digest: string; expiresAt: number } | undefined;
    const { g } = await setUp({
      auth: {
        admin,
        verify: async (token) =>
          token === 'ticket-1' && minted
            ? ({ kind: 'admin', id: 'admin', username: 'root', via: 'session', tokenDigest: minted.digest, expiresAt: minted.expiresAt } satisfies AdminPrincipal)
            : null,
      },
    });
    const issued = (await g.apiJson('/auth/login', { method: 'POST', token: null, body: admin })).body;
    minted = { digest: createHash('sha256').update(issued.token).digest('hex'), expiresAt: Date.parse(issued.expires_at) };
    const ws = await openWs(`${eventsUrl(g)}&token=ticket-1`);
    const end = closed(ws);
    await g.api('/auth/logout', { method: 'POST', token: issued.token });
    expect((await end).code).toBe(4001);
  });
});

describe('integration keys', () => {
  const keyEvents = (g: TestGateway, key: string): Promise<WebSocket> => openWs(eventsUrl(g), { token: key });

  it('a graced rotation closes the old key’s sockets when the grace ends; the new key’s stay open', async () => {
    const { g } = await setUp();
    const reg = await registerIntegration(g, { name: 'rotating', scopes: ['event:subscribe:*'] });
    const old = await keyEvents(g, reg.api_key);
    const rotated = (await g.apiJson(`/integrations/${reg.integration.id}/rotate-key`, { method: 'POST', body: { grace_seconds: 1 } })).body;
    const graceEnd = Date.parse(rotated.integration.rotated_at) + 1_000;
    const fresh = await keyEvents(g, rotated.api_key);
    const end = await closedAfter(old, () => graceEnd);
    expect(end.code).toBe(4001);
    expect(end.ms).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(fresh.readyState).toBe(WebSocket.OPEN);
    fresh.close();
  });

  it('a second graced rotation closes the first key’s sockets at once; the second key’s stay', async () => {
    const { g } = await setUp();
    const reg = await registerIntegration(g, { name: 'twice', scopes: ['event:subscribe:*'] });
    const rotate = async () => (await g.apiJson(`/integrations/${reg.integration.id}/rotate-key`, { method: 'POST', body: { grace_seconds: 3600 } })).body;
    const first = await keyEvents(g, reg.api_key);
    const second = await rotate();
    const onSecond = await keyEvents(g, second.api_key);
    let rotatedAt = 0;
    const end = closedAfter(first, () => rotatedAt);
    rotatedAt = Date.now();
    await rotate();
    expect((await end).code).toBe(4001);
    expect((await end).ms).toBeLessThan(2_000);
    expect((await g.api('/auth/me', { token: reg.api_key })).status).toBe(401);
    expect((await g.api('/auth/me', { token: second.api_key })).status).toBe(200);
    expect(onSecond.readyState).toBe(WebSocket.OPEN);
    onSecond.close();
  });

  it('disable and delete close every socket of the integration', async () => {
    const { g } = await setUp();
    const reg = await registerIntegration(g, { name: 'doomed', scopes: ['event:subscribe:*'] });
    for (const act of [
      () => g.api(`/integrations/${reg.integration.id}`, { method: 'PATCH', body: { enabled: false } }),
      () => g.api(`/integrations/${reg.integration.id}`, { method: 'DELETE' }),
    ]) {
      await g.api(`/integrations/${reg.integration.id}`, { method: 'PATCH', body: { enabled: true } });
      const ws = await keyEvents(g, reg.api_key);
      const end = closed(ws);
      await act();
      expect((await end).code).toBe(4001);
    }
  });
});

describe('sockets per credential', () => {
  it('caps a credential’s WebSockets, also under a concurrent burst: 429 before the upgrade, with a clear reason', async () => {
    const { g } = await setUp({ limits: { socketsPerCredential: 3 } });
    const reg = await registerIntegration(g, { name: 'greedy', scopes: ['event:subscribe:*'] });
    // The key's first use (its one bcrypt, bounded on its own: abuse-auth) is over before the burst.
    expect((await g.api('/auth/me', { token: reg.api_key })).status).toBe(200);
    const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => openWs(eventsUrl(g), { token: reg.api_key })));
    const open = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason as { status: number; body: string }] : []));
    // One assertion, so a failure shows every outcome (status and body of each refusal).
    expect({ open: open.length, refused: refused.map((r) => r.status) }, JSON.stringify(refused.filter((r) => r.status !== 429))).toEqual({ open: 3, refused: Array(9).fill(429) });
    for (const r of refused) expect(JSON.parse(r.body)).toMatchObject({ code: 'rate_limited', error: expect.stringContaining('WebSockets for this credential') });
    // Another credential is not affected; closing one frees a slot.
    const adminWs = await openWs(eventsUrl(g), { token: await login(g) });
    const gone = closed(open[0]!);
    open[0]!.close();
    await gone;
    await new Promise((r) => setTimeout(r, 50));
    const again = await openWs(eventsUrl(g), { token: reg.api_key });
    for (const ws of [...open.slice(1), again, adminWs]) ws.close();
  });
});
