import { describe, expect, it } from 'vitest';
import { openEvents } from '../support/events.js';
import { closed, nextMessage, openWs, readBuffer, waitFor, waitForOutput } from '../support/gateway.js';
import { GUIDE_BOT_SCOPES, integration, session, v2Gateway } from './support.js';

/** SPEC §3 session visibility, each rule a test, driven as a v2 client would (raw fetch and ws). */
const gw = v2Gateway();

const idsOf = (body: { sessions: Array<{ id: string }> }): string[] => body.sessions.map((s) => s.id);

describe('SPEC §3 session visibility', () => {
  it("an integration sees and drives the operator's sessions (the v2 guide's Slack bot: no session:create)", async () => {
    const t = gw.get();
    const bot = await integration(t, { scopes: GUIDE_BOT_SCOPES });
    const operator = await session(t, { provider_id: 'bash' });
    expect(operator.origin).toBe('operator');
    expect((await t.apiJson(`/sessions/${operator.id}`, { token: bot.key })).body).toMatchObject({ id: operator.id, origin: 'operator' });
    const input = await t.api(`/sessions/${operator.id}/input`, { method: 'POST', token: bot.key, body: { data: 'echo bot-$((6*7))\n' } });
    expect(input.status).toBe(204);
    await waitForOutput(t, operator.id, 'bot-42');
    expect((await readBuffer(t, operator.id, { token: bot.key })).bytes.toString()).toContain('bot-42');
    expect((await t.apiJson(`/sessions/${operator.id}/history`, { token: bot.key })).body.entries.map((e: any) => e.text)).toContain('echo bot-$((6*7))');
    // The stream too: read, and write with session:input.
    const stream = await openWs(`${t.wsUrl}/api/v1/sessions/${operator.id}/stream`, { token: bot.key });
    stream.send('echo via-stream-$((1+1))\n');
    await waitForOutput(t, operator.id, 'via-stream-2');
    stream.close();
    // Still no session:create: stop and create stay refused (every route's scope is enforced).
    expect((await t.apiJson(`/sessions/${operator.id}/stop`, { method: 'POST', token: bot.key })).status).toBe(403);
  });

  it("GET /sessions lists an integration's own sessions; ?include=shared adds the operator's", async () => {
    const t = gw.get();
    const a = await integration(t);
    const mine = await session(t, {}, a.key);
    const operator = await session(t);
    const hidden = await session(t, { private: true });
    const own = idsOf((await t.apiJson('/sessions', { token: a.key })).body);
    expect(own).toEqual([mine.id]);
    const shared = idsOf((await t.apiJson('/sessions?include=shared', { token: a.key })).body);
    expect(shared).toEqual(expect.arrayContaining([mine.id, operator.id]));
    expect(shared).not.toContain(hidden.id);
    expect((await t.apiJson('/sessions?include=everything', { token: a.key })).status).toBe(400);
    // The admin sees everything, private sessions included.
    expect(idsOf((await t.apiJson('/sessions')).body)).toEqual(expect.arrayContaining([mine.id, operator.id, hidden.id]));
  });

  it("another integration's sessions are invisible: 404, as if absent", async () => {
    const t = gw.get();
    const a = await integration(t);
    const b = await integration(t);
    const mine = await session(t, { provider_id: 'bash' }, a.key);
    for (const [method, path] of [['GET', ''], ['GET', '/buffer'], ['POST', '/input'], ['POST', '/stop'], ['DELETE', '']] as const) {
      const res = await t.apiJson(`/sessions/${mine.id}${path}`, { method, token: b.key, ...(method === 'POST' ? { body: { data: 'x' } } : {}) });
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'not_found']);
    }
    expect(idsOf((await t.apiJson('/sessions?include=shared', { token: b.key })).body)).not.toContain(mine.id);
    expect((await t.apiJson(`/sessions/${mine.id}`, { token: a.key })).body.state).toBe('running');
  });

  it('a "private": true operator session is seen by no integration', async () => {
    const t = gw.get();
    const a = await integration(t);
    const hidden = await session(t, { private: true });
    expect(hidden.private).toBe(true);
    expect((await t.apiJson(`/sessions/${hidden.id}`, { token: a.key })).status).toBe(404);
    expect((await t.apiJson(`/sessions/${hidden.id}/input`, { method: 'POST', token: a.key, body: { data: 'x' } })).status).toBe(404);
    expect((await t.apiJson(`/sessions/${hidden.id}`)).body.private).toBe(true);
  });

  it('session_access "own" narrows an integration to its own sessions, set at registration or by PATCH', async () => {
    const t = gw.get();
    const own = await integration(t, { session_access: 'own' });
    expect(own.record.session_access).toBe('own');
    const operator = await session(t);
    expect((await t.apiJson(`/sessions/${operator.id}`, { token: own.key })).status).toBe(404);
    expect(idsOf((await t.apiJson('/sessions?include=shared', { token: own.key })).body)).not.toContain(operator.id);

    const shared = await integration(t);
    expect(shared.record.session_access).toBe('shared');
    expect((await t.apiJson(`/sessions/${operator.id}`, { token: shared.key })).status).toBe(200);
    const events = await openEvents(t, 'topics=session.*', shared.key);
    const patched = await t.apiJson(`/integrations/${shared.id}`, { method: 'PATCH', body: { session_access: 'own' } });
    expect(patched.body.session_access).toBe('own');
    // What its open sockets could see shrank: they are closed (4003), like narrowed scopes.
    expect((await closed(events.ws)).code).toBe(4003);
    expect((await t.apiJson(`/sessions/${operator.id}`, { token: shared.key })).status).toBe(404);
    expect((await t.apiJson(`/integrations/${shared.id}`, { method: 'PATCH', body: { session_access: 'all' } })).status).toBe(400);
  });

  it('session events follow the same visibility (own, operator, not private, not other integrations)', async () => {
    const t = gw.get();
    const a = await integration(t);
    const b = await integration(t);
    const narrow = await integration(t, { session_access: 'own' });
    const [ea, enarrow] = [await openEvents(t, 'topics=session.*', a.key), await openEvents(t, 'topics=session.started', narrow.key)];
    const operator = await session(t);
    const hidden = await session(t, { private: true });
    const ofB = await session(t, {}, b.key);
    const ofA = await session(t, {}, a.key);
    const ofNarrow = await session(t, {}, narrow.key);
    await ea.until((f) => f.topic === 'session.started' && f.data.session_id === ofA.id);
    await enarrow.until((f) => f.topic === 'session.started' && f.data.session_id === ofNarrow.id);
    const seen = (c: typeof ea) => new Set(c.events().map((f) => f.data.session_id));
    expect(seen(ea).has(operator.id)).toBe(true);
    expect(seen(ea).has(hidden.id)).toBe(false);
    expect(seen(ea).has(ofB.id)).toBe(false);
    expect([...seen(enarrow)]).toEqual([ofNarrow.id]);
    // The operator session's end reaches the integration that may see it, with v2's fields.
    await t.api(`/sessions/${operator.id}/stop`, { method: 'POST' });
    const stopped = await ea.until((f) => f.topic === 'session.stopped' && f.data.session_id === operator.id);
    expect(stopped.data).toMatchObject({ state: 'stopped', origin: 'operator' });
    ea.ws.close();
    enarrow.ws.close();
  });

  it('integration.* events reach an integration only about itself', async () => {
    const t = gw.get();
    const a = await integration(t, { scopes: ['event:subscribe:integration.*'] });
    const b = await integration(t);
    const events = await openEvents(t, 'topics=integration.*', a.key);
    await t.api(`/integrations/${b.id}/rotate-key`, { method: 'POST', body: {} });
    await t.api(`/integrations/${a.id}`, { method: 'PATCH', body: { version: '9' } });
    await events.until((f) => f.topic === 'integration.updated');
    await waitFor(() => events.events().length >= 1);
    expect(events.events().every((f) => f.data.integration_id === a.id)).toBe(true);
    events.ws.close();
  });

  it('an invisible session\'s /stream says {"type":"ended"} and closes 1001, like a deleted one', async () => {
    const t = gw.get();
    const a = await integration(t);
    const hidden = await session(t, { private: true });
    const ws = await openWs(`${t.wsUrl}/api/v1/sessions/${hidden.id}/stream`, { token: a.key });
    expect(await nextMessage(ws)).toEqual({ type: 'ended' });
    expect((await closed(ws)).code).toBe(1001);
  });
});
