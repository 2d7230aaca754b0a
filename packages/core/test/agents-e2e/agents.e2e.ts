import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAgentCli, type AgentCli } from '../support/agent-clis.js';
import { createAgentHome, type AgentHome } from '../support/agent-homes.js';
import { openEvents, type EventsClient } from '../support/events.js';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../support/gateway.js';
import { startModelStandIn, TOOL_FILE, type ModelStandIn } from '../support/model-stand-in/server.js';

/**
 * SPEC §17 end to end with the real Claude Code, Codex and Gemini CLI: prompt-and-wait,
 * permission dialogs (allow and deny), the state events and their sources, and resume
 * after a gateway restart — every answer checked against the stand-in's own log.
 */
const KINDS: AgentCli[] = ['claude', 'codex', 'gemini'];
/** Which sources may report each transition (a CLI's hook and its own terminal signal race). */
const SOURCES: Record<AgentCli, string[]> = { claude: ['hook', 'title', 'screen'], codex: ['hook', 'osc', 'title', 'screen'], gemini: ['hook', 'title', 'osc', 'screen'] };

let standIn: ModelStandIn;
let dataDir: string;
const homes = new Map<AgentCli, AgentHome>();

beforeAll(async () => {
  standIn = await startModelStandIn({ firstTokenDelayMs: 300 });
  dataDir = await mkdtemp(join(tmpdir(), 'opendray-agents-e2e-'));
  for (const kind of KINDS) homes.set(kind, await createAgentHome(kind, await installAgentCli(kind), standIn.url));
});
afterAll(async () => {
  await standIn?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const startAgentsGateway = () =>
  startGateway({ storage: `sqlite://${join(dataDir, 'opendray.sqlite')}`, providers: [...homes.values()].map((h) => h.provider) });

describe.each(KINDS)('%s end to end', (kind) => {
  let t: TestGateway;
  let events: EventsClient;
  let id: string;
  const home = () => homes.get(kind)!;

  beforeAll(async () => {
    t = await startAgentsGateway();
    events = await openEvents(t, 'topics=session.*', ADMIN_TOKEN);
  });
  afterAll(async () => {
    events?.ws.close();
    await t?.close();
  });

  const agent = async () => (await t.apiJson(`/sessions/${id}/agent`)).body;
  const prompt = (text: string, wait: Record<string, unknown> = { timeout_ms: 90_000 }) =>
    t.apiJson(`/sessions/${id}/prompt`, { method: 'POST', body: { text, wait } });
  const waitState = (state: string) => waitFor(async () => ((await agent()).state === state ? true : undefined), 60_000, 100);

  it('starts, becomes idle, and answers "say hello" with the stand-in reply', async () => {
    const created = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: kind, cwd: home().cwd, cols: 120, rows: 40 } });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect(created.body.agent).toMatchObject({ kind, state: 'starting' });
    await waitState('idle');
    const turnsBefore = standIn.turns().length;
    const res = await prompt('say hello');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const sent = standIn.turns().slice(turnsBefore).filter((r) => r.answer?.kind === 'text');
    expect(sent.length).toBeGreaterThan(0);
    const reply = (sent.at(-1)!.answer as { text: string }).text;
    expect(res.body).toMatchObject({ state: 'idle', text: reply, turn: { n: 1 } });
    expect(res.body.output.to).toBeGreaterThan(res.body.output.from);
    const listed = await t.apiJson(`/sessions/${id}`);
    expect(listed.body.agent).toMatchObject({ state: 'idle', turn: { n: 1 } });
  });

  it('stops at the permission dialog with its text, and runs the command after allow', async () => {
    await rm(join(home().cwd, TOOL_FILE), { force: true });
    const res = await prompt('please run the tool');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ state: 'blocked', reason: 'permission' });
    expect(res.body.prompt_text).toContain(`touch ${TOOL_FILE}`);
    const blocked = await events.until((f) => f.topic === 'session.blocked' && f.data.session_id === id);
    expect(blocked.data.prompt_text).toContain(TOOL_FILE);
    const busy = await prompt('another prompt');
    expect(busy).toMatchObject({ status: 409, body: { code: 'agent_blocked' } });

    const n = res.body.turn.n;
    const allowed = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'allow' } });
    expect(allowed.status).toBe(200);
    const done = await events
      .until((f) => f.topic === 'session.turn_completed' && f.data.session_id === id && f.data.turn.n === n, 90_000)
      .catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await agent(), null, 1)}`);
      });
    const final = standIn.turns().at(-1)!;
    expect(final.answer).toMatchObject({ kind: 'text' });
    expect(done.data.text).toBe((final.answer as { text: string }).text);
    expect(existsSync(join(home().cwd, TOOL_FILE))).toBe(true);
    expect((await agent()).state).toBe('idle');
  });

  it('honours deny: the command does not run and the agent is idle again', async () => {
    await rm(join(home().cwd, TOOL_FILE), { force: true });
    const res = await prompt('please run the tool');
    expect(res.body).toMatchObject({ state: 'blocked', reason: 'permission' });
    const turnsBefore = standIn.turns().length;
    const denied = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'deny' } });
    expect(denied.status).toBe(200);
    await waitState('idle');
    expect(existsSync(join(home().cwd, TOOL_FILE))).toBe(false);
    // Whatever the CLI sent the model after a deny, it did not get to run the tool.
    expect(standIn.turns().slice(turnsBefore).every((r) => r.answer?.kind !== 'tool_call')).toBe(true);
    const none = await t.apiJson(`/sessions/${id}/permission`, { method: 'POST', body: { decision: 'allow' } });
    expect(none.status).toBe(409);
  });

  it('published state_changed events in order, each from a source that applies', () => {
    const changes = events.events().filter((f) => f.topic === 'session.state_changed' && f.data.session_id === id);
    expect(changes.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.data.from).toBe(changes[i - 1]!.data.to);
    expect(changes[0]!.data.from).toBe('starting');
    for (const c of changes) expect(SOURCES[kind].concat(['silence'])).toContain(c.data.source);
    const path = changes.map((c) => c.data.to);
    expect(path).toContain('blocked');
    expect(path.filter((s) => s === 'working').length).toBeGreaterThanOrEqual(3);
    // The hook (or Codex's own host signal) reports the turn ends, not silence.
    expect(changes.filter((c) => c.data.to === 'idle' && c.data.from === 'working').every((c) => c.data.source !== 'silence')).toBe(true);
  });

  it('resumes the same conversation after a gateway restart', async () => {
    events.ws.close();
    await t.close();
    t = await startAgentsGateway();
    events = await openEvents(t, 'topics=session.*', ADMIN_TOKEN);
    const after = await t.apiJson(`/sessions/${id}`);
    expect(after.body).toMatchObject({ state: 'interrupted', agent: { state: 'exited' } });
    const started = await t.apiJson(`/sessions/${id}/start`, { method: 'POST' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await waitState('idle');
    const turnsBefore = standIn.turns().length;
    const res = await prompt('say hello once more');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.state).toBe('idle');
    const resumed = standIn.turns().slice(turnsBefore);
    expect(resumed.length).toBeGreaterThan(0);
    // The stand-in sees the earlier messages of this conversation.
    expect(resumed.at(-1)!.raw).toContain('say hello');
    expect(resumed.at(-1)!.raw).toContain('please run the tool');
    await t.apiJson(`/sessions/${id}/stop`, { method: 'POST' });
  });
});
