import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAt, tempDir, until, writeConfig, type Served } from './support/durable.js';

// SPEC §5.3–5.4, §11: kill -9 at a random moment under a bounded burst; after the
// restart every acknowledged operation is there (records, stop states, history), every
// byte a client was shown is readable, and no cursor moved back.

const ROUNDS = 3;
const BURST_OPS = 90;

let dir: { path: string; remove(): Promise<void> };
let serve: Served | undefined;
beforeAll(async () => {
  dir = await tempDir('opendray-crash-');
});
afterAll(async () => {
  await serve?.stop('SIGKILL');
  await dir.remove();
});

/** What the gateway acknowledged (2xx) or showed before it was killed. */
interface Acked {
  integrations: Map<string, string>; // id → api key
  deletedIntegrations: Set<string>;
  sessions: Set<string>;
  stopped: Set<string>;
  deletedSessions: Set<string>;
  /** Deletes sent whose answer the kill cut off: either outcome is right. */
  maybeDeleted: Set<string>;
  history: Array<{ session: string; text: string }>;
  /** Output a client saw: bytes from `start`, and the cursor after them. */
  seen: Array<{ session: string; start: number; text: string; cursor: number }>;
  /** Highest bytes_out shown per session. */
  cursors: Map<string, number>;
}

const newAcked = (): Acked => ({
  integrations: new Map(),
  deletedIntegrations: new Set(),
  sessions: new Set(),
  stopped: new Set(),
  deletedSessions: new Set(),
  maybeDeleted: new Set(),
  history: [],
  seen: [],
  cursors: new Map(),
});

/** Runs random operations until killed; records only what was acknowledged. */
async function burst(s: Served, acked: Acked, round: number, killAfterMs: number): Promise<void> {
  const running = [...acked.sessions].filter((id) => !acked.stopped.has(id) && !acked.deletedSessions.has(id));
  const integrations = [...acked.integrations.keys()].filter((id) => !acked.deletedIntegrations.has(id));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    s.child.kill('SIGKILL');
  }, killAfterMs);
  let n = 0;
  const pick = <T>(list: T[]): T | undefined => (list.length ? list.splice(Math.floor(Math.random() * list.length), 1)[0] : undefined);
  const step = async (): Promise<void> => {
    const i = n++;
    const r = Math.random();
    if (r < 0.12) {
      const res = await s.api('/integrations', { method: 'POST', body: { name: `crash-${round}-${i}` } });
      if (res.status === 201) acked.integrations.set(res.body.integration.id, res.body.api_key);
    } else if (r < 0.18) {
      const id = pick(integrations);
      if (!id) return;
      acked.maybeDeleted.add(id);
      if ((await s.api(`/integrations/${id}`, { method: 'DELETE' })).status === 204) acked.deletedIntegrations.add(id);
    } else if (r < 0.32) {
      const res = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: `crash-${round}-${i}` } });
      if (res.status === 201) {
        acked.sessions.add(res.body.id);
        running.push(res.body.id);
      }
    } else if (r < 0.4) {
      const id = pick(running);
      if (id && (await s.api(`/sessions/${id}/stop`, { method: 'POST' })).status === 200) acked.stopped.add(id);
    } else if (r < 0.44) {
      const id = pick(running);
      if (!id) return;
      acked.maybeDeleted.add(id);
      if ((await s.api(`/sessions/${id}`, { method: 'DELETE' })).status === 204) acked.deletedSessions.add(id);
    } else if (r < 0.75) {
      const id = running[Math.floor(Math.random() * running.length)];
      if (!id) return;
      const text = `echo H${round}x${i}-$((${i}*3))`;
      if ((await s.api(`/sessions/${id}/input`, { method: 'POST', body: { text } })).status === 204) acked.history.push({ session: id, text });
    } else {
      const id = running[Math.floor(Math.random() * running.length)];
      if (!id) return;
      const got = await s.buffer(id);
      acked.seen.push({ session: id, start: got.start, text: got.text, cursor: got.cursor });
      const view = await s.api(`/sessions/${id}`);
      if (view.status === 200) acked.cursors.set(id, Math.max(acked.cursors.get(id) ?? 0, view.body.bytes_out));
    }
  };
  const worker = async (): Promise<void> => {
    while (!killed && n < BURST_OPS) {
      try {
        await step();
      } catch {
        // the gateway was killed under this request: its outcome is unknown, so not checked
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  clearTimeout(timer);
  if (!killed) s.child.kill('SIGKILL');
  await s.stop('SIGKILL');
}

/** Reads the store file directly: every index entry has its record and every record its index entry. */
function orphans(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'opendray.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM keyv').all() as Array<{ key: string; value: string }>;
    const keys = new Set(rows.map((r) => r.key));
    const problems: string[] = [];
    for (const kind of ['integration', 'session']) {
      const index = rows.find((r) => r.key === `opendray:${kind}:index`);
      const ids: string[] = index ? JSON.parse(index.value).value : [];
      for (const id of ids) if (!keys.has(`opendray:${kind}:${id}`)) problems.push(`index without record: ${kind}:${id}`);
      const indexed = new Set(ids);
      for (const r of rows) {
        const m = new RegExp(`^opendray:${kind}:((?:int|ses)_.*)$`).exec(r.key);
        if (m && !indexed.has(m[1]!)) problems.push(`record without index: ${kind}:${m[1]}`);
      }
    }
    return problems;
  } finally {
    db.close();
  }
}

async function verify(s: Served, acked: Acked): Promise<void> {
  for (const [id, key] of acked.integrations) {
    const res = await s.api(`/integrations/${id}`);
    if (acked.deletedIntegrations.has(id)) expect(res.status, `deleted ${id}`).toBe(404);
    else if (acked.maybeDeleted.has(id) && res.status === 404) acked.deletedIntegrations.add(id);
    else {
      expect(res.status, `registered ${id}`).toBe(200);
      expect((await s.api('/auth/me', { token: key })).status, `key of ${id}`).toBe(200);
    }
  }
  for (const id of acked.sessions) {
    const res = await s.api(`/sessions/${id}`);
    if (acked.deletedSessions.has(id)) {
      expect(res.status, `deleted session ${id}`).toBe(404);
      continue;
    }
    if (acked.maybeDeleted.has(id) && res.status === 404) {
      acked.deletedSessions.add(id);
      continue;
    }
    expect(res.status, `created session ${id}`).toBe(200);
    if (acked.stopped.has(id)) expect(res.body.state, `stopped session ${id}`).toBe('stopped');
    expect(res.body.bytes_out, `cursor of ${id}`).toBeGreaterThanOrEqual(acked.cursors.get(id) ?? 0);
  }
  const histories = new Map<string, string[]>();
  for (const h of acked.history) {
    if (acked.deletedSessions.has(h.session)) continue;
    if (!histories.has(h.session)) histories.set(h.session, (await s.api(`/sessions/${h.session}/history?limit=1000`)).body.entries.map((e: any) => e.text));
    expect(histories.get(h.session), `history of ${h.session}`).toContain(h.text);
  }
  for (const seen of acked.seen) {
    if (acked.deletedSessions.has(seen.session)) continue;
    const now = await s.buffer(seen.session, seen.start);
    expect(now.cursor, `buffer cursor of ${seen.session}`).toBeGreaterThanOrEqual(seen.cursor);
    expect(now.start, `buffer of ${seen.session} still holds what was seen`).toBe(seen.start);
    expect(now.text.startsWith(seen.text), `output of ${seen.session} seen before the kill`).toBe(true);
  }
}

describe('kill -9 under a burst', () => {
  it(`loses nothing acknowledged or shown, over ${ROUNDS} random kills`, { timeout: 180_000 }, async () => {
    const config = await writeConfig(dir.path);
    const dataDir = join(dir.path, 'data');
    const acked = newAcked();
    serve = await serveAt(dataDir, config);
    for (let round = 0; round < ROUNDS; round++) {
      // Some sessions already running, so the burst has something to stop, type into and read.
      for (let i = 0; i < 3; i++) {
        const res = await serve.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: `seed-${round}-${i}` } });
        expect(res.status).toBe(201);
        acked.sessions.add(res.body.id);
      }
      await burst(serve, acked, round, 400 + Math.floor(Math.random() * 2_000));
      expect(orphans(dataDir)).toEqual([]);
      serve = await serveAt(dataDir, config);
      await verify(serve, acked);
      // Sessions come back interrupted; restart them so the next round can drive them.
      for (const id of acked.sessions) {
        if (acked.deletedSessions.has(id) || acked.stopped.has(id)) continue;
        const state = (await serve.api(`/sessions/${id}`)).body.state;
        if (state !== 'running') await until(`restart of ${id}`, async () => [200, 409].includes((await serve!.api(`/sessions/${id}/start`, { method: 'POST' })).status));
      }
    }
    console.log(`acknowledged: ${acked.integrations.size} registrations, ${acked.deletedIntegrations.size} deletes, ${acked.sessions.size} sessions, ${acked.stopped.size} stops, ${acked.deletedSessions.size} session deletes, ${acked.history.length} inputs, ${acked.seen.length} reads`);
    expect(acked.history.length).toBeGreaterThan(0);
    expect(acked.seen.length).toBeGreaterThan(0);
  });
});
