import { readlinkSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLIS, INSTALL_TIMEOUT_MS, installAgentCli, type AgentCli } from '../support/agent-clis.js';
import { AGENT_ARGS, agentEnv, seedAgentHome } from '../support/agent-homes.js';
import { waitFor } from '../support/gateway.js';
import { startModelStandIn, type ModelStandIn } from '../support/model-stand-in/server.js';
import { BOX_PROVIDERS, startBox, type Box } from './support.js';

/** Text each pinned CLI shows once its first screen is up (AGENT-CLIS.md versions). */
const FIRST_SCREEN: Record<AgentCli, RegExp[]> = {
  claude: [new RegExp(`Claude Code v${AGENT_CLIS.claude.version}`), /\? for shortcuts/],
  codex: [new RegExp(`OpenAI Codex \\(v${AGENT_CLIS.codex.version}\\)`), /Ask Codex to do anything/],
  gemini: [new RegExp(`Gemini CLI v${AGENT_CLIS.gemini.version}`), /Type your message/],
};

// SPEC §15: agents must still work inside the sandbox. Each real CLI runs as an
// integration's session (the operator's HOME hidden, its own HOME pre-seeded so it starts
// offline), with only the operator's provider env pointing it at a local stand-in.
describe.each(Object.keys(AGENT_CLIS) as AgentCli[])('the real %s inside the sandbox', (name) => {
  let bin: string;
  let box: Box | undefined;
  let standIn: ModelStandIn | undefined;
  beforeAll(async () => {
    bin = await installAgentCli(name);
  }, INSTALL_TIMEOUT_MS);
  afterEach(async () => {
    await box?.close();
    await standIn?.close();
  });

  it('starts as an integration session, renders its first screen and stops', async () => {
    standIn = await startModelStandIn();
    const providers = [...BOX_PROVIDERS.filter((p) => p.id !== name), { id: name, command: bin, args: AGENT_ARGS[name], env: agentEnv(name, standIn.url) }];
    box = await startBox('bwrap', { providers });
    const { id, key } = await box.integration(`${name}-user`);
    const cwd = await realpath(await box.workdir(name));
    await seedAgentHome(name, join(box.dataDir, 'homes', id), { cwd, baseUrl: standIn.url });

    const created = await box.t.apiJson('/sessions', { method: 'POST', token: key, body: { provider_id: name, cwd, cols: 120, rows: 40 } });
    expect(created.status).toBe(201);
    // The PTY child becomes bwrap once the descriptor shim has exec'd it.
    await waitFor(() => /\/bwrap$/.test(readlinkSync(`/proc/${created.body.pid}/exe`)));
    let text = '';
    try {
      await waitFor(async () => {
        const screen = await box!.t.apiJson(`/sessions/${created.body.id}/screen`, { token: key });
        text = screen.body.lines.join('\n');
        return FIRST_SCREEN[name].every((re) => re.test(text));
      }, 45_000, 250);
    } catch {
      throw new Error(`${name} never showed its first screen; state ${(await box.t.apiJson(`/sessions/${created.body.id}`)).body.state}; screen:\n${text}`);
    }
    expect((await box.t.apiJson(`/sessions/${created.body.id}`)).body.state).toMatch(/running|idle/);

    const stopped = await box.t.apiJson(`/sessions/${created.body.id}/stop`, { method: 'POST', token: key });
    expect(stopped.body.state).toBe('stopped');
  }, 90_000);
});
