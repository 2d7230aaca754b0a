import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Durability, StoreFileHealth, WireOp, WorkerInit, WorkerRequest, WorkerResponse } from './protocol.js';

export type { Durability, StoreFileHealth, WireOp } from './protocol.js';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/** A store failure with SQLite's (or the file check's) code, e.g. SQLITE_FULL. */
export class StoreWriteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'StoreWriteError';
  }
}

/**
 * A keyv store adapter on one SQLite file (better-sqlite3 in a worker thread; table
 * `keyv(key, value)`, the layout @keyv/sqlite used, so existing files open as they are).
 * Beyond keyv's adapter it offers `write(ops, durability)`: several sets and deletes in
 * one transaction, acknowledged once committed — with `full` durability, once fsynced.
 * `health()` tells whether the file is still the one opened.
 */
export class SqliteStore extends EventEmitter {
  readonly opts: { dialect: 'sqlite'; url: string };
  /** Set by keyv to its namespace. */
  namespace?: string;
  readonly ttlSupport = false;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;
  /** Resolves once the database is open; rejects when it cannot be opened. */
  readonly ready: Promise<void>;

  constructor(readonly path: string, options: { busyTimeoutMs?: number } = {}) {
    super();
    this.opts = { dialect: 'sqlite', url: `sqlite://${path}` };
    const init: WorkerInit = { path, busyTimeoutMs: options.busyTimeoutMs ?? 10_000 };
    // The parent's flags apply to the worker too, but not `--input-type` (a host started as
    // `node --input-type=module -e …`): it is refused for a worker loaded from a file.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    this.worker = new Worker(workerUrl(), { workerData: init, execArgv });
    // Held (ref'd) until the database is open, so a caller awaiting `ready` always gets an
    // answer; after that it never keeps the process alive.
    this.ready = new Promise((resolve, reject) => {
      const onReady = (m: WorkerResponse): void => {
        if (!('ready' in m)) return;
        settled();
        if ('error' in m) reject(new StoreWriteError(`cannot open ${path}: ${m.error.message}`, m.error.code));
        else resolve();
      };
      const onGone = (err?: Error): void => {
        settled();
        reject(new StoreWriteError(`cannot open ${path}: ${err?.message ?? 'the SQLite store worker stopped'}`));
      };
      const onError = (err: Error): void => onGone(err);
      const onExit = (): void => onGone();
      const settled = (): void => {
        this.worker.off('message', onReady).off('error', onError).off('exit', onExit);
        this.worker.unref();
      };
      this.worker.on('message', onReady).on('error', onError).on('exit', onExit);
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: WorkerResponse) => this.settle(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new StoreWriteError('the SQLite store worker stopped')));
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.call({ op: 'get', key })) as string | undefined;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return (await this.call({ op: 'getMany', keys })) as (string | undefined)[];
  }

  async has(key: string): Promise<boolean> {
    return (await this.call({ op: 'has', key })) as boolean;
  }

  async set(key: string, value: string): Promise<void> {
    await this.write([{ key, value }]);
  }

  async setMany(entries: Array<{ key: string; value: string }>): Promise<void> {
    await this.write(entries.map(({ key, value }) => ({ key, value })));
  }

  async delete(key: string): Promise<boolean> {
    const [changed] = await this.write([{ key, delete: true }]);
    return (changed ?? 0) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const changes = await this.write(keys.map((key) => ({ key, delete: true as const })));
    return changes.some((c) => c > 0);
  }

  async clear(): Promise<void> {
    await this.call({ op: 'clear', prefix: this.namespace ? `${this.namespace}:` : '' });
  }

  /** Sets and deletes in one transaction; per op, how many rows changed. */
  async write(ops: WireOp[], durability: Durability = 'full'): Promise<number[]> {
    if (ops.length === 0) return [];
    return (await this.call({ op: 'write', ops, durability })) as number[];
  }

  /** Whether the file is still there and still the one opened. */
  async health(): Promise<StoreFileHealth> {
    if (this.dead) return { ok: false, reason: this.dead.message };
    return (await this.call({ op: 'health' })) as StoreFileHealth;
  }

  async disconnect(): Promise<void> {
    if (this.dead) return;
    await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private async call(body: Body<WorkerRequest>): Promise<unknown> {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    // Ref'd only while a request is out: an idle store never keeps the process alive.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  private settle(m: WorkerResponse): void {
    if (!('ok' in m)) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(new StoreWriteError(m.error.message, m.error.code));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** The built worker; under the test runner (sources in TypeScript) the built copy in dist. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../../../dist/stores/sqlite/sqlite-worker.js', here);
  return new URL('./sqlite-worker.js', here);
}
