import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_BIN } from './fixtures/sessions.js';
import { hookTokenOf } from './support/agent-fakes.js';
import { registerIntegration, startGateway, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';

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
