import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useFakeAgents } from '../fixtures/sessions.js';
import { waitFor, waitForOutput } from '../support/gateway.js';
import { integration, session, v2Gateway } from './support.js';

/** SPEC §16 row "spawn profile": stored like v2, applied to the agents that take it (fake CLIs record argv). */
useFakeAgents();
const gw = v2Gateway();

const MCP = [
  { name: 'invoicing', command: '/usr/bin/invoicing-mcp', args: ['--db=/data/inv.sqlite'], env: { API_KEY: '${INVOICE_API_KEY}' } },
  { name: 'docs', transport: 'http', url: 'https://mcp.example.test/mcp', headers: { Authorization: 'Bearer x' } },
];
const PROFILE = {
  default_provider_id: 'claude',
  default_model: 'opus',
  permission_mode: 'bypass',
  system_prompt: '# Invoicing secretary\nReply ONLY via the reply_to_user tool.',
  mcp_servers: MCP,
  memory_policy: 'quarantine',
  agent_id: 'agent-7',
};

/** The argv line a fake agent printed, as a list. */
async function argvOf(t: ReturnType<typeof gw.get>, id: string, cli: string): Promise<string[]> {
  const text = await waitForOutput(t, id, new RegExp(`FAKE ${cli} ARGV:.*\\r?\\n`));
  const line = new RegExp(`FAKE ${cli} ARGV:(.*)\\r?\\n`).exec(text)![1]!;
  return [...line.matchAll(/ \[((?:[^\]]|\](?! \[|$))*)\]/g)].map((m) => m[1]!);
}

describe('SPEC §16 spawn profile', () => {
  it('spawn profile: integrations accept, validate, store and return default_provider_id, default_model, permission_mode, system_prompt, mcp_servers, memory_policy, agent_id', async () => {
    const t = gw.get();
    const reg = await integration(t, PROFILE);
    expect(reg.record).toMatchObject({ ...PROFILE, mcp_servers: [{ ...MCP[0], transport: 'stdio' }, MCP[1]] });
    expect((await t.apiJson(`/integrations/${reg.id}`)).body).toMatchObject({ permission_mode: 'bypass', memory_policy: 'quarantine', agent_id: 'agent-7' });
    // PATCH: "" clears a string, null clears the servers, absent keeps.
    const cleared = await t.apiJson(`/integrations/${reg.id}`, { method: 'PATCH', body: { default_model: '', mcp_servers: null, permission_mode: 'default' } });
    expect(cleared.body).toMatchObject({ default_provider_id: 'claude', permission_mode: 'default', mcp_servers: [], system_prompt: PROFILE.system_prompt });
    expect(cleared.body.default_model).toBeUndefined();
    // Defaults of a plain registration, as v2 shows them.
    expect((await integration(t)).record).toMatchObject({ permission_mode: 'default', memory_policy: 'none', mcp_servers: [] });
    for (const [body, field] of [
      [{ permission_mode: 'yolo' }, 'permission_mode'],
      [{ memory_policy: 'all' }, 'memory_policy'],
      [{ default_provider_id: 'Not A Provider' }, 'default_provider_id'],
      [{ mcp_servers: [{ command: '/bin/x' }] }, 'mcp_servers[0].name'],
      [{ mcp_servers: [{ name: 'a' }] }, 'mcp_servers[0].command'],
      [{ mcp_servers: [{ name: 'a', transport: 'sse' }] }, 'mcp_servers[0].url'],
      [{ mcp_servers: [{ name: 'a', command: '/x' }, { name: 'a', command: '/y' }] }, 'mcp_servers[1].name'],
      [{ mcp_servers: 'none' }, 'mcp_servers'],
      [{ system_prompt: 'x'.repeat(40_000) }, 'system_prompt'],
    ] as const) {
      const res = await t.apiJson('/integrations', { method: 'POST', body: { name: `bad-profile-${field}-${Math.random()}`, ...body } });
      expect([field, res.status, res.body.error.startsWith(`${field}:`)]).toEqual([field, 400, true]);
    }
  });

  it('a create without provider_id uses default_provider_id, and default_model for that provider only', async () => {
    const t = gw.get();
    const reg = await integration(t, { default_provider_id: 'codex', default_model: 'gpt-5' });
    const s = await session(t, { provider_id: null }, reg.key);
    expect(s).toMatchObject({ provider_id: 'codex', model: 'gpt-5' });
    expect(await argvOf(t, s.id, 'codex')).toEqual(['--model', 'gpt-5']);
    // Another provider never gets that model name; the request's own model wins.
    const other = await session(t, { provider_id: 'gemini' }, reg.key);
    expect(await argvOf(t, other.id, 'gemini')).toEqual([]);
    const asked = await session(t, { provider_id: null, model: 'o3' }, reg.key);
    expect(asked).toMatchObject({ provider_id: 'codex', model: 'o3' });
    // Go's zero values, as a v2 client may send them, count as absent.
    const zero = await session(t, { provider_id: '', model: '', name: '' }, reg.key);
    expect(zero).toMatchObject({ provider_id: 'codex', model: 'gpt-5', name: expect.stringMatching(/^codex-/) });
    // The operator's own creates ignore every integration's profile.
    const operator = await t.apiJson('/sessions', { method: 'POST', body: {} });
    expect(operator.body.provider_id).toBe('shell');
    await t.api(`/sessions/${operator.body.id}`, { method: 'DELETE' });
  });

  it('claude gets --model, --permission-mode, --append-system-prompt and --mcp-config <a file written for that session>', async () => {
    const t = gw.get();
    // One line, so the fake's printed argv stays on one line too.
    const reg = await integration(t, { ...PROFILE, system_prompt: 'You are the invoicing secretary.' });
    const s = await session(t, { provider_id: null }, reg.key);
    const argv = await argvOf(t, s.id, 'claude');
    const mcpArg = argv.find((a) => a.startsWith('--mcp-config='))!;
    expect(argv).toEqual([
      '--model', 'opus',
      '--permission-mode', 'bypassPermissions',
      '--append-system-prompt', 'You are the invoicing secretary.',
      mcpArg,
      '--session-id', expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);
    const file = mcpArg.slice('--mcp-config='.length);
    expect(file).toContain(s.id);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      mcpServers: {
        invoicing: { command: '/usr/bin/invoicing-mcp', args: ['--db=/data/inv.sqlite'], env: { API_KEY: '${INVOICE_API_KEY}' } },
        docs: { type: 'http', url: 'https://mcp.example.test/mcp', headers: { Authorization: 'Bearer x' } },
      },
    });
    // The file lives as long as the process: gone once it stopped.
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    await waitFor(async () => !(await stat(file).catch(() => null)));
  });

  it('codex gets the bypass flag, developer_instructions and its MCP servers as -c overrides; a restart reads the profile again', async () => {
    const t = gw.get();
    const reg = await integration(t, { ...PROFILE, default_provider_id: 'codex', default_model: '' });
    const s = await session(t, { provider_id: null }, reg.key);
    expect(await argvOf(t, s.id, 'codex')).toEqual([
      '--dangerously-bypass-approvals-and-sandbox',
      '-c', 'developer_instructions="# Invoicing secretary\\nReply ONLY via the reply_to_user tool."',
      '-c', 'mcp_servers.invoicing.command="/usr/bin/invoicing-mcp"',
      '-c', 'mcp_servers.invoicing.args=["--db=/data/inv.sqlite"]',
      '-c', 'mcp_servers.invoicing.env={ "API_KEY" = "${INVOICE_API_KEY}" }',
      '-c', 'mcp_servers.docs.url="https://mcp.example.test/mcp"',
      '-c', 'mcp_servers.docs.http_headers={ "Authorization" = "Bearer x" }',
    ]);
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    await waitFor(async () => (await t.apiJson(`/sessions/${s.id}`)).body.state === 'stopped');
    // The operator narrows the profile; the restart (codex resume --last) follows it.
    await t.apiJson(`/integrations/${reg.id}`, { method: 'PATCH', body: { permission_mode: 'default', mcp_servers: [], system_prompt: '' } });
    const before = (await t.apiJson(`/sessions/${s.id}`)).body.bytes_out;
    expect((await t.apiJson(`/sessions/${s.id}/start`, { method: 'POST', token: reg.key })).status).toBe(200);
    const text = await waitForOutput(t, s.id, /FAKE codex ARGV: \[resume\] \[--last\]\r?\n/);
    expect(text.slice(before)).toContain('FAKE codex ARGV: [resume] [--last]\r\n');
  });

  it('applies nothing to the operator\'s sessions and nothing a provider cannot take (shell)', async () => {
    const t = gw.get();
    const reg = await integration(t, { ...PROFILE, default_provider_id: 'bash' });
    const s = await session(t, { provider_id: null }, reg.key);
    expect(s.provider_id).toBe('bash');
    expect((await t.apiJson(`/sessions/${s.id}`)).body.args).toEqual([]);
    const operator = await session(t, { provider_id: 'claude' });
    expect(await argvOf(t, operator.id, 'claude')).toEqual(['--session-id', expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });
});
