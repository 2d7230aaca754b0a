import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inParallel, serveAt, sessionMembers, subscribe, tempDir, until, writeConfig, type Served } from './support/durable.js';

// SPEC §5.7 / §14: a graceful shutdown finishes within 10 s whatever the session count,
// with every tail saved. A behaviour test: the bound on the wait is generous (20 s).
const SESSIONS = 500;

let dir: { path: string; remove(): Promise<void> };
let serve: Served | undefined;
beforeAll(async () => {
  dir = await tempDir('opendray-shutdown-');
});
afterAll(async () => {
  await serve?.stop('SIGKILL');
  await dir.remove();
});

describe('graceful shutdown under load', () => {
  it(`stops ${SESSIONS} sessions with background jobs, exits 0, tells subscribers, saves every tail`, { timeout: 180_000 }, async () => {
    const config = await writeConfig(dir.path);
    const dataDir = join(dir.path, 'data');
    serve = await serveAt(dataDir, config);
    const s = serve;

    const ids = await inParallel(Array.from({ length: SESSIONS }, (_, i) => i), 8, async (i) => {
      const created = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: `load-${i}` } });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      // A job in a group of its own that outlives nothing on its own, and a marker after it.
      const typed = await s.api(`/sessions/${id}/input`, { method: 'POST', body: { data: `sleep 600 & echo M$((100000+${i}))\n` } });
      expect(typed.status).toBe(204);
      return id;
    });
    const pids = new Map<string, number>();
    await inParallel(ids, 8, async (id, i) => {
      await until(`marker of ${id}`, async () => (await s.buffer(id)).text.includes(`M${100000 + i}`), 60_000, 100);
      pids.set(id, (await s.api(`/sessions/${id}`)).body.pid);
    });
    const subscribers = await Promise.all([1, 2, 3].map(() => subscribe(s.url, 'session.interrupted')));

    const began = Date.now();
    const code = await Promise.race([s.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    const took = Date.now() - began;
    expect(code).toBe(0);
    expect(s.stderr()).not.toMatch(/deadline passed/);
    serve = undefined;

    // Every subscriber saw every session end as interrupted before a 1001.
    for (const sub of subscribers) {
      expect(await sub.closed).toBe(1001);
      const ended = new Set(sub.frames.filter((f) => f.topic === 'session.interrupted' && f.data.state === 'interrupted').map((f) => f.data.session_id));
      expect(ended.size).toBe(SESSIONS);
    }
    // Nothing of any session is left running: the jobs are gone with their shells.
    const leftovers = [...pids.values()].filter((pid) => sessionMembers(pid).length > 0);
    expect(leftovers).toEqual([]);

    serve = await serveAt(dataDir, config);
    const again = serve;
    const listed = (await again.api('/sessions')).body.sessions as any[];
    expect(listed).toHaveLength(SESSIONS);
    expect(listed.every((x) => x.state === 'interrupted')).toBe(true);
    const missing: string[] = [];
    await inParallel(ids, 16, async (id, i) => {
      const tail = await again.buffer(id);
      if (!tail.text.includes(`M${100000 + i}`)) missing.push(id);
    });
    expect(missing).toEqual([]);
    console.log(`shutdown of ${SESSIONS} sessions took ${took} ms`);
  });
});
