import { describe, expect, it } from 'vitest';
import { TEST_PROVIDERS } from '../fixtures/sessions.js';
import { closed, nextMessage, openWs, startGateway, waitForOutput } from '../support/gateway.js';
import { integration, session, v2Gateway } from './support.js';

/** SPEC §16 rows "stream", "input" and "limits". */
const gw = v2Gateway();

describe('SPEC §16 stream', () => {
  it('stream: /stream of a deleted, unknown or invisible session completes the upgrade, sends {"type":"ended"} and closes 1001', async () => {
    const t = gw.get();
    const a = await integration(t);
    const deleted = await session(t);
    await t.api(`/sessions/${deleted.id}`, { method: 'DELETE' });
    const invisible = await session(t, {}, (await integration(t)).key);
    for (const [id, token] of [[deleted.id, a.key], ['ses_AAAAAAAAAAAA', a.key], [invisible.id, a.key], ['ses_unknown', a.key]] as const) {
      for (const protocols of [[], ['opendray.v2']]) {
        const ws = await openWs(`${t.wsUrl}/api/v1/sessions/${id}/stream?token=${token}`, { protocols });
        expect(await nextMessage(ws)).toEqual({ type: 'ended' });
        expect((await closed(ws)).code).toBe(1001);
      }
    }
    // An ended session that still exists replays its ring, then `ended` with its exit code (SPEC §5.5).
    const ended = await session(t, { args: ['-c', 'echo last-words; exit 4'] });
    await waitForOutput(t, ended.id, 'last-words');
    const ws = await openWs(`${t.wsUrl}/api/v1/sessions/${ended.id}/stream`, { token: a.key });
    expect(await nextMessage(ws, (m, binary) => !binary)).toMatchObject({ type: 'ended', exit_code: 4 });
    expect((await closed(ws)).code).toBe(1000);
  });
});

describe('SPEC §16 input', () => {
  it('input: {} is a 204 no-op; data wins when several fields are given', async () => {
    const t = gw.get();
    const s = await session(t, { provider_id: 'bash' });
    const input = (body: unknown) => t.api(`/sessions/${s.id}/input`, { method: 'POST', body });
    expect((await input({})).status).toBe(204);
    expect((await input({ keys: [] })).status).toBe(204);
    expect((await input({ data: 'echo data-wins\n', text: 'echo text-lost', keys: ['C-c'] })).status).toBe(204);
    expect((await input({ text: 'echo text-over-keys', keys: ['C-c'] })).status).toBe(204);
    const out = await waitForOutput(t, s.id, /text-over-keys\r?\n/);
    expect(out).toContain('data-wins');
    expect(out).not.toContain('text-lost');
    expect((await t.apiJson(`/sessions/${s.id}/history`)).body.entries.map((e: any) => e.text)).toEqual(['echo data-wins', 'echo text-over-keys']);
    // Still validated, and still 409 on a session that is not running.
    expect((await input({ data: 1 })).status).toBe(400);
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    expect((await input({})).status).toBe(409);
  });
});

describe('SPEC §16 limits', () => {
  it('limits: no per-integration session cap by default; max_sessions is opt-in', async () => {
    const t = gw.get();
    const free = await integration(t);
    expect(free.record.max_sessions).toBeNull();
    const many = await Promise.all(Array.from({ length: 12 }, () => t.apiJson('/sessions', { method: 'POST', token: free.key, body: { provider_id: 'sh' } })));
    expect(many.map((r) => r.status)).toEqual(Array(12).fill(201));
    const capped = await integration(t, { max_sessions: 2 });
    const tries = await Promise.all(Array.from({ length: 5 }, () => t.apiJson('/sessions', { method: 'POST', token: capped.key, body: { provider_id: 'sh' } })));
    expect(tries.filter((r) => r.status === 201)).toHaveLength(2);
    expect(tries.filter((r) => r.status === 429)).toHaveLength(3);
    // null removes the cap again.
    expect((await t.apiJson(`/integrations/${capped.id}`, { method: 'PATCH', body: { max_sessions: null } })).body.max_sessions).toBeNull();
    expect((await t.apiJson('/sessions', { method: 'POST', token: capped.key, body: { provider_id: 'sh' } })).status).toBe(201);
    for (const r of many) await t.api(`/sessions/${r.body.id}`, { method: 'DELETE' });
  });

  it('limits: a gateway-wide live-session cap protects the machine (503 with a clear message), also under concurrent creates', async () => {
    const t = await startGateway({ providers: TEST_PROVIDERS, maxLiveSessions: 3, stopGraceMs: 300 });
    try {
      const a = await integration(t);
      const creates = await Promise.all(
        Array.from({ length: 8 }, (_, i) => t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh' }, ...(i % 2 ? { token: a.key } : {}) })),
      );
      const ok = creates.filter((r) => r.status === 201);
      expect(ok).toHaveLength(3);
      const refused = creates.filter((r) => r.status !== 201);
      expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array(5).fill([503, 'unavailable']));
      expect(refused[0]!.body.error).toMatch(/maximum of 3 live sessions/);
      // An ended session frees its slot; a restart counts like a create.
      await t.api(`/sessions/${ok[0]!.body.id}/stop`, { method: 'POST' });
      expect((await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh' } })).status).toBe(201);
      expect((await t.apiJson(`/sessions/${ok[0]!.body.id}/start`, { method: 'POST' })).status).toBe(503);
    } finally {
      await t.close();
    }
  });
});
