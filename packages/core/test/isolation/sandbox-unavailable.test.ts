import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Logger } from '../../src/index.js';
import { startGateway, tempDir, waitForOutput, type TestGateway } from '../support/gateway.js';
import { BOX_PROVIDERS } from './support.js';

/** Runs `fn` with PATH pointing at an empty directory: bubblewrap is "not installed" there. */
async function withoutBwrap<T>(fn: () => Promise<T>): Promise<T> {
  const empty = await tempDir('opendray-no-bwrap-');
  const saved = process.env.PATH;
  process.env.PATH = empty.path;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
    await empty.remove();
  }
}

function recordingLogger(): { logger: Logger; lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('where no sandbox can run', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('auto: says so in one line at start, runs operator sessions, refuses integration sessions with 503 naming the fix', async () => {
    const { logger, lines } = recordingLogger();
    t = await withoutBwrap(() => startGateway({ sandbox: 'auto', logger, providers: BOX_PROVIDERS }));
    expect(t.gateway.sandbox).toMatchObject({ name: 'none', isolates: false });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/no session sandbox: bubblewrap \(bwrap\) is not installed.*apt-get install -y bubblewrap/);

    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'refused', scopes: ['session:create'] } });
    const refused = await t.apiJson('/sessions', { method: 'POST', token: reg.body.api_key, body: { provider_id: 'sh', args: ['-c', 'true'] } });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('unavailable');
    expect(refused.body.error).toContain('apt-get install -y bubblewrap');
    expect(refused.body.error).toContain('sandbox "off"');
    expect((await t.apiJson('/sessions')).body.sessions).toEqual([]);

    const operator = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh', args: ['-c', 'echo OPERATOR-RAN'] } });
    expect(operator.status).toBe(201);
    await waitForOutput(t, operator.body.id, 'OPERATOR-RAN');
  });

  it('bwrap asked for explicitly: createGateway fails naming the fix', async () => {
    await expect(withoutBwrap(() => createGateway({ sandbox: 'bwrap' }))).rejects.toThrow(/sandbox: "bwrap" was asked for, but bubblewrap \(bwrap\) is not installed; install bubblewrap/);
  });

  it('off, chosen by the operator: integration sessions run, unsandboxed, and the status says so', async () => {
    t = await withoutBwrap(() => startGateway({ sandbox: 'off', providers: BOX_PROVIDERS }));
    expect(t.gateway.sandbox).toMatchObject({ name: 'off', isolates: false, message: expect.stringContaining('operator choice') });
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'allowed', scopes: ['session:create', 'session:read'] } });
    const res = await t.apiJson('/sessions', { method: 'POST', token: reg.body.api_key, body: { provider_id: 'sh', args: ['-c', 'echo RAN-UNSANDBOXED'] } });
    expect(res.status).toBe(201);
  });

  it('rejects a sandbox setting it does not know', async () => {
    await expect(createGateway({ sandbox: 'docker' as never })).rejects.toThrow(/option "sandbox" must be "auto", "bwrap", "off" or a SessionSandbox/);
  });
});
