import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuffer, startGateway, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, recordEvents } from './fixtures/sessions.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({ providers: TEST_PROVIDERS, idleThresholdMs: 400, stopGraceMs: 1_000 });
});
afterAll(() => t.close());

const input = (id: string, body: unknown) => t.api(`/sessions/${id}/input`, { method: 'POST', body });
const getSession = async (id: string) => (await t.apiJson(`/sessions/${id}`)).body;

describe('sessions over real PTYs', () => {
  it('creates a session with the documented shape and lists it', async () => {
    const s = await createSession(t, { provider_id: 'sh', name: 'first', cols: 90, rows: 30 });
    expect(s).toMatchObject({ name: 'first', provider_id: 'sh', state: 'running', cols: 90, rows: 30, origin: 'operator', bytes_out: 0 });
    expect(s.id).toMatch(/^ses_[A-Za-z0-9_-]{12}$/);
    expect(s.pid).toBeGreaterThan(1);
    expect(s).not.toHaveProperty('env');
    expect(s).not.toHaveProperty('agent_session_id');
    const list = await t.apiJson('/sessions?provider_id=sh');
    expect(list.body.sessions.map((x: any) => x.id)).toContain(s.id);
    expect((await t.apiJson('/sessions?provider_id=nope')).body.sessions).toEqual([]);
    expect((await t.apiJson('/sessions?state=bogus')).status).toBe(400);
  });

  it('round-trips an echo through /input', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    expect((await input(s.id, { data: 'echo hello-$((1+2))\n' })).status).toBe(204);
    await waitForOutput(t, s.id, 'hello-3');
  });

  it('submits a text message with the submit key and records history', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    expect((await input(s.id, { text: 'echo sub-$((2+3))' })).status).toBe(204);
    await waitForOutput(t, s.id, 'sub-5');
    await input(s.id, { data: 'echo typed-only' }); // no line end: not a submitted message
    await input(s.id, { data: '\u0015echo raw-$((3+3))\r' });
    await waitForOutput(t, s.id, 'raw-6');
    const history = await t.apiJson(`/sessions/${s.id}/history`);
    expect(history.body.entries.map((e: any) => e.text)).toEqual(['echo sub-$((2+3))', '\u0015echo raw-$((3+3))']);
    expect(history.body.entries[0]).toMatchObject({ session_id: s.id });
    expect(history.body.entries[0].ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await t.apiJson(`/sessions/${s.id}/history?limit=1`)).body.entries).toHaveLength(1);
    expect((await t.apiJson(`/sessions/${s.id}/history?limit=0`)).status).toBe(400);
    expect((await t.apiJson(`/sessions/${s.id}/history?limit=1001`)).status).toBe(400);
  });

  it('interrupts a sleep with the C-c key', async () => {
    const s = await createSession(t, { provider_id: 'bash', env: { PS1: '$ ' } });
    await input(s.id, { data: 'sleep 30\n' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await input(s.id, { keys: ['C-c'] })).status).toBe(204);
    await input(s.id, { data: 'echo rc=$?\n' });
    await waitForOutput(t, s.id, 'rc=130');
  });

  it('resizes the terminal, as stty sees it', async () => {
    const s = await createSession(t, { provider_id: 'sh', cols: 100, rows: 30 });
    expect((await t.api(`/sessions/${s.id}/resize`, { method: 'POST', body: { cols: 91, rows: 27 } })).status).toBe(204);
    await input(s.id, { data: 'stty size\n' });
    await waitForOutput(t, s.id, '27 91');
    expect(await getSession(s.id)).toMatchObject({ cols: 91, rows: 27 });
  });

  it('publishes started, output (offsets cover every byte) and ended after the last output', async () => {
    const rec = recordEvents(t.gateway.bus);
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i ünïcødé"; i=$((i+1)); done; exit 7'] });
    const ended = await waitFor(() => rec.events.find((e) => e.topic === 'session.ended' && e.data.session_id === s.id));
    rec.stop();
    const mine = rec.events.filter((e) => e.data.session_id === s.id);
    expect(mine[0]).toMatchObject({ topic: 'session.started', data: { provider_id: 'sh', name: s.name } });
    expect(mine.at(-1)).toBe(ended);
    expect(ended.data).toMatchObject({ exit_code: 7, state: 'ended' });
    const outputs = mine.filter((e) => e.topic === 'session.output');
    let offset = 0;
    for (const o of outputs) {
      expect(o.data.offset).toBe(offset);
      expect(o.data.bytes).toBeLessThanOrEqual(65_536);
      offset += o.data.bytes as number;
    }
    expect(offset).toBe(ended.data.cursor);
    const text = outputs.map((o) => o.data.data).join('');
    expect(text).toContain('line 299 ünïcødé');
    expect(text).not.toContain('\ufffd');
    const buf = await readBuffer(t, s.id);
    expect(buf.bytes.toString('utf8')).toBe(text);
    expect(await getSession(s.id)).toMatchObject({ state: 'ended', exit_code: 7, bytes_out: ended.data.cursor });
  });

  it('reports the signal that killed a process, and stop ends a session as stopped', async () => {
    const killed = await createSession(t, { provider_id: 'sh', args: ['-c', 'kill -TERM $$; sleep 5'] });
    await waitFor(async () => (await getSession(killed.id)).state === 'ended');
    expect(await getSession(killed.id)).toMatchObject({ signal: 'SIGTERM', exit_code: 143 });

    // SPEC §16: a stop is `session.stopped`, not `session.ended`.
    const rec = recordEvents(t.gateway.bus, ['session.ended', 'session.stopped']);
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'sleep 30'] });
    const stopped = await t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ state: 'stopped' });
    expect(stopped.body.signal).toMatch(/^SIG(HUP|TERM)$/);
    expect(stopped.body.pid).toBeUndefined();
    expect(rec.events.filter((e) => e.data.session_id === s.id).map((e) => [e.topic, e.data.state])).toEqual([['session.stopped', 'stopped']]);
    rec.stop();
    expect((await input(s.id, { data: 'x' })).status).toBe(409);
    // Stop is idempotent.
    expect((await t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST' })).body.state).toBe('stopped');
  });

  it('stops every process of the session, even a background job that ignores SIGHUP and SIGTERM', async () => {
    const s = await createSession(t, { provider_id: 'bash', env: { PS1: '$ ' } });
    await input(s.id, { data: 'trap "" HUP TERM; sleep 77 & echo bg=$!\n' });
    const out = await waitForOutput(t, s.id, /bg=(\d+)/);
    const bgPid = Number(/bg=(\d+)/.exec(out)![1]);
    await t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST' });
    // The job runs in a process group of its own and inherited the ignored signals: only SIGKILL to it ends it.
    await waitFor(() => {
      try {
        process.kill(bgPid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('goes idle after the threshold and active again on output', async () => {
    const rec = recordEvents(t.gateway.bus, ['session.idle', 'session.active']);
    const s = await createSession(t, { provider_id: 'sh' });
    const idle = await waitFor(() => rec.events.find((e) => e.topic === 'session.idle' && e.data.session_id === s.id));
    expect(idle.data.idle_for_ms).toBeGreaterThanOrEqual(400);
    const view = await getSession(s.id);
    expect(view.state).toBe('idle');
    expect(view.idle_since).toMatch(/Z$/);
    await input(s.id, { data: 'echo wake\n' });
    await waitFor(() => rec.events.find((e) => e.topic === 'session.active' && e.data.session_id === s.id));
    rec.stop();
    expect(['running', 'idle']).toContain((await getSession(s.id)).state);
  });

  it('renders the screen: lines, cursor, title, alternate screen, ansi', async () => {
    const s = await createSession(t, { provider_id: 'sh', cols: 40, rows: 10 });
    await input(s.id, { data: "printf '\\033]0;my-title\\007'; echo scr-$((6*7))\n" });
    await waitForOutput(t, s.id, 'scr-42');
    const screen = await t.apiJson(`/sessions/${s.id}/screen`);
    expect(screen.body).toMatchObject({ cols: 40, rows: 10, alt_screen: false, title: 'my-title' });
    expect(screen.body.lines).toHaveLength(10);
    // Typed before the prompt appeared, the output may share its line with the prompt.
    expect(screen.body.lines.some((l: string) => /(^|\s)scr-42$/.test(l)), JSON.stringify(screen.body.lines)).toBe(true);
    expect(screen.body.cursor.y).toBeGreaterThan(0);
    const ansi = await t.api(`/sessions/${s.id}/screen?format=ansi`);
    expect(await ansi.text()).toContain('scr-42');
    await input(s.id, { data: "printf '\\033[?1049h'; echo in-alt\n" });
    await waitForOutput(t, s.id, 'in-alt\r\n');
    await waitFor(async () => (await t.apiJson(`/sessions/${s.id}/screen`)).body.alt_screen === true);
    expect((await t.apiJson(`/sessions/${s.id}/screen?format=xml`)).status).toBe(400);
  });

  it('restarts an ended session under the same id, continuing the cursor', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'echo run-once'] });
    await waitFor(async () => (await getSession(s.id)).state === 'ended');
    const before = await readBuffer(t, s.id);
    const started = await t.apiJson(`/sessions/${s.id}/start`, { method: 'POST' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ id: s.id, state: 'running' });
    expect(started.body.exit_code).toBeUndefined();
    await waitFor(async () => (await readBuffer(t, s.id)).bytes.toString().split('run-once').length === 3);
    const after = await readBuffer(t, s.id, { since: before.cursor });
    expect(after.start).toBe(before.cursor);
    expect(after.bytes.toString()).toContain('run-once');
    const running = await createSession(t, { provider_id: 'sh' });
    expect((await t.apiJson(`/sessions/${running.id}/start`, { method: 'POST' })).status).toBe(409);
  });

  it('deletes a session: stopped, then forgotten', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    expect((await t.api(`/sessions/${s.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.apiJson(`/sessions/${s.id}`)).status).toBe(404);
    expect((await t.apiJson(`/sessions/${s.id}/buffer`)).status).toBe(404);
    expect((await t.api(`/sessions/${s.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await t.gateway.stores.sessions.get(s.id)).toBeUndefined();
  });

  it('lets an embedder drive sessions in-process through gateway.sessions', async () => {
    const m = t.gateway.sessions;
    const s = await m.create({ provider_id: 'sh' });
    const chunks: Buffer[] = [];
    const off = m.onData(s.id, (c) => chunks.push(c));
    await m.input(s.id, { data: 'echo embed-$((5+5))\n' });
    await waitFor(() => Buffer.concat(chunks).toString().includes('embed-10'));
    off();
    expect(m.get(s.id)?.state).toMatch(/running|idle/);
    expect((await m.stop(s.id)).state).toBe('stopped');
    expect(await m.delete(s.id)).toBe(true);
  });
});
