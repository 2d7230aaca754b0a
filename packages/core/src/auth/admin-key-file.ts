import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { randomToken } from '../security.js';
import { checkAdminPassword, type AdminCredentials } from './admin.js';

/** Where the admin's credentials come from, for the startup message. */
export type AdminCredentialSource =
  | { source: 'key-file'; path: string }
  | { source: 'env' }
  | { source: 'created'; path: string; password: string };

/**
 * Resolves the admin credentials of a data dir (SPEC §2.1): the key file `admin.json`
 * `{user, password_hash}` (mode 0600) wins, then the given env credentials; with neither,
 * a key file with a random password is created and the password returned once.
 */
export async function resolveAdminCredentials(opts: {
  dataDir: string;
  envUser?: string;
  envPassword?: string;
  bcryptCost: number;
}): Promise<{ credentials: AdminCredentials; origin: AdminCredentialSource }> {
  const path = join(opts.dataDir, 'admin.json');
  const existing = await readKeyFile(path);
  if (existing) return { credentials: existing, origin: { source: 'key-file', path } };
  if (opts.envUser && opts.envPassword) {
    checkAdminPassword(opts.envPassword, 'OPENDRAY_ADMIN_PASSWORD');
    const passwordHash = await bcrypt.hash(opts.envPassword, opts.bcryptCost);
    return { credentials: { username: opts.envUser, passwordHash }, origin: { source: 'env' } };
  }
  const username = opts.envUser || 'admin';
  const password = randomToken(18);
  const passwordHash = await bcrypt.hash(password, opts.bcryptCost);
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ user: username, password_hash: passwordHash }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return { credentials: { username, passwordHash }, origin: { source: 'created', path, password } };
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
