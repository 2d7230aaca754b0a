import { describe, expect, it } from 'vitest';
import { openEvents, type Frame } from '../support/events.js';
import { ADMIN_TOKEN, openWs, registerIntegration, waitFor, waitForOutput } from '../support/gateway.js';
import { startUpstream } from '../support/upstream.js';
import { integration, session, v2Gateway } from './support.js';

/** SPEC §16 rows "events", "event names" and "topics", over a real events socket. */
const gw = v2Gateway({ healthIntervalMs: 200 });

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const endsOf = (frames: Frame[], id: string) => frames.filter((f) => /^session\.(ended|stopped|interrupted)$/.test(f.topic) && f.data.session_id === id);

describe('SPEC §16 events', () => {
  it('events: stop/delete of a running session publishes session.stopped; a process exit session.ended; both with session_id, exit_code, ended_at, state, origin (+ signal, cursor)', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const events = await openEvents(t, 'topics=session.*', bot.key);
    const exits = await session(t, { args: ['-c', 'echo bye; exit 3'] });
    const stopped = await session(t, { args: ['-c', 'sleep 30'] });
    const deleted = await session(t, { args: ['-c', 'sleep 30'] }, bot.key);
    await t.api(`/sessions/${stopped.id}/stop`, { method: 'POST' });
    await t.api(`/sessions/${deleted.id}`, { method: 'DELETE', token: bot.key });
    await events.until((f) => f.topic === 'session.stopped' && f.data.session_id === deleted.id);
    await events.until((f) => f.topic === 'session.ended' && f.data.session_id === exits.id);

    const [exit] = endsOf(events.frames, exits.id);
    expect(exit!.topic).toBe('session.ended');
    expect(exit!.data).toEqual({ session_id: exits.id, exit_code: 3, state: 'ended', ended_at: expect.stringMatching(TS), origin: 'operator', cursor: expect.any(Number) });
    expect(exit!.data.cursor).toBeGreaterThan(0);
    const [stop] = endsOf(events.frames, stopped.id);
    expect(stop!.topic).toBe('session.stopped');
    expect(stop!.data).toMatchObject({ session_id: stopped.id, state: 'stopped', origin: 'operator', ended_at: expect.stringMatching(TS), signal: expect.stringMatching(/^SIG/) });
    expect(stop!.data.exit_code).toEqual(expect.any(Number));
    const [del] = endsOf(events.frames, deleted.id);
    expect(del).toMatchObject({ topic: 'session.stopped', data: { state: 'stopped', origin: 'integration' } });
    // Exactly one end each: never also a session.ended for a stop.
    for (const id of [exits.id, stopped.id, deleted.id]) expect(endsOf(events.frames, id)).toHaveLength(1);
    // ended_at is the session's own.
    expect((await t.apiJson(`/sessions/${stopped.id}`)).body.ended_at).toBe(stop!.data.ended_at);
    events.ws.close();
  });

  it('events: session.idle carries origin and recent_output, the visible screen text with trailing blank lines trimmed', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const events = await openEvents(t, 'topics=session.idle', bot.key);
    const s = await session(t, { provider_id: 'bash', rows: 10 });
    await t.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'clear; printf "first line\\nsecond line\\n"\n' } });
    const idle = await waitFor(() => events.events().find((f) => f.data.session_id === s.id && String(f.data.recent_output).includes('second line')), 15_000);
    expect(idle.data).toMatchObject({ session_id: s.id, origin: 'operator', idle_for_ms: expect.any(Number) });
    const text: string = idle.data.recent_output;
    expect(text).toMatch(/first line\nsecond line\n\S*[$#] ?$/);
    expect(text.endsWith('\n')).toBe(false);
    expect(text).not.toMatch(/\x1b/);
    events.ws.close();
  });

  it('events: submitted input publishes session.input {session_id}, from REST and from /stream', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const events = await openEvents(t, 'topics=session.input', bot.key);
    const s = await session(t, { provider_id: 'bash' });
    const input = (body: unknown) => t.api(`/sessions/${s.id}/input`, { method: 'POST', token: bot.key, body });
    await input({ data: 'echo typed-but-not-sent' }); // no CR/LF: nothing submitted
    await input({ data: '\n' });
    await input({ text: 'echo as-text' });
    await input({ keys: ['Enter'] });
    const stream = await openWs(`${t.wsUrl}/api/v1/sessions/${s.id}/stream`, { token: bot.key });
    stream.send('echo from-stream\r');
    await waitForOutput(t, s.id, 'from-stream');
    await waitFor(() => events.events().length >= 4);
    stream.close();
    expect(events.events().map((f) => f.data)).toEqual(Array.from({ length: 4 }, () => ({ session_id: s.id })));
    events.ws.close();
  });
});

describe('SPEC §16 event names and topics', () => {
  it("event names: canonical integration.key_rotated and integration.health_changed; the guide's integration.rotated / integration.health_change to subscribers naming them exactly, never twice", async () => {
    const t = gw.get();
    const up = await startUpstream({ health: (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}') });
    try {
      const reg = await registerIntegration(t, { name: 'v2-names', scopes: ['event:subscribe:integration.*'] });
      const key = reg.api_key;
      const canonical = await openEvents(t, 'topics=integration.key_rotated,integration.health_changed', key);
      const guide = await openEvents(t, 'topics=integration.rotated,integration.health_change', key);
      const both = await openEvents(t, 'topics=integration.*,integration.rotated', key);
      const admin = await openEvents(t, 'topics=integration.*', ADMIN_TOKEN);
      // Giving it a base_url starts the probes: unknown → healthy.
      await t.apiJson(`/integrations/${reg.integration.id}`, { method: 'PATCH', body: { base_url: up.url, route_prefix: 'v2-names' } });
      await canonical.until((f) => f.topic === 'integration.health_changed');
      await guide.until((f) => f.topic === 'integration.health_change');
      const rotated = await t.apiJson(`/integrations/${reg.integration.id}/rotate-key`, { method: 'POST', body: { grace_seconds: 60 } });
      expect(rotated.status).toBe(200);
      await canonical.until((f) => f.topic === 'integration.key_rotated');
      await guide.until((f) => f.topic === 'integration.rotated');
      await both.until((f) => f.topic === 'integration.rotated');
      await admin.until((f) => f.topic === 'integration.key_rotated');
      const topics = (c: typeof guide) => c.events().map((f) => f.topic);
      expect(topics(canonical)).toEqual(['integration.health_changed', 'integration.key_rotated']);
      expect(topics(guide)).toEqual(['integration.health_change', 'integration.rotated']);
      expect(guide.events()[1]!.data).toEqual({ integration_id: reg.integration.id, name: 'v2-names' });
      // Named exactly, the alias wins; the same event never comes twice (same seq, one frame).
      expect(topics(both).filter((x) => /rotated/.test(x))).toEqual(['integration.rotated']);
      expect(topics(both)).toContain('integration.health_changed');
      expect(new Set(both.events().map((f) => f.seq)).size).toBe(both.events().length);
      expect(topics(admin)).not.toContain('integration.rotated');
      for (const c of [canonical, guide, both, admin]) c.ws.close();
    } finally {
      await up.close();
    }
  });

  it('topics: empty items in topics are skipped (session.*, works); nothing left is still a 400', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const events = await openEvents(t, 'topics=session.*,', bot.key);
    const spaced = await openEvents(t, 'topics=,session.started,,', bot.key);
    const s = await session(t);
    await events.until((f) => f.topic === 'session.started' && f.data.session_id === s.id);
    await spaced.until((f) => f.topic === 'session.started' && f.data.session_id === s.id);
    await expect(openEvents(t, 'topics=,,', bot.key)).rejects.toMatchObject({ status: 400 });
    events.ws.close();
    spaced.ws.close();
  });
});
