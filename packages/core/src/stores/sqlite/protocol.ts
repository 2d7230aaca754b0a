/**
 * The messages between the SQLite store (main thread) and its worker. Values are the
 * strings keyv serialised; keys are keyv's prefixed keys.
 */

/** How hard a write is pushed to disk before it is acknowledged (docs/durability.md). */
export type Durability = 'full' | 'normal';

/** One step of an atomic write: set a key, or delete it. */
export type WireOp = { key: string; value: string } | { key: string; delete: true };

export type WorkerRequest =
  | { id: number; op: 'get'; key: string }
  | { id: number; op: 'getMany'; keys: string[] }
  | { id: number; op: 'has'; key: string }
  /** Every op in one transaction; the result is, per op, whether a row changed. */
  | { id: number; op: 'write'; ops: WireOp[]; durability: Durability }
  | { id: number; op: 'clear'; prefix: string }
  | { id: number; op: 'health' }
  | { id: number; op: 'close' };

export interface StoreFileHealth {
  ok: boolean;
  /** Why not, e.g. "store file /x/opendray.sqlite was deleted". */
  reason?: string;
}

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }
  /** Sent once, after the database opened (or failed to). */
  | { id: 0; ready: true }
  | { id: 0; ready: false; error: { message: string; code?: string } };

export interface WorkerInit {
  path: string;
  busyTimeoutMs: number;
}
