import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Finds an executable the way a shell does: a command containing `/` is checked as a
 * path (relative to the gateway's cwd); a bare name is looked up in each entry of
 * `pathEnv` in order. Resolves with the absolute path of the first regular file the
 * gateway may execute, or null. Never throws.
 *
 * @param pathEnv the search path. @default process.env.PATH, read at call time
 */
export async function findExecutable(command: string, pathEnv: string | undefined = process.env.PATH): Promise<string | null> {
  if (command === '' || command.includes('\0')) return null;
  if (command.includes('/')) return (await isExecutableFile(resolve(command))) ? resolve(command) : null;
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    // An empty PATH entry means the cwd to a shell; a gateway should not run what lies there.
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
