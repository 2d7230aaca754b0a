import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCRATCH_DIR } from './providers/profile-launch.js';
import type { LaunchSpec } from './providers/launch.js';

/** A launch with its files written, and how to remove them again. */
export interface Scratch {
  spec: LaunchSpec;
  /** The directory, when the launch needed one. */
  dir?: string;
  remove(): Promise<void>;
}

/**
 * Writes a launch's files (an integration's MCP config…) into a fresh directory of the
 * session's own — mode 0700, files 0600, under the system temp dir — and puts its path
 * where `{scratch_dir}` stands in the args and env. A launch without files gets none.
 */
export async function prepareScratch(sessionId: string, spec: LaunchSpec): Promise<Scratch> {
  if (spec.files.length === 0) return { spec, remove: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), `opendray-${sessionId}-`));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  try {
    for (const file of spec.files) await writeFile(join(dir, file.name), file.content, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await remove();
    throw err;
  }
  const put = (s: string): string => s.split(SCRATCH_DIR).join(dir);
  return {
    spec: { ...spec, args: spec.args.map(put), env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, put(v)])) },
    dir,
    remove,
  };
}
