import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.js';
import type { ObservedSession, SessionObserver } from '../src/sessions/observer.js';
import { ADMIN_TOKEN, startGateway, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { openEvents } from './support/events.js';

/** A clock the test moves by hand: `now` and the timers that idle detection uses. */
function manualClock(start = Date.parse('2026-06-01T10:00:00.000Z')) {
  let now = start;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const clock: Clock = {
    now: () => now,
    setTimer(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => timers.splice(timers.indexOf(t) >>> 0, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { clock, advance };
}

describe('idle detection on the injected clock', () => {
  const { clock, advance } = manualClock();
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ clock, idleThresholdMs: 30_000 });
  });
  afterAll(() => t.close());

  it('goes idle only when the gateway clock says so, with origin and the visible screen (v2)', async () => {
    const events = await openEvents(t, 'topics=session.idle,session.active', ADMIN_TOKEN);
    const id = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell' } })).body.id;
    await t.apiJson(`/sessions/${id}/input`, { method: 'POST', body: { text: 'echo idle-$((6*7))' } });
    await waitForOutput(t, id, /idle-42\r\n[\s\S]*[#$] ?$/);
    await new Promise((r) => setTimeout(r, 300));
    advance(29_000);
    expect((await t.apiJson(`/sessions/${id}`)).body.state).toBe('running');
    advance(1_500);
    const idle = await events.until((f) => f.topic === 'session.idle' && f.data.session_id === id);
    expect(idle.data).toMatchObject({ session_id: id, origin: 'operator', idle_for_ms: expect.any(Number) });
    expect(idle.data.idle_for_ms).toBeGreaterThanOrEqual(30_000);
    expect(idle.data.recent_output).toContain('idle-42');
    expect(idle.data.recent_output).not.toMatch(/\n\s*$/);
    expect((await t.apiJson(`/sessions/${id}`)).body).toMatchObject({ state: 'idle', idle_since: new Date(clock.now()).toISOString() });
    await t.apiJson(`/sessions/${id}/input`, { method: 'POST', body: { text: 'echo back' } });
    await events.until((f) => f.topic === 'session.active' && f.data.session_id === id);
    const order = events.events().filter((f) => f.data.session_id === id).map((f) => f.topic);
    expect(order).toEqual(['session.idle', 'session.active']);
    events.ws.close();
  });
});

describe('embedder observers and terminal replies', () => {
  const seen: string[] = [];
  let observed: ObservedSession | undefined;
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({
      providers: [{ id: 'bash-c', command: 'bash', kind: 'shell' }],
      sessionObservers: [
        (session): SessionObserver => {
          observed = session;
          return {
            data: (chunk, offset) => seen.push(`data@${offset}:${chunk.length}`),
            input: (bytes) => seen.push(`input:${bytes.toString()}`),
            resize: (cols, rows) => seen.push(`resize:${cols}x${rows}`),
            ended: (info) => seen.push(`ended:${info.state}`),
          };
        },
        () => {
          throw new Error('a broken factory is logged, never reaches the session');
        },
      ],
    });
  });
  afterAll(() => t.close());

  it('tells every observer about output, input, resizes and the end, in order', async () => {
    const id = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell' } })).body.id;
    await t.apiJson(`/sessions/${id}/input`, { method: 'POST', body: { data: 'echo obs\n' } });
    await waitForOutput(t, id, 'obs');
    await t.apiJson(`/sessions/${id}/resize`, { method: 'POST', body: { cols: 90, rows: 30 } });
    await t.apiJson(`/sessions/${id}/stop`, { method: 'POST' });
    await waitFor(() => seen.includes('ended:stopped'));
    expect(seen).toContain('input:echo obs\n');
    expect(seen).toContain('resize:90x30');
    expect(seen.indexOf('input:echo obs\n')).toBeLessThan(seen.indexOf('resize:90x30'));
    expect(seen.at(-1)).toBe('ended:stopped');
    const offsets = seen.filter((s) => s.startsWith('data@')).map((s) => s.slice(5).split(':').map(Number));
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]![0]).toBe(offsets[i - 1]![0]! + offsets[i - 1]![1]!);
    expect(observed?.view().id).toBe(id);
  });

  it('answers DA1, XTVERSION, CPR and OSC 11 queries from the headless terminal, split across writes', async () => {
    const script = [
      "printf '\\033['; sleep 0.2; printf 'c'; IFS= read -rsd c -t 5 da; printf 'DA[%q]\\n' \"$da\"",
      "printf '\\033[>0q'; IFS= read -rsd '\\' -t 5 xt; printf 'XT[%q]\\n' \"$xt\"",
      "printf '\\033[6n'; IFS= read -rsd R -t 5 cpr; printf 'CPR[%q]\\n' \"$cpr\"",
      "printf '\\033]11;?\\007'; IFS= read -rsd $'\\a' -t 5 bg; printf 'BG[%q]\\n' \"$bg\"",
      'sleep 5',
    ].join('; ');
    const id = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'bash-c', args: ['--norc', '-c', script] } })).body.id;
    const out = await waitForOutput(t, id, /BG\[.*\]/, 15_000);
    expect(out).toContain("DA[$'\\E[?1;2']");
    expect(out).toMatch(/XT\[\$'\\EP>\|opendray\\E'\]/);
    expect(out).toMatch(/CPR\[\$'\\E\[\d+;\d+'\]/);
    expect(out).toContain("BG[$'\\E]11;rgb:0000/0000/0000']");
  });
});
