import serializeModule from '@xterm/addon-serialize';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSession, TEST_PROVIDERS } from './fixtures/sessions.js';
import { readBuffer, startGateway, waitForOutput, type TestGateway } from './support/gateway.js';

// `/screen` cannot stall the event loop (issue #15): a rendering is cached per output
// revision, concurrent calls for the same screen share one render, and renders are
// bounded gateway-wide (429 past the queue).

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A 1000×1000 session whose screen is full of coloured text (the worst case to serialise). */
async function bigScreen(g: TestGateway, tag: string): Promise<string> {
  const s = await createSession(g, { provider_id: 'sh', cols: 1000, rows: 1000 });
  const fill = `i=0; while [ $i -lt 1050 ]; do i=$((i+1)); printf '\\033[3%dm%0900d\\033[0m\\n' $((i % 8)) $i; done; echo ${tag}-DONE\n`;
  await g.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: fill } });
  await waitForOutput(g, s.id, `${tag}-DONE\r\n`, 30_000);
  await settled(g, s.id);
  return s.id;
}

/** Waits until the session printed nothing for a moment (the prompt came back). */
async function settled(g: TestGateway, id: string): Promise<void> {
  let last = -1;
  for (;;) {
    const cursor = (await readBuffer(g, id)).cursor;
    if (cursor === last) return;
    last = cursor;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const ansi = (g: TestGateway, id: string): Promise<Response> => g.api(`/sessions/${id}/screen?format=ansi`);

describe('/screen under load', () => {
  it('serves an unchanged screen from its cache: 10 concurrent calls share one render, even with no queue', async () => {
    t = await startGateway({ providers: TEST_PROVIDERS, limits: { screenRenders: { concurrency: 1, maxQueued: 0 } } });
    const id = await bigScreen(t, 'one');
    const serialize = vi.spyOn(serializeModule.SerializeAddon.prototype, 'serialize');
    const answers = await Promise.all(Array.from({ length: 10 }, () => ansi(t!, id)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]!.length).toBeGreaterThan(900_000);
    // Cached: again, and as JSON next to it; one serialisation in all.
    expect(await (await ansi(t, id)).text()).toBe(bodies[0]);
    expect(serialize).toHaveBeenCalledTimes(1);
    const json = await t.apiJson(`/sessions/${id}/screen`);
    expect(json.status).toBe(200);
    expect(json.body.lines).toHaveLength(1000);
    // New output is a new revision: the screen is rendered again and shows it.
    await t.api(`/sessions/${id}/input`, { method: 'POST', body: { data: 'echo AFTER-CHANGE\n' } });
    await waitForOutput(t, id, 'AFTER-CHANGE\r\n');
    await settled(t, id);
    const changed = await (await ansi(t, id)).text();
    expect(changed).not.toBe(bodies[0]);
    expect(changed).toContain('AFTER-CHANGE');
    expect(serialize).toHaveBeenCalledTimes(2);
    serialize.mockRestore();
  }, 60_000);

  it('bounds renders gateway-wide: different screens past the queue are refused with 429 and Retry-After', async () => {
    t = await startGateway({ providers: TEST_PROVIDERS, limits: { screenRenders: { concurrency: 1, maxQueued: 1 } } });
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => bigScreen(t!, tag)));
    const answers = await Promise.all(ids.map((id) => ansi(t!, id)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(await refused[0]!.json()).toMatchObject({ code: 'rate_limited', error: 'too many screen renders in progress' });
    // The health check is answered meanwhile and afterwards; a retry of a refused one works.
    expect((await t.api('/health', { token: null })).status).toBe(200);
    const retried = ids[statuses.indexOf(429)]!;
    expect((await ansi(t, retried)).status).toBe(200);
  }, 60_000);
});
