import { chmod, open } from 'node:fs/promises';

/**
 * Makes a SQLite store owner-only from its creation (SPEC §15): the store holds signing
 * secrets, provider API keys and token digests. The file is created 0600 before SQLite
 * opens it (a file SQLite creates gets the umask's 0644), and a store left 0644 by an
 * older version is tightened. SQLite gives its `-wal` and `-shm` files the database file's
 * mode, so they follow; any left over are tightened. (Its directory must exist: options-check.)
 */
export async function prepareSqliteFile(path: string): Promise<void> {
  if (path === '' || path === ':memory:') return;
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  await chmod(path, 0o600);
  for (const suffix of ['-wal', '-shm', '-journal']) await chmod(`${path}${suffix}`, 0o600).catch(() => undefined);
}

/** The file path of a `sqlite://` store URI. */
export const sqlitePath = (uri: string): string => uri.replace(/^sqlite:\/\//, '');
