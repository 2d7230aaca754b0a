import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_BIN } from './fixtures/sessions.js';
import { hookTokenOf } from './support/agent-fakes.js';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { openEvents } from './support/events.js';

/**
 * Attacks on agent awareness (SPEC §17) from inside a session: the hook token is the
 * session's own (its hook settings are readable inside it by design), so whatever runs in
 * the session may post any hook payload it likes. What it posts must never become more
 * than that session's state — in particular never a command-line argument of its next
 * start, which the launch policy (SPEC §15) would have refused in a request.
 */
let t: TestGateway;
beforeAll(async () => {
  // The built-in agents' manifests (resume arguments, launch policy), run by stand-ins that print their argv.
  t = await startGateway({
    providers: [
      { id: 'claude', command: join(FIXTURE_BIN, 'claude') },
      { id: 'codex', command: join(FIXTURE_BIN, 'codex') },
      { id: 'gemini', command: join(FIXTURE_BIN, 'gemini') },
    ] as never,
    stopGraceMs: 1_000,
  });
});
afterAll(async () => {
  await t?.close();
});

const argvLines = (text: string, name: string): string[] => text.split(/\r?\n/).filter((l) => l.startsWith(`FAKE ${name} ARGV:`));

describe('a forged hook session_id', () => {
  it.each([
    ['claude', '--dangerously-skip-permissions'],
    ['gemini', '--yolo'],
    ['claude', '--settings=/tmp/evil.json'],
  ] as const)('never reaches the argv of the next %s start (%s)', async (name, forged) => {
    const { api_key } = await registerIntegration(t, { name: `argv-${name}-${forged.length}`, scopes: ['session:create', 'session:read', 'session:input'] });
    // The launch policy refuses the flag in a request...
    const refused = await t.apiJson('/sessions', { method: 'POST', token: api_key, body: { provider_id: name, args: [forged] } });
    expect(refused.status).toBe(400);

    const created = await t.apiJson('/sessions', { method: 'POST', token: api_key, body: { provider_id: name } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitForOutput(t, id, `FAKE ${name} ARGV:`);
    // ...so the session, holding its own hook token, reports it as its conversation id.
    let token: string;
    if (name === 'claude') token = await hookTokenOf(id);
    else token = await gemToken(id);
    const hook = await t.apiJson(`/sessions/${id}/agent-events?event=SessionStart`, { method: 'POST', token, body: { session_id: forged, hook_event_name: 'SessionStart' } });
    expect(hook.status).toBe(200);

    expect((await t.apiJson(`/sessions/${id}/stop`, { method: 'POST', token: api_key })).status).toBe(200);
    const started = await t.apiJson(`/sessions/${id}/start`, { method: 'POST', token: api_key });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const text = await waitFor(async () => {
      const buf = await (await t.api(`/sessions/${id}/buffer`, { token: api_key })).text();
      return argvLines(buf, name).length >= 2 ? buf : undefined;
    }, 15_000, 50);
    const second = argvLines(text, name).at(-1)!;
    expect(second).toContain('[--resume]');
    expect(second, second).not.toContain(`[${forged}]`);
    await t.api(`/sessions/${id}`, { method: 'DELETE', token: api_key });
  });

  it('codex: a forged id never becomes a flag after `resume`', async () => {
    const { api_key } = await registerIntegration(t, { name: 'argv-codex', scopes: ['session:create', 'session:read', 'session:input'] });
    const forged = '--dangerously-bypass-approvals-and-sandbox';
    const created = await t.apiJson('/sessions', { method: 'POST', token: api_key, body: { provider_id: 'codex' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitForOutput(t, id, 'FAKE codex ARGV:');
    const token = await gemToken(id);
    expect((await t.apiJson(`/sessions/${id}/agent-events?event=SessionStart`, { method: 'POST', token, body: { session_id: forged } })).status).toBe(200);
    await t.apiJson(`/sessions/${id}/stop`, { method: 'POST', token: api_key });
    expect((await t.apiJson(`/sessions/${id}/start`, { method: 'POST', token: api_key })).status).toBe(200);
    const text = await waitFor(async () => {
      const buf = await (await t.api(`/sessions/${id}/buffer`, { token: api_key })).text();
      return argvLines(buf, 'codex').length >= 2 ? buf : undefined;
    }, 15_000, 50);
    const second = argvLines(text, 'codex').at(-1)!;
    expect(second).toMatch(/^FAKE codex ARGV: \[resume\]/);
    expect(second, second).not.toContain(`[${forged}]`);
    await t.api(`/sessions/${id}`, { method: 'DELETE', token: api_key });
  });
});

describe('agent events of sessions a tenant may not see', () => {
  it('never reach it, whatever it subscribes to (*, session.*), also with ?since replay', async () => {
    const { api_key: watcher } = await registerIntegration(t, { name: 'agent-watcher', scopes: ['session:read', 'event:subscribe:*'] });
    const { api_key: narrow, integration: narrowed } = await registerIntegration(t, { name: 'agent-watcher-own', scopes: ['session:read', 'event:subscribe:*'] });
    expect((await t.apiJson(`/integrations/${narrowed.id}`, { method: 'PATCH', body: { session_access: 'own' } })).status).toBe(200);
    const { api_key: other } = await registerIntegration(t, { name: 'agent-other-tenant', scopes: ['session:create', 'session:read'] });
    const admin = await openEvents(t, 'topics=*', ADMIN_TOKEN);
    const star = await openEvents(t, 'topics=*', watcher);
    const sessionStar = await openEvents(t, 'topics=session.*,', watcher);
    const own = await openEvents(t, 'topics=*', narrow);
    const hidden = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'claude', private: true } })).body.id as string;
    const theirs = (await t.apiJson('/sessions', { method: 'POST', token: other, body: { provider_id: 'claude' } })).body.id as string;
    const shared = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'claude' } })).body.id as string;
    for (const id of [hidden, theirs, shared]) {
      await waitForOutput(t, id, 'FAKE claude ARGV:');
      const token = await hookTokenOf(id);
      for (const [event, body] of [
        ['SessionStart', { session_id: '11111111-2222-3333-4444-555555555555' }],
        ['UserPromptSubmit', {}],
        ['PermissionRequest', { tool_name: 'Bash', tool_input: { command: `secret-of-${id}` } }],
        ['Stop', { last_assistant_message: `reply-of-${id}` }],
      ] as const) {
        expect((await t.apiJson(`/sessions/${id}/agent-events?event=${event}`, { method: 'POST', token, body })).status).toBe(200);
      }
    }
    // The admin saw every one; the shared one's events reached the watcher (its visibility is v2's).
    for (const id of [hidden, theirs, shared]) await admin.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === id);
    await star.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === shared);
    await sessionStar.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === shared);
    const replay = await openEvents(t, 'topics=*&since=0', watcher);
    await replay.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === shared);
    const leaked = (frames: { topic: string; data: any }[], ids: string[]) =>
      frames.filter((f) => ids.some((id) => JSON.stringify(f.data ?? {}).includes(id))).map((f) => `${f.topic} ${f.data?.session_id}`);
    expect(leaked(star.events(), [hidden, theirs])).toEqual([]);
    expect(leaked(sessionStar.events(), [hidden, theirs])).toEqual([]);
    expect(leaked(replay.events(), [hidden, theirs])).toEqual([]);
    expect(leaked(own.events(), [hidden, theirs, shared])).toEqual([]);
    for (const c of [admin, star, sessionStar, own, replay]) c.ws.close();
  });
});

/** The token of a codex or gemini session, from the auth header file its hook script sends. */
async function gemToken(sessionId: string): Promise<string> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  for (const root of await readdir(tmpdir())) {
    if (!root.startsWith('opendray-session-files-')) continue;
    for (const file of ['auth-header', 'hook.mjs']) {
      const text = await readFile(join(tmpdir(), root, sessionId, file), 'utf8').catch(() => '');
      const m = /Bearer (odh_[A-Za-z0-9_-]+)/.exec(text);
      if (m) return m[1]!;
    }
  }
  throw new Error(`no hook token for ${sessionId}`);
}
