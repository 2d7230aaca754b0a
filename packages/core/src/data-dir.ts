import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { GatewayOptions } from './options.js';
import { randomToken } from './security.js';
import { within } from './sessions/cwd-policy.js';
import { sqlitePath } from './stores/keyv/file-modes.js';

/** The data dir a gateway runs with, and what no session may see. */
export interface DataDir {
  path: string;
  /** The data dir, the SQLite files and the operator's `hiddenPaths` (SPEC §15). */
  hidden: string[];
  /** Removes the directory when it was made for this gateway only. */
  dispose(): Promise<void>;
}

/**
 * `options.dataDir`, else the SQLite store's directory, else a private temporary
 * directory: an unguessable name, created (0700) only when a first integration HOME needs
 * it, removed at close. A data dir of `/` is refused: the sandbox hides the data dir, and
 * hiding `/` would hide the system.
 */
export async function resolveDataDir(options: Pick<GatewayOptions, 'dataDir' | 'storage' | 'hiddenPaths' | 'workspaceRoot'>): Promise<DataDir> {
  if (options.hiddenPaths?.some((p) => p === '')) throw new TypeError('hiddenPaths: must be a list of paths');
  const sqlite = typeof options.storage === 'string' && options.storage.startsWith('sqlite://') ? resolve(sqlitePath(options.storage)) : undefined;
  const given = options.dataDir ?? (sqlite ? dirname(sqlite) : undefined);
  const path = given ? resolve(given) : join(tmpdir(), `opendray-data-${randomToken(12)}`);
  if (path === '/') throw new TypeError('dataDir: must not be "/" (sessions are kept out of the data dir)');
  if (options.workspaceRoot !== undefined && within(resolve(options.workspaceRoot), path)) {
    throw new TypeError(`workspaceRoot: must not be inside the data dir ${path} (no session may run there)`);
  }
  const hidden = [path, ...(sqlite ? [sqlite, `${sqlite}-wal`, `${sqlite}-shm`] : []), ...(options.hiddenPaths ?? []).map((p) => resolve(p))];
  return { path, hidden, dispose: given ? async () => {} : () => rm(path, { recursive: true, force: true }) };
}
