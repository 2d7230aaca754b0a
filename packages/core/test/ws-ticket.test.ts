import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closed, nextMessage, openWs, registerIntegration, startGateway, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession } from './fixtures/sessions.js';

const admin = { username: 'root', password: 'correct horse battery' };
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function login(g: TestGateway): Promise<string> {
  const res = await g.apiJson('/auth/login', { method: 'POST', token: null, body: admin });
  expect(res.status).toBe(200);
  return res.body.token;
}

async function mint(g: TestGateway, token: string): Promise<string> {
  const res = await g.apiJson('/auth/ws-ticket', { method: 'POST', token });
  expect(res.status).toBe(200);
  return res.body.ticket;
}

const eventsUrl = (g: TestGateway, query: string): string => `${g.wsUrl}/api/v1/integrations/_events?topics=session.*&${query}`;

/** The HTTP status an upgrade was refused with, or 101 when it opened (then closed at once). */
async function upgradeStatus(url: string): Promise<number> {
  try {
    const ws = await openWs(url);
    ws.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

describe('POST /auth/ws-ticket (docs/console.md)', () => {
  it('mints a single-use ticket for admins only, valid about 30 s', async () => {
    t = await startGateway({ auth: { admin } });
    const token = await login(t);
    const res = await t.apiJson('/auth/ws-ticket', { method: 'POST', token });
    expect(res.body).toEqual({ ticket: expect.stringMatching(/^odw_[A-Za-z0-9_-]{43}$/), expires_at: expect.any(String) });
    const ttl = Date.parse(res.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    const { api_key } = await registerIntegration(t, { name: 'reader', scopes: ['session:read'] });
    expect((await t.apiJson('/auth/ws-ticket', { method: 'POST', token: api_key })).status).toBe(403);
    expect((await t.apiJson('/auth/ws-ticket', { method: 'POST', token: null })).status).toBe(401);
  });

  it('opens exactly one upgrade, including under concurrent use, and is no REST credential', async () => {
    t = await startGateway({ auth: { admin } });
    const ticket = await mint(t, await login(t));
    expect((await t.apiJson('/auth/me', { token: ticket })).status).toBe(401);
    const statuses = await Promise.all(Array.from({ length: 8 }, () => upgradeStatus(eventsUrl(t!, `ticket=${ticket}`))));
    expect(statuses.filter((s) => s === 101)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(7);
  });

  it('refuses unknown, malformed, expired and logged-out tickets with 401, never 500', async () => {
    let now = Date.parse('2026-04-27T14:00:00.000Z');
    t = await startGateway({ auth: { admin }, clock: { now: () => now } });
    const token = await login(t);
    for (const bad of ['', 'odw_nope', `odw_${'A'.repeat(43)}`, 'x'.repeat(5000), '%00']) {
      expect(await upgradeStatus(eventsUrl(t, `ticket=${encodeURIComponent(bad)}`)), bad.slice(0, 20)).toBe(401);
    }
    const stale = await mint(t, token);
    now += 31_000;
    expect(await upgradeStatus(eventsUrl(t, `ticket=${stale}`))).toBe(401);
    const orphan = await mint(t, token);
    expect((await t.api('/auth/logout', { method: 'POST', token })).status).toBe(204);
    expect(await upgradeStatus(eventsUrl(t, `ticket=${orphan}`))).toBe(401);
  });

  it('ties sockets to the minting token: its logout closes them with 4001, another login keeps its own', async () => {
    t = await startGateway({ auth: { admin }, providers: TEST_PROVIDERS });
    const [mine, other] = [await login(t), await login(t)];
    const session = await createSession(t, { provider_id: 'sh' });
    const stream = await openWs(`${t.wsUrl}/api/v1/sessions/${session.id}/stream?ticket=${await mint(t, mine)}`, { protocols: ['opendray.v2'] });
    expect(await nextMessage(stream, (m, bin) => !bin && m.type === 'hello')).toMatchObject({ type: 'hello' });
    const events = await openWs(eventsUrl(t, `ticket=${await mint(t, mine)}`));
    await nextMessage(events, (m) => m.topic === '_hello');
    const viaToken = await openWs(eventsUrl(t, `token=${mine}`));
    await nextMessage(viaToken, (m) => m.topic === '_hello');
    const survivor = await openWs(eventsUrl(t, `ticket=${await mint(t, other)}`));
    await nextMessage(survivor, (m) => m.topic === '_hello');

    const ends = [closed(stream), closed(events), closed(viaToken)];
    expect((await t.api('/auth/logout', { method: 'POST', token: mine })).status).toBe(204);
    for (const end of await Promise.all(ends)) expect(end.code).toBe(4001);
    expect(survivor.readyState).toBe(WebSocket.OPEN);
    survivor.close();
  });
});
