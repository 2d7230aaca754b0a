import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { fakeAgentProvider as fakeProvider, hookTokenOf as tokenOf } from './support/agent-fakes.js';
import { openEvents, type EventsClient } from './support/events.js';

/**
 * SPEC §17 over the real HTTP/WS surface, with fake agent executables that replay the
 * recorded bytes and hook calls of Claude Code, Codex and Gemini CLI (fast; the real CLIs
 * run in test/agents-e2e). The injected hooks are really called: claude's http hooks,
 * codex's and gemini's hook script.
 */
const REPLY = 'Stand-in reply 1: say hello to me';

let t: TestGateway;
let events: EventsClient;
beforeAll(async () => {
  t = await startGateway({
    providers: [fakeProvider('claude'), fakeProvider('codex'), fakeProvider('gemini'), fakeProvider('claude', { FAKE_AGENT_STALL: '1' }, 'fake-stall')],
  });
  events = await openEvents(t, 'topics=session.*', ADMIN_TOKEN);
});
afterAll(async () => {
  events?.ws.close();
  await t?.close();
});

const create = async (provider: string): Promise<string> => {
  const res = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: provider } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
};
const agentOf = async (id: string) => (await t.apiJson(`/sessions/${id}/agent`)).body;
const waitState = (id: string, state: string) => waitFor(async () => ((await agentOf(id)).state === state ? true : undefined), 15_000, 50);
const prompt = (id: string, text: string, wait: Record<string, unknown> = { timeout_ms: 20_000 }) => t.apiJson(`/sessions/${id}/prompt`, { method: 'POST', body: { text, wait } });

describe.each(['claude', 'codex', 'gemini'] as const)('a replayed %s', (kind) => {
  let id: string;
  it('answers a prompt with the reply and a byte range, from hook and terminal signals', async () => {
    id = await create(`fake-${kind}`);
    expect((await t.apiJson(`/sessions/${id}`)).body.agent).toMatchObject({ kind, state: expect.stringMatching(/starting|idle/) });
    await waitState(id, 'idle');
    const res = await prompt(id, 'say hello');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body, JSON.stringify((await agentOf(id)).explain)).toMatchObject({ state: 'idle', text: REPLY, turn: { n: 1, started_at: expect.any(String), ended_at: expect.any(String) } });
    expect(res.body.output.to).toBeGreaterThan(res.body.output.from);
    const done = await events.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === id);
    expect(done.data).toEqual({ session_id: id, turn: res.body.turn, text: REPLY });
    const report = await agentOf(id);
    expect(report.explain.length).toBeGreaterThan(0);
    expect(report.explain.at(-1)).toMatchObject({ to: 'idle', source: expect.stringMatching(/hook|osc|title/) });
    // The agent's own conversation id, captured from its hooks (resume uses it).
    const captured = await waitFor(async () => (await agentOf(id)).agent_session_id as string | undefined, 15_000, 50);
    expect(captured).toEqual(expect.any(String));
  });

  it('stops at the dialog with its text, refuses another prompt, and runs after allow', async () => {
    const res = await prompt(id, 'please run the tool');
    expect(res.body).toMatchObject({ state: 'blocked', reason: 'permission', turn: { n: 2 } });
    expect(res.body.prompt_text).toContain('touch stand-in-tool-output.txt');
    const blocked = await events.until((f) => f.topic === 'session.blocked' && f.data.session_id === id);
    expect(blocked.data).toMatchObject({ reason: 'permission', prompt_text: expect.stringContaining('stand-in-tool-output.txt') });
    const again = await prompt(id, 'say hello');
    expect(again).toMatchObject({ status: 409, body: { code: 'agent_blocked', error: expect.stringContaining('stand-in-tool-output.txt') } });
    const allowed = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'allow' } });
    expect(allowed.status).toBe(200);
    const done = await events.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === id && f.data.turn.n === 2, 20_000);
    expect(done.data.text).toMatch(/^Tool finished: /);
    const none = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'deny' } });
    expect(none).toMatchObject({ status: 409, body: { code: 'conflict' } });
  });

  it('publishes state changes that chain, each with a source', () => {
    const changes = events.events().filter((f) => f.topic === 'session.state_changed' && f.data.session_id === id);
    expect(changes.map((c) => c.data.to)).toEqual(expect.arrayContaining(['idle', 'working', 'blocked']));
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.data.from).toBe(changes[i - 1]!.data.to);
    for (const c of changes) expect(['hook', 'osc', 'title', 'screen']).toContain(c.data.source);
  });
});

describe('deny, timeouts and concurrency', () => {
  it('a deny ends the turn idle without running the tool (claude: no hook, the screen tells)', async () => {
    const id = await create('fake-claude');
    await waitState(id, 'idle');
    const res = await prompt(id, 'please run the tool');
    expect(res.body.state).toBe('blocked');
    expect((await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'deny' } })).status).toBe(200);
    await waitState(id, 'idle');
    const done = await events.until((f) => f.topic === 'session.turn_completed' && f.data.session_id === id && f.data.turn.n === 1);
    expect(done.data.text).toBe('');
  });

  it('returns at the deadline with timed_out, and refuses a second prompt while one runs', async () => {
    const id = await create('fake-stall');
    await waitState(id, 'idle');
    const [a, b] = await Promise.all([prompt(id, 'never ends', { timeout_ms: 800 }), prompt(id, 'second', { timeout_ms: 800 })]);
    const codes = [a, b].map((r) => (r.status === 200 ? 'ok' : r.body.code)).sort();
    expect(codes).toEqual(['agent_busy', 'ok']);
    const ok = a.status === 200 ? a : b;
    expect(ok.body).toMatchObject({ timed_out: true, output: { from: expect.any(Number), to: expect.any(Number) } });
  });
});

describe('hook tokens', () => {
  it('accept only the right session, only on the hook route, and die with the process', async () => {
    const id = await create('fake-claude');
    const other = await create('fake-claude');
    await waitState(id, 'idle');
    const settings = await t.apiJson(`/sessions/${id}/screen`);
    expect(settings.status).toBe(200);
    // The token the gateway minted, read from the settings file it passed with --settings.
    const token = await tokenOf(id);
    const post = (sid: string, tok: string, body: unknown = { hook_event_name: 'Notification' }) =>
      t.apiJson(`/sessions/${sid}/agent-events?event=Notification`, { method: 'POST', token: tok, body });
    expect((await post(id, token)).status).toBe(200);
    expect((await post(other, token)).status).toBe(401);
    expect((await post(id, 'odh_wrong')).status).toBe(401);
    expect((await t.apiJson(`/sessions/${id}/agent-events`, { method: 'POST', token: null, body: {} })).status).toBe(401);
    expect((await post(id, token, [1, 2])).status).toBe(400);
    expect((await t.apiJson(`/sessions/${id}/agent-events?event=${'x'.repeat(80)}`, { method: 'POST', token, body: {} })).status).toBe(400);
    // Never valid elsewhere: not even to read its own session.
    expect((await t.apiJson(`/sessions/${id}`, { token })).status).toBe(401);
    expect((await t.apiJson('/sessions', { token })).status).toBe(401);
    expect((await t.apiJson('/auth/me', { token })).status).toBe(401);
    await t.apiJson(`/sessions/${id}/stop`, { method: 'POST' });
    expect((await post(id, token)).status).toBe(401);
  });
});

describe('validation and shells', () => {
  let shell: string;
  beforeAll(async () => {
    shell = await create('shell');
  });
  it('refuses bad prompt and permission bodies with 400 naming the field', async () => {
    const id = await create('fake-claude');
    for (const [body, field] of [
      [{}, 'text'],
      [{ text: '' }, 'text'],
      [{ text: 42 }, 'text'],
      [{ text: 'a\u0007b' }, 'text'],
      [{ text: 'ok', wait: 'soon' }, 'wait'],
      [{ text: 'ok', wait: { until: 'later' } }, 'wait.until'],
      [{ text: 'ok', wait: { timeout_ms: 0 } }, 'wait.timeout_ms'],
      [{ text: 'ok', wait: { timeout_ms: 9e9 } }, 'wait.timeout_ms'],
    ] as const) {
      const res = await t.apiJson(`/sessions/${id}/prompt`, { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toContain(field);
    }
    const bad = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'maybe' } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
  });

  it('gives shells agent null, no agent report, and no prompt', async () => {
    expect((await t.apiJson(`/sessions/${shell}`)).body.agent).toBeNull();
    expect((await t.apiJson(`/sessions/${shell}/agent`)).status).toBe(404);
    expect((await prompt(shell, 'ls')).status).toBe(409);
    expect((await t.apiJson(`/sessions/${shell}/permission`, { method: 'POST', body: { decision: 'allow' } })).status).toBe(409);
  });

  it('shows a session’s agent to whoever may see the session (SPEC §3) and to no one else', async () => {
    const { api_key } = await registerIntegration(t, { name: 'agent-outsider', scopes: ['session:read', 'session:input'] });
    // The operator's session is visible to integrations (v2), so is its agent.
    const shared = await create('fake-claude');
    expect((await t.apiJson(`/sessions/${shared}/agent`, { token: api_key })).status).toBe(200);
    // A private one of the operator's, and another integration's: the same 404 as a missing session.
    const hidden = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'fake-claude', private: true } })).body.id;
    const { api_key: reader } = await registerIntegration(t, { name: 'agent-reader', scopes: ['session:read', 'session:create'] });
    const own = (await t.apiJson('/sessions', { method: 'POST', token: reader, body: { provider_id: 'fake-claude' } })).body.id;
    for (const id of [hidden, own]) {
      expect((await t.apiJson(`/sessions/${id}/agent`, { token: api_key })).status).toBe(404);
      expect((await t.apiJson(`/sessions/${id}/prompt`, { method: 'POST', token: api_key, body: { text: 'hi' } })).status).toBe(404);
      expect((await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', token: api_key, body: { decision: 'allow' } })).status).toBe(404);
    }
    expect((await t.apiJson(`/sessions/${own}/agent`, { token: reader })).status).toBe(200);
    expect((await t.apiJson(`/sessions/${own}/prompt`, { method: 'POST', token: reader, body: { text: 'hi' } })).body.code).toBe('missing_scope');
  });
});
