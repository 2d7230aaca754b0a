import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Where a session's working directory may be (SPEC §5.2, §15). */
export interface CwdPolicy {
  /** When non-empty, the real cwd must lie inside one of these (after their own symlinks resolve). */
  allowedRoots?: readonly string[];
  /** The real cwd may never lie inside these: the gateway's data dir. */
  forbidden: readonly string[];
}

/** Why a cwd is refused, in words for the `cwd` field's message. */
export type CwdRefusal = { refused: string };

/**
 * Resolves a session's cwd to its real path and checks it against the policy. Runs on
 * every spawn, create and restart alike, and the real path is what the process is started
 * in: a symlink swapped after the session was created cannot lead it out of the roots.
 */
export async function resolveCwd(cwd: string, policy: CwdPolicy): Promise<string | CwdRefusal> {
  let real: string;
  try {
    real = await realpath(cwd);
    if (!(await stat(real)).isDirectory()) return { refused: 'not a directory' };
  } catch {
    return { refused: 'no such directory' };
  }
  for (const dir of policy.forbidden) {
    if (within(real, await realOrResolved(dir))) return { refused: "inside the gateway's data dir" };
  }
  const roots = policy.allowedRoots ?? [];
  if (roots.length > 0) {
    const inside = await Promise.all(roots.map(async (root) => within(real, await realOrResolved(root))));
    if (!inside.some(Boolean)) return { refused: 'outside the allowed roots' };
  }
  return real;
}

/** Whether `path` is `root` or lies below it (both absolute, normalised). */
export function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

const realOrResolved = (path: string): Promise<string> => realpath(path).catch(() => resolve(path));
