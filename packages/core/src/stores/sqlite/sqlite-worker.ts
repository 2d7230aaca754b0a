import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Durability, StoreFileHealth, WireOp, WorkerInit, WorkerRequest, WorkerResponse } from './protocol.js';

/**
 * The SQLite worker: owns the one connection, so a commit's fsync never blocks the
 * gateway's event loop (PTY output, WebSockets). Writes that arrive while a commit runs
 * are committed together in the next transaction (group commit: one fsync for many
 * acknowledgements). Each write request is atomic: all of its ops or none.
 */

type WriteRequest = Extract<WorkerRequest, { op: 'write' | 'clear' }>;

const port = parentPort!;
const init = workerData as WorkerInit;
const reply = (message: WorkerResponse): void => port.postMessage(message);
const failure = (err: unknown): { message: string; code?: string } => {
  const e = err as { message?: string; code?: string };
  return { message: e?.message ?? String(err), ...(e?.code ? { code: e.code } : {}) };
};

let db: Database.Database;
let identity: { dev: number; ino: number };
try {
  db = new Database(init.path, { timeout: init.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT)');
  const st = statSync(init.path);
  identity = { dev: st.dev, ino: st.ino };
  reply({ id: 0, ready: true });
} catch (err) {
  reply({ id: 0, ready: false, error: failure(err) });
  process.exit(0);
}

const select = db.prepare<[string], { value: string }>('SELECT value FROM keyv WHERE key = ?');
const selectMany = db.prepare<[string], { key: string; value: string }>(
  'SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?))',
);
const upsert = db.prepare<[string, string]>(
  'INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
);
const remove = db.prepare<[string]>('DELETE FROM keyv WHERE key = ?');
const removePrefix = db.prepare<[string]>("DELETE FROM keyv WHERE key LIKE ? ESCAPE '\\'");
let synchronous: Durability = 'full';

/** The store file must still be the one we opened: a deleted file takes every later write with it. */
function fileHealth(): StoreFileHealth {
  try {
    const st = statSync(init.path);
    if (st.dev !== identity.dev || st.ino !== identity.ino) return { ok: false, reason: `store file ${init.path} was replaced while the gateway runs` };
    return { ok: true };
  } catch {
    return { ok: false, reason: `store file ${init.path} was deleted while the gateway runs` };
  }
}

function apply(request: WriteRequest): number[] {
  if (request.op === 'clear') return [removePrefix.run(`${request.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`).changes];
  return request.ops.map((op: WireOp) => ('delete' in op ? remove.run(op.key).changes : upsert.run(op.key, op.value).changes));
}

const commitOne = db.transaction((request: WriteRequest) => apply(request));
const commitAll = db.transaction((group: WriteRequest[]) => group.map(apply));

let pending: WriteRequest[] = [];
let scheduled = false;

function commit(): void {
  scheduled = false;
  const group = pending;
  pending = [];
  const health = fileHealth();
  if (!health.ok) {
    for (const r of group) reply({ id: r.id, ok: false, error: { message: health.reason!, code: 'STORE_FILE_GONE' } });
    return;
  }
  // The strictest durability asked for in the group applies to its one commit.
  const level: Durability = group.some((r) => r.op === 'clear' || r.durability === 'full') ? 'full' : 'normal';
  if (level !== synchronous) {
    db.pragma(`synchronous = ${level === 'full' ? 'FULL' : 'NORMAL'}`);
    synchronous = level;
  }
  try {
    const results = commitAll(group);
    group.forEach((r, i) => reply({ id: r.id, ok: true, result: results[i] }));
    return;
  } catch (err) {
    if (group.length === 1) {
      reply({ id: group[0]!.id, ok: false, error: failure(err) });
      return;
    }
  }
  // One request of the group failed the commit: retry each alone so only it fails.
  for (const r of group) {
    try {
      reply({ id: r.id, ok: true, result: commitOne(r) });
    } catch (err) {
      reply({ id: r.id, ok: false, error: failure(err) });
    }
  }
}

function read(request: Exclude<WorkerRequest, WriteRequest>): unknown {
  switch (request.op) {
    case 'get':
      return select.get(request.key)?.value;
    case 'getMany': {
      const rows = new Map(selectMany.all(JSON.stringify(request.keys)).map((r) => [r.key, r.value]));
      return request.keys.map((k) => rows.get(k));
    }
    case 'has':
      return select.get(request.key) !== undefined;
    case 'health':
      return fileHealth();
    case 'close':
      db.close();
      return true;
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'write' || request.op === 'clear') {
    pending.push(request);
    if (!scheduled) {
      scheduled = true;
      setImmediate(commit);
    }
    return;
  }
  if (request.op === 'close' && pending.length > 0) commit();
  try {
    reply({ id: request.id, ok: true, result: read(request) });
  } catch (err) {
    reply({ id: request.id, ok: false, error: failure(err) });
  }
  if (request.op === 'close') port.close();
});
