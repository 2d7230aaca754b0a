import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput } from './support/run.js';

// A fake Claude Code that replays the recorded real one (core/test/fixtures/bin/fake-agent).
const fixtures = new URL('../../core/test/fixtures/', import.meta.url);
let t: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;
beforeAll(async () => {
  t = await startGateway({
    providers: [
      {
        id: 'fake-claude',
        command: fileURLToPath(new URL('bin/fake-agent', fixtures)),
        agent: 'claude',
        env: { FAKE_AGENT_KIND: 'claude', FAKE_AGENT_RECORDING: fileURLToPath(new URL('agent-recordings/claude.json', fixtures)), FAKE_AGENT_SPEED: '2' },
      },
    ],
  });
  config = await configHome();
});
afterAll(async () => {
  await t.close();
  await config.cleanup();
});

const cli = (args: string[]) => runCliWithInput(args, { env: { XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN }, timeoutMs: 30_000 });

describe('opendray sessions prompt / permission', () => {
  it('prints the reply, shows the agent state in the list, reports a dialog and answers it', async () => {
    const id = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'fake-claude' } })).body.id as string;
    await waitFor(async () => ((await t.apiJson(`/sessions/${id}`)).body.agent.state === 'idle' ? true : undefined), 15_000, 50);
    const reply = await cli(['sessions', 'prompt', id, 'say hello']);
    expect(reply).toMatchObject({ code: 0, stdout: 'Stand-in reply 1: say hello to me\n' });

    const table = await cli(['sessions', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/\bAGENT\b/);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+\\S+\\s+fake-claude\\s+(running|idle)\\s+idle\\s`));

    const blocked = await cli(['sessions', 'prompt', id, 'please run the tool']);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('touch stand-in-tool-output.txt');
    const allowed = await cli(['sessions', 'permission', id, 'allow']);
    expect(allowed).toMatchObject({ code: 0, stdout: `allowed (${id})\n` });
    const bad = await cli(['sessions', 'permission', id, 'perhaps']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('allow');
  });
});
