import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the gateway writes the files one session needs (agent hook settings, the hook
 * script): a directory per session, readable by that session. The session sandbox binds
 * it read-only into the session (the data dir stays hidden); `LaunchSpec.filesDir` names it.
 */
export interface SessionFiles {
  /** Creates (if needed) and returns the session's directory, mode 0700. */
  dir(sessionId: string): Promise<string>;
  /** Removes the session's directory (the session was deleted). */
  remove(sessionId: string): Promise<void>;
}

/**
 * The default: `<tmpdir>/opendray-session-files-<random>/<session id>`, outside the data
 * dir so a sandbox that hides the data dir can still show these. @param root to override.
 */
export function createTempSessionFiles(root = join(tmpdir(), `opendray-session-files-${randomBytes(6).toString('hex')}`)): SessionFiles {
  const path = (id: string): string => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new TypeError(`session id ${JSON.stringify(id)} is not a safe directory name`);
    return join(root, id);
  };
  return {
    async dir(id) {
      const dir = path(id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    async remove(id) {
      await rm(path(id), { recursive: true, force: true });
    },
  };
}
