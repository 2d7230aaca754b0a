import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSecretFile } from '@opendray/sdk/node';
import bcrypt from 'bcrypt';
import { randomToken } from '../security.js';
import type { AdminCredentials } from './admin.js';

/** Where the admin's credentials come from, for the startup message. */
export type AdminCredentialSource =
  | { source: 'key-file'; path: string }
  | { source: 'env' }
  | { source: 'created'; path: string; password: string };

/** What `resolveAdminCredentials` found or made. */
export interface ResolvedAdminCredentials {
  credentials: AdminCredentials;
  origin: AdminCredentialSource;
  /**
   * Writes a created key file. With `deferWrite`, the caller calls it once the gateway
   * is listening, so a failed first start never stores a password nobody saw.
   */
  save(): Promise<void>;
}

/**
 * Resolves the admin credentials of a data dir (SPEC §2.1): the key file `admin.json`
 * `{user, password_hash}` (mode 0600) wins, then the given env credentials; with neither,
 * a key file with a random password is created (now, or at `save()` with `deferWrite`)
 * and the password returned once.
 */
export async function resolveAdminCredentials(opts: {
  dataDir: string;
  envUser?: string;
  envPassword?: string;
  bcryptCost: number;
  deferWrite?: boolean;
}): Promise<ResolvedAdminCredentials> {
  const path = join(opts.dataDir, 'admin.json');
  const nothingToSave = async (): Promise<void> => {};
  const existing = await readKeyFile(path);
  if (existing) return { credentials: existing, origin: { source: 'key-file', path }, save: nothingToSave };
  if (opts.envUser && opts.envPassword) {
    const passwordHash = await bcrypt.hash(opts.envPassword, opts.bcryptCost);
    return { credentials: { username: opts.envUser, passwordHash }, origin: { source: 'env' }, save: nothingToSave };
  }
  const username = opts.envUser || 'admin';
  const password = randomToken(18);
  const credentials = { username, passwordHash: await bcrypt.hash(password, opts.bcryptCost) };
  let saved: Promise<void> | null = null;
  const save = (): Promise<void> => (saved ??= writeAdminKeyFile(opts.dataDir, credentials).then(() => undefined));
  if (!opts.deferWrite) await save();
  return { credentials, origin: { source: 'created', path, password }, save };
}

/** Writes `admin.json` (mode 0600) atomically: readers see the old file or the new one. */
export async function writeAdminKeyFile(dataDir: string, credentials: AdminCredentials): Promise<string> {
  const path = join(dataDir, 'admin.json');
  await writeSecretFile(path, `${JSON.stringify({ user: credentials.username, password_hash: credentials.passwordHash }, null, 2)}\n`);
  return path;
}

async function readKeyFile(path: string): Promise<AdminCredentials | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(`${path} is not valid JSON`);
  }
  const rec = parsed as { user?: unknown; password_hash?: unknown };
  if (typeof rec.user !== 'string' || typeof rec.password_hash !== 'string' || !rec.password_hash.startsWith('$2')) {
    throw new TypeError(`${path} must hold {"user", "password_hash"} with a bcrypt hash`);
  }
  return { username: rec.user, passwordHash: rec.password_hash };
}

/**
 * Sets a new admin password in a data dir's key file (`opendray admin reset-password`):
 * the given one, or a random one returned once. The user name stays unless given.
 */
export async function resetAdminPassword(opts: {
  dataDir: string;
  bcryptCost: number;
  username?: string;
  password?: string;
}): Promise<{ path: string; username: string; password: string; generated: boolean }> {
  const current = await readKeyFile(join(opts.dataDir, 'admin.json')).catch(() => null);
  const username = opts.username ?? current?.username ?? 'admin';
  const password = opts.password ?? randomToken(18);
  const path = await writeAdminKeyFile(opts.dataDir, { username, passwordHash: await bcrypt.hash(password, opts.bcryptCost) });
  return { path, username, password, generated: opts.password === undefined };
}
