import { describe, expect, it } from 'vitest';
import { TEST_PROVIDERS, useFakeAgents } from '../fixtures/sessions.js';
import { waitFor, waitForOutput } from '../support/gateway.js';
import { integration, session, v2Gateway } from './support.js';

/** SPEC §16 row "providers", and the v2 provider ids that are agent CLIs on npm. */
useFakeAgents();
// An operator provider that shows what key it was given, to see authType at work.
const KEYDUMP = {
  id: 'keydump',
  command: '/bin/sh',
  args: ['-c', 'echo "KEY=[$KEYDUMP_KEY]"; sleep 30'],
  config_schema: { api_key: { type: 'string', secret: true }, auth_type: { type: 'string', enum: ['env', 'custom'] } },
  config_env: { api_key: 'KEYDUMP_KEY' },
};
const gw = v2Gateway({ providers: [...TEST_PROVIDERS, KEYDUMP] as typeof TEST_PROVIDERS });

describe('SPEC §16 providers', () => {
  it("providers: each element of GET /providers also carries v2's manifest {id, displayName, kind, executable, capabilities, configSchema}", async () => {
    const t = gw.get();
    const reader = await integration(t, { scopes: ['provider:read'] });
    const { body } = await t.apiJson('/providers', { token: reader.key });
    for (const p of body.providers) {
      expect(p.manifest).toMatchObject({ id: p.id, displayName: p.display_name, kind: p.kind, executable: expect.any(String) });
      expect(Object.keys(p.manifest.capabilities).sort()).toEqual(['supportsImages', 'supportsMcp', 'supportsResume', 'supportsStream']);
      expect(Array.isArray(p.manifest.configSchema)).toBe(true);
    }
    const claude = body.providers.find((p: any) => p.id === 'claude');
    expect(claude.manifest).toMatchObject({ executable: 'claude', capabilities: { supportsResume: true, supportsMcp: true } });
    const field = (key: string) => claude.manifest.configSchema.find((f: any) => f.key === key);
    expect(field('api_key')).toMatchObject({ type: 'secret', envVar: 'ANTHROPIC_API_KEY' });
    expect(field('permission_mode')).toMatchObject({ type: 'select', options: ['default', 'acceptEdits', 'bypassPermissions', 'plan'], cliFlag: '--permission-mode' });
    expect(field('extra_args')).toMatchObject({ type: 'args' });
    expect(body.providers.find((p: any) => p.id === 'shell').manifest.capabilities.supportsResume).toBe(false);
  });

  it("providers: config PATCH accepts v2's camelCase keys (command, extraArgs, apiKey, authType, bypassPermissions, maxTurns) as aliases", async () => {
    const t = gw.get();
    const patch = (id: string, body: unknown, token?: string) =>
      t.apiJson(`/providers/${id}/config`, { method: 'PATCH', body, ...(token ? { token } : {}) });
    const res = await patch('claude', { extraArgs: ['--verbose'], apiKey: 'sk-v2', authType: 'custom', bypassPermissions: true, maxTurns: 12 });
    expect(res.status).toBe(200);
    expect(res.body.config).toMatchObject({ extra_args: ['--verbose'], api_key: 'sk-v2', auth_type: 'custom', bypass_permissions: true, max_turns: 12 });
    const s = await session(t, { provider_id: 'claude' });
    await waitForOutput(t, s.id, /FAKE claude ARGV: \[--dangerously-skip-permissions\] \[--verbose\] \[--session-id\]/);
    // authType "env": the CLI logs in by itself; the stored key is not passed.
    expect((await patch('claude', { authType: 'env' })).body.config.auth_type).toBe('env');
    await patch('keydump', { apiKey: 'sk-dump', authType: 'custom' });
    await waitForOutput(t, (await session(t, { provider_id: 'keydump' })).id, 'KEY=[sk-dump]');
    await patch('keydump', { authType: 'env' });
    await waitForOutput(t, (await session(t, { provider_id: 'keydump' })).id, 'KEY=[]');
    // `command` replaces the executable (admin only), and the manifest shows it.
    const cmd = await patch('shell', { command: '/bin/sh', extraArgs: ['-c', 'echo v2-command-$((5*5))'] });
    expect(cmd.body).toMatchObject({ config: { command: '/bin/sh', extra_args: ['-c', 'echo v2-command-$((5*5))'] }, manifest: { executable: '/bin/sh' } });
    const sh = await session(t, { provider_id: 'shell' });
    await waitForOutput(t, sh.id, 'v2-command-25');
    // Both spellings at once, and a key the provider does not have, are 400s naming what was sent.
    expect((await patch('claude', { apiKey: 'a', api_key: 'b' })).body.error).toMatch(/^api_key: given twice|^apiKey: given twice/);
    expect((await patch('shell', { bypassPermissions: true })).body.error).toContain('bypassPermissions');
    // v2 lets any providers:write key switch the executable or the permission prompts; here the admin alone may.
    const writer = await integration(t, { scopes: ['provider:read', 'providers:write'] });
    for (const body of [{ command: '/bin/evil' }, { bypassPermissions: true }]) {
      expect((await patch('claude', body, writer.key)).status).toBe(403);
    }
    // …and secrets stay redacted for integrations (v2 returns them in clear).
    expect((await t.apiJson('/providers/claude', { token: writer.key })).body.config.api_key).toBe('********');
    await patch('claude', { extra_args: null, api_key: null, auth_type: null, bypass_permissions: null, max_turns: null });
    await patch('shell', { command: null, extra_args: null });
    expect((await t.apiJson('/providers/shell')).body.manifest.executable).toBe(process.env.SHELL || '/bin/sh');
  });

  it('opencode (npm opencode-ai) and grok (npm @xai-official/grok) are built in, each resuming its conversation', async () => {
    const t = gw.get();
    const { body } = await t.apiJson('/providers');
    expect(body.providers.find((p: any) => p.id === 'opencode')).toMatchObject({ kind: 'cli', runtime: { installed: true }, manifest: { executable: 'opencode' } });
    const reg = await integration(t, { permission_mode: 'bypass', system_prompt: 'Be brief.' });
    const open = await session(t, { provider_id: 'opencode', model: 'anthropic/claude-opus' }, reg.key);
    await waitForOutput(t, open.id, /FAKE opencode ARGV: \[--model\] \[anthropic\/claude-opus\] \[--auto\]\r?\n/);
    const grok = await session(t, { provider_id: 'grok', model: 'grok-4' }, reg.key);
    const first = await waitForOutput(t, grok.id, /FAKE grok ARGV: .*\r?\n/);
    expect(first).toMatch(/\[--model\] \[grok-4\] \[--permission-mode\] \[bypassPermissions\] \[--rules\] \[Be brief.\] \[--session-id\] \[[0-9a-f-]{36}\]/);
    const agentId = /--session-id\] \[([0-9a-f-]{36})\]/.exec(first)![1];
    for (const s of [open, grok]) {
      await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
      await waitFor(async () => (await t.apiJson(`/sessions/${s.id}`)).body.state === 'stopped');
      expect((await t.apiJson(`/sessions/${s.id}/start`, { method: 'POST' })).status).toBe(200);
    }
    await waitForOutput(t, open.id, /\[--auto\] \[--continue\]\r?\n/);
    await waitForOutput(t, grok.id, new RegExp(`\\[--resume\\] \\[${agentId}\\]\\r?\\n`));
  });
});
