import { afterEach, describe, expect, it } from 'vitest';
import { createSession } from '../fixtures/sessions.js';
import { waitForOutput } from '../support/gateway.js';
import { MODES, startBox, type Box } from './support.js';

// Issue #11 §5: request `env` and `args` went past the operator's policy. The policy does
// not depend on the sandbox: each case holds with it off too.
describe.each(MODES)('request env and args against the launch policy (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  const create = async (token: string, body: Record<string, unknown>) =>
    box.t.apiJson('/sessions', { method: 'POST', token, body: { cwd: await box.workdir('p'), ...body } });

  it('refuses env names that change how code loads or where keys go, with a 400 naming the variable', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('loader');
    const refused: Array<[string, string]> = [
      ['claude', 'NODE_OPTIONS'],
      ['claude', 'ANTHROPIC_BASE_URL'],
      ['claude', 'CLAUDE_CONFIG_DIR'],
      ['codex', 'OPENAI_BASE_URL'],
      ['codex', 'CODEX_HOME'],
      ['gemini', 'GOOGLE_GEMINI_BASE_URL'],
      ['sh', 'LD_PRELOAD'],
      ['sh', 'BASH_ENV'],
      ['sh', 'ENV'],
      ['sh', 'PROMPT_COMMAND'],
      ['sh', 'PYTHONSTARTUP'],
      ['sh', 'https_proxy'],
      ['sh', 'GIT_SSH_COMMAND'],
      ['sh', 'OPENDRAY_ADMIN_TOKEN'],
      ['sh', 'HOME'],
      ['sh', 'PATH'],
    ];
    for (const [provider_id, name] of refused) {
      const res = await create(key, { provider_id, env: { OK_VAR: '1', [name]: '--import=data:text/javascript,console.log(process.env)' } });
      expect(res.status, `${provider_id} ${name}`).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.error).toContain(`env.${name}`);
    }
    expect((await box.t.apiJson('/sessions')).body.sessions).toEqual([]);
    // Names that only describe pass.
    const ok = await create(key, { provider_id: 'sh', args: ['-c', 'echo "V=$GIT_AUTHOR_NAME/$NODE_ENV/$MY_SETTING"'], env: { GIT_AUTHOR_NAME: 'bot', NODE_ENV: 'test', MY_SETTING: 'x' } });
    expect(ok.status).toBe(201);
    expect(await waitForOutput(box.t, ok.body.id, 'V=bot/test/x')).toContain('V=bot/test/x');
  });

  it('refuses the flags that run code or bypass the agent permission checks, in every spelling', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('flagger');
    const refused: Array<[string, string[], string]> = [
      ['claude', ['--mcp-config', '/tmp/evil.json'], '--mcp-config'],
      ['claude', ['--settings={"hooks":{}}'], '--settings'],
      ['claude', ['--plugin-dir', '.'], '--plugin-dir'],
      ['claude', ['--dangerously-skip-permissions'], '--dangerously-skip-permissions'],
      ['codex', ['--dangerously-bypass-approvals-and-sandbox'], '--dangerously-bypass-approvals-and-sandbox'],
      ['codex', ['-c', 'notify=["sh","-c","id"]'], '-c'],
      ['codex', ['-mxc', 'x'], '-c'],
      ['codex', ['--config=sandbox_mode="danger-full-access"'], '--config'],
      ['codex', ['sandbox', 'linux', 'sh'], 'sandbox'],
      ['gemini', ['--yolo'], '--yolo'],
      ['gemini', ['-y'], '-y'],
      ['gemini', ['--extensions', 'evil'], '--extensions'],
    ];
    for (const [provider_id, args, flag] of refused) {
      const res = await create(key, { provider_id, args });
      expect(res.status, `${provider_id} ${args.join(' ')}`).toBe(400);
      expect(res.body.error).toContain(JSON.stringify(flag));
      expect(res.body.error).toMatch(/^args\[\d+\]/);
    }
  });

  it('refuses request args that would override a flag the operator pinned (not silently dropped)', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('overrider');
    // Unpinned, the integration may choose: the argv shows its flag.
    const free = await create(key, { provider_id: 'claude', args: ['--permission-mode', 'acceptEdits'] });
    expect(free.status).toBe(201);
    expect(await waitForOutput(box.t, free.body.id, 'FAKE claude ARGV')).toContain('[--permission-mode] [acceptEdits]');

    await box.t.apiJson('/providers/claude/config', { method: 'PATCH', body: { permission_mode: 'default' } });
    await box.t.apiJson('/providers/gemini/config', { method: 'PATCH', body: { approval_mode: 'default' } });
    await box.t.apiJson('/providers/codex/config', { method: 'PATCH', body: { sandbox: 'read-only' } });
    for (const [provider_id, args] of [
      ['claude', ['--permission-mode', 'bypassPermissions']],
      ['claude', ['--permission-mode=bypassPermissions']],
      ['claude', ['--allowedTools', 'Bash(*)']],
      ['gemini', ['--approvalMode', 'yolo']],
      ['codex', ['-s', 'danger-full-access']],
      ['codex', ['--full-auto']],
    ] as Array<[string, string[]]>) {
      const res = await create(key, { provider_id, args });
      expect(res.status, `${provider_id} ${args.join(' ')}`).toBe(400);
      expect(res.body.error).toMatch(/which the operator set/);
    }
    // A restart re-checks: the session created before the pin no longer starts.
    await box.t.apiJson(`/sessions/${free.body.id}/stop`, { method: 'POST', token: key });
    const restart = await box.t.apiJson(`/sessions/${free.body.id}/start`, { method: 'POST', token: key });
    expect(restart.status).toBe(400);
    expect(restart.body.error).toContain('--permission-mode');
    // The operator's own flag is there, once.
    const pinned = await create(key, { provider_id: 'claude', args: ['--verbose'] });
    expect(await waitForOutput(box.t, pinned.body.id, 'FAKE claude ARGV')).toContain('[--permission-mode] [default]');
  });

  it('a provider with accepts_args: false takes no request args at all', async () => {
    box = await startBox(mode, {
      providers: [{ id: 'locked', display_name: 'locked', kind: 'shell', command: '/bin/sh', args: ['-c', 'echo LOCKED-RAN'], submit_key: '\n', config_schema: {}, accepts_args: false }],
    });
    const { key } = await box.integration('args');
    const res = await create(key, { provider_id: 'locked', args: ['-c', 'id'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('takes no request arguments');
    const ok = await createSession(box.t, { provider_id: 'locked', cwd: await box.workdir('locked') }, key);
    expect(await waitForOutput(box.t, ok.id, 'LOCKED-RAN')).toContain('LOCKED-RAN');
  });
});
