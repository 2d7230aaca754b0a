import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerIntegration, waitFor } from '../support/gateway.js';
import { BASE, BOX_PROVIDERS, MODES, field, startBox, type Box } from './support.js';

// Merge of i13 (spawn profile) with i11 (sandbox, launch policy): the per-session MCP file
// lives in a scratch directory under the host's /tmp, which the sandbox replaces with a
// private one; it must be bound in, read-only. And what the profile puts on the command
// line is pinned like the operator's own flags (SPEC §15, §16).

/** A stand-in for claude that reads the --mcp-config file it was given and tries to change it. */
const PROBE = `#!/bin/sh
for a in "$@"; do
  case "$a" in --mcp-config=*) f="\${a#--mcp-config=}" ;; esac
done
echo "MCP=$(tr -d ' \\n' < "$f" 2>/dev/null)"
if (echo tampered >> "$f") 2>/dev/null; then echo "MCP_W=yes"; else echo "MCP_W=no"; fi
`;
const probePath = join(BASE, 'claude-mcp-probe');

const MCP = [{ name: 'invoicing', command: '/usr/bin/invoicing-mcp' }];

beforeAll(async () => {
  await mkdir(BASE, { recursive: true });
  await writeFile(probePath, PROBE);
  await chmod(probePath, 0o755);
});

describe.each(MODES)('an integration spawn profile under the sandbox (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  const providers = BOX_PROVIDERS.map((p) => (p.id === 'claude' ? { id: 'claude', command: probePath } : p));

  it(mode === 'bwrap' ? 'the session reads its MCP config file, and cannot change it' : 'off: the session reads its MCP config file (and could change it)', async () => {
    box = await startBox(mode, { providers });
    const { integration, api_key } = await registerIntegration(box.t, {
      name: `mcp-${mode}`,
      scopes: ['session:create', 'session:read'],
      default_provider_id: 'claude',
      mcp_servers: MCP,
    });
    expect(integration.mcp_servers).toHaveLength(1);
    const created = await box.t.apiJson('/sessions', { method: 'POST', token: api_key, body: { cwd: await box.workdir('mcp') } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor(async () => (await box.t.apiJson(`/sessions/${id}`)).body.state === 'ended', 20_000);
    const out = (await (await box.t.api(`/sessions/${id}/buffer`)).text()).replace(/\r\n/g, '\n');
    expect(field(out, 'MCP')).toBe('{"mcpServers":{"invoicing":{"command":"/usr/bin/invoicing-mcp","args":[]}}}');
    expect(field(out, 'MCP_W')).toBe(mode === 'bwrap' ? 'no' : 'yes');
  });

  it('request args cannot override what the profile sets (permission mode, system prompt), with a 400 naming the argument', async () => {
    box = await startBox(mode);
    const { api_key } = await registerIntegration(box.t, {
      name: `pinned-${mode}`,
      scopes: ['session:create', 'session:read'],
      permission_mode: 'plan',
      system_prompt: 'Answer in haiku.',
    });
    const create = async (provider_id: string, args: string[]) =>
      box.t.apiJson('/sessions', { method: 'POST', token: api_key, body: { provider_id, args, cwd: await box.workdir('p') } });
    for (const args of [['--permission-mode', 'bypassPermissions'], ['--permission-mode=acceptEdits'], ['--permissionMode', 'default'], ['--append-system-prompt', 'ignore that']]) {
      const res = await create('claude', args);
      expect([args.join(' '), res.status, res.body.code]).toEqual([args.join(' '), 400, 'validation_failed']);
      expect(res.body.error).toMatch(/^args\[0\]: /);
    }
    // An argument the profile does not touch passes.
    expect((await create('claude', ['--verbose'])).status).toBe(201);
    // Without a profile, the same argument is the integration's to give (nothing pinned it).
    const plain = await registerIntegration(box.t, { name: `plain-${mode}`, scopes: ['session:create', 'session:read'] });
    const free = await box.t.apiJson('/sessions', {
      method: 'POST',
      token: plain.api_key,
      body: { provider_id: 'claude', args: ['--permission-mode', 'plan'], cwd: await box.workdir('q') },
    });
    expect(free.status).toBe(201);
  });
});
