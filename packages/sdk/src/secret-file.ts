import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a secret (a key file, saved credentials) so that only its owner can read it, and a
 * crash leaves the old file or the new one, never a torn one (Node only: `@opendray/sdk/node`).
 * The directory is created 0700 when missing; a temp file beside the target is created with
 * `wx` (never following or reusing an existing file) at mode 0600 from the first byte,
 * chmod'ed again (a filesystem default may widen it), fsync'ed, renamed over the target, and
 * the directory fsync'ed so the rename is durable. The one implementation in the repository.
 */
export async function writeSecretFile(path: string, contents: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

// Makes the rename durable where the platform allows opening a directory.
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported (e.g. Windows): the rename is still atomic
  }
}
