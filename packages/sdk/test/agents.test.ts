import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAgentProvider } from '../../core/test/support/agent-fakes.js';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { OpendrayClient, OpendrayError, type EventFrame } from '../src/index.js';

// The SDK's agent methods (SPEC §17) against a gateway running a replayed Claude Code.
let t: TestGateway;
let client: OpendrayClient;
beforeAll(async () => {
  t = await startGateway({ providers: [fakeAgentProvider('claude')] });
  const admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
  const { api_key } = await admin.createIntegration({
    name: 'sdk-agents',
    scopes: ['session:read', 'session:create', 'session:input', 'event:subscribe:session.*'],
  });
  client = new OpendrayClient({ baseUrl: t.url, token: api_key });
});
afterAll(() => t.close());

describe('client.prompt / permission / agent', () => {
  it('prompts and gets the reply, stops at a dialog, answers it, and sees typed events', async () => {
    const session = await client.createSession({ provider_id: 'fake-claude' });
    expect(session.agent).toMatchObject({ kind: 'claude' });
    await waitFor(async () => ((await client.agent(session.id)).state === 'idle' ? true : undefined), 15_000, 50);
    const abort = new AbortController();
    const frames: EventFrame[] = [];
    void (async () => {
      for await (const f of client.events({ topics: ['session.*'], signal: abort.signal })) frames.push(f);
    })().catch(() => undefined);

    const reply = await client.prompt(session.id, 'say hello', { wait: { timeout_ms: 20_000 } });
    expect(reply).toMatchObject({ state: 'idle', text: 'Stand-in reply 1: say hello to me', turn: { n: 1 } });
    const blocked = await client.prompt(session.id, 'please run the tool');
    expect(blocked).toMatchObject({ state: 'blocked', reason: 'permission', prompt_text: expect.stringContaining('touch') });
    const err = await client.prompt(session.id, 'again').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpendrayError);
    expect((err as OpendrayError).code).toBe('agent_blocked');
    expect(await client.permission(session.id, 'allow')).toMatchObject({ decision: 'allow', agent: { kind: 'claude' } });
    // Frames are discriminated by topic: narrowing types `data` (SPEC §6 typed topic map).
    const done = await waitFor(() => frames.find((f) => f.topic === 'session.turn_completed' && f.data.turn.n === 2), 20_000, 20);
    if (done.topic !== 'session.turn_completed') throw new Error('narrowing');
    expect(done.data.text).toMatch(/^Tool finished/);
    const report = await client.agent(session.id);
    expect(report.explain.some((j) => j.source === 'hook')).toBe(true);
    abort.abort();
  });
});
