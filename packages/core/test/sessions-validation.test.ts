import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, nextMessage, openWs, readBuffer, registerIntegration, startGateway, tempDir, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, useFakeAgents } from './fixtures/sessions.js';

let t: TestGateway;
let root: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  useFakeAgents();
  root = await tempDir('opendray-sessions-');
  await writeFile(join(root.path, 'a-file'), 'x');
  t = await startGateway({
    providers: [
      ...TEST_PROVIDERS,
      { id: 'missing', display_name: 'missing', kind: 'cli', command: 'opendray-no-such-command-xyz', args: [], submit_key: '\r', config_schema: {} },
    ] as typeof TEST_PROVIDERS,
    workspaceRoot: root.path,
    allowedRoots: [root.path],
    stopGraceMs: 500,
  });
});
afterAll(async () => {
  await t.close();
  await root.remove();
});

const create = (body: unknown, token?: string) => t.apiJson('/sessions', { method: 'POST', body, ...(token ? { token } : {}) });

describe('bad input is a clean 4xx naming the field, and changes nothing', () => {
  it('refuses bad create requests', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ provider_id: 'nope' }, 400, 'provider_id'],
      [{ provider_id: 42 }, 400, 'provider_id'],
      [{ provider_id: 'sh', cwd: join(root.path, 'missing-dir') }, 400, 'cwd'],
      [{ provider_id: 'sh', cwd: join(root.path, 'a-file') }, 400, 'cwd'],
      [{ provider_id: 'sh', cwd: 'relative/dir' }, 400, 'cwd'],
      [{ provider_id: 'sh', cwd: '/' }, 400, 'cwd'],
      [{ provider_id: 'sh', cols: 0 }, 400, 'cols'],
      [{ provider_id: 'sh', cols: 100000 }, 400, 'cols'],
      [{ provider_id: 'sh', rows: 2.5 }, 400, 'rows'],
      [{ provider_id: 'sh', rows: '40' }, 400, 'rows'],
      [{ provider_id: 'sh', args: Array.from({ length: 65 }, () => 'a') }, 400, 'args'],
      [{ provider_id: 'sh', args: 'echo hi' }, 400, 'args'],
      [{ provider_id: 'sh', args: [1] }, 400, 'args[0]'],
      [{ provider_id: 'sh', env: { A: 1 } }, 400, 'env.A'],
      [{ provider_id: 'sh', env: { 'BAD NAME': 'x' } }, 400, 'env'],
      [{ provider_id: 'sh', env: ['A=1'] }, 400, 'env'],
      [{ provider_id: 'sh', name: 'n'.repeat(129) }, 400, 'name'],
      [{ provider_id: 'sh', name: 'bad\nname' }, 400, 'name'],
      [[], 400, 'body'],
      [{ provider_id: 'missing' }, 409, 'opendray-no-such-command-xyz'],
    ];
    const before = (await t.gateway.stores.sessions.list()).length;
    for (const [body, status, field] of cases) {
      const res = await create(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error).toContain(field);
      expect(res.body.code).toBe(status === 400 ? 'validation_failed' : 'conflict');
    }
    expect((await t.gateway.stores.sessions.list()).length).toBe(before);
    expect((await t.apiJson('/sessions')).body.sessions).toHaveLength(before);
  });

  it('refuses bad input, resize, buffer and stream requests; the session keeps running', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    const input = (body: unknown) => t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body });
    expect((await input({ keys: ['Enter', 'Hyper-x'] })).body.error).toContain('keys[1]');
    // `{}`, `{keys: []}` and several forms at once are v2-compatible no-ops / data-wins (test/v2-compat).
    expect((await input({ data: 5 })).status).toBe(400);
    expect((await input({ data: 'a', text: 7 })).body.error).toContain('text');
    const lone = await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: '{"data":"abc\\ud800"}', headers: { 'content-type': 'application/json' } });
    expect(lone.status).toBe(400);
    expect(lone.body.error).toContain('data');
    const huge = await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect((await t.apiJson(`/sessions/${s.id}/resize`, { method: 'POST', body: { cols: 0, rows: 10 } })).body.error).toContain('cols');
    expect((await t.apiJson(`/sessions/${s.id}/resize`, { method: 'POST', body: { cols: 10 } })).body.error).toContain('rows');
    expect((await t.apiJson(`/sessions/${s.id}/buffer?since=-1`)).body.error).toContain('since');
    expect((await t.apiJson(`/sessions/${s.id}/buffer?since=1.5`)).status).toBe(400);
    await expect(openWs(`${t.wsUrl}/api/v1/sessions/${s.id}/stream?since=x&token=test-admin-token-0123456789`)).rejects.toMatchObject({ status: 400 });
    // An unknown session's stream is not refused: `ended`, then 1001 (SPEC §16).
    const gone = await openWs(`${t.wsUrl}/api/v1/sessions/ses_nothere12345/stream`, { token: 'test-admin-token-0123456789' });
    expect((await closed(gone)).code).toBe(1001);
    expect((await t.apiJson('/sessions/ses_nothere12345/input', { method: 'POST', body: { data: 'x' } })).status).toBe(404);
    // Nothing of the above reached the shell or broke it.
    await input({ data: 'echo still-$((40+2))\n' });
    await waitForOutput(t, s.id, 'still-42');
    // since beyond the cursor: nothing, positioned at the cursor.
    const now = await readBuffer(t, s.id);
    const beyond = await readBuffer(t, s.id, { since: now.cursor + 1000 });
    expect(beyond).toMatchObject({ status: 200, start: beyond.cursor });
    expect(beyond.bytes.length).toBe(0);
    // Input to an ended session is a conflict.
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    expect((await input({ data: 'x' })).status).toBe(409);
    expect((await input({ text: 'x' })).status).toBe(409);
    expect((await t.apiJson(`/sessions/${s.id}/resize`, { method: 'POST', body: { cols: 10, rows: 10 } })).status).toBe(409);
  });
});

describe('tenancy and scopes', () => {
  it("shows an integration its own sessions; another integration's are 404", async () => {
    const scopes = ['session:read', 'session:create', 'session:input'];
    const a = await registerIntegration(t, { name: 'tenant-a', scopes });
    const b = await registerIntegration(t, { name: 'tenant-b', scopes });
    const mine = await createSession(t, { provider_id: 'sh' }, a.api_key);
    expect(mine).toMatchObject({ origin: 'integration', integration_id: a.integration.id });
    const operator = await createSession(t, { provider_id: 'sh' });

    const listA = (await t.apiJson('/sessions', { token: a.api_key })).body.sessions.map((s: any) => s.id);
    expect(listA).toEqual([mine.id]);
    expect((await t.apiJson('/sessions', { token: b.api_key })).body.sessions).toEqual([]);
    const admin = (await t.apiJson('/sessions')).body.sessions.map((s: any) => s.id);
    expect(admin).toEqual(expect.arrayContaining([mine.id, operator.id]));

    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['GET', '/buffer', undefined],
      ['GET', '/history', undefined],
      ['GET', '/screen', undefined],
      ['POST', '/input', { data: 'x' }],
      ['POST', '/resize', { cols: 10, rows: 10 }],
      ['POST', '/stop', undefined],
      ['POST', '/start', undefined],
      ['DELETE', '', undefined],
    ] as const) {
      const res = await t.apiJson(`/sessions/${mine.id}${path}`, { method, token: b.api_key, ...(body ? { body } : {}) });
      expect({ path, method, status: res.status }).toEqual({ path, method, status: 404 });
    }
    // The operator's sessions are shared (SPEC §3; test/v2-compat/visibility.test.ts has the rest).
    expect((await t.apiJson(`/sessions/${operator.id}`, { token: a.api_key })).status).toBe(200);
    // An invisible session's stream says `ended` and goes away, as a deleted one's (SPEC §16).
    const stream = await openWs(`${t.wsUrl}/api/v1/sessions/${mine.id}/stream`, { token: b.api_key });
    expect(await nextMessage(stream)).toEqual({ type: 'ended' });
    expect((await closed(stream)).code).toBe(1001);
    expect((await t.apiJson(`/sessions/${mine.id}`, { token: a.api_key })).body.id).toBe(mine.id);
  });

  it('enforces scopes on every session route', async () => {
    const reader = await registerIntegration(t, { name: 'reader-only', scopes: ['session:read'] });
    const res = await create({ provider_id: 'sh' }, reader.api_key);
    expect(res.status).toBe(403);
    expect(res.body.error).toContain('session:create');
    const s = await createSession(t, { provider_id: 'sh' });
    expect((await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'x' }, token: reader.api_key })).status).toBe(403);
  });

  it('answers 429 past max_sessions, counting only live sessions', async () => {
    const c = await registerIntegration(t, { name: 'limited', scopes: ['session:read', 'session:create'], max_sessions: 1 });
    const first = await createSession(t, { provider_id: 'sh' }, c.api_key);
    const second = await create({ provider_id: 'sh' }, c.api_key);
    expect(second.status).toBe(429);
    expect(second.body.code).toBe('rate_limited');
    expect(second.headers.get('retry-after')).toBeTruthy();
    await t.api(`/sessions/${first.id}/stop`, { method: 'POST', token: c.api_key });
    const third = await createSession(t, { provider_id: 'sh' }, c.api_key);
    expect((await t.apiJson(`/sessions/${first.id}/start`, { method: 'POST', token: c.api_key })).status).toBe(429);
    expect(third.state).toBe('running');
  });

  it("stops an integration's sessions when it is deleted", async () => {
    const d = await registerIntegration(t, { name: 'doomed', scopes: ['session:read', 'session:create'] });
    const s = await createSession(t, { provider_id: 'sh' }, d.api_key);
    expect((await t.api(`/integrations/${d.integration.id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(async () => (await t.apiJson(`/sessions/${s.id}`)).body.state === 'stopped');
  });
});
