import { lstat, mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { badRequest, conflict } from '../../errors.js';

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * A session's HOME (SPEC §15): the operator's own for operator sessions; for an
 * integration's session `<data dir>/homes/<integration id>` (mode 0700), so agent logins
 * and conversation history persist per integration and never mix between tenants — also
 * with the sandbox off, where it is separation, not isolation.
 */
export async function sessionHome(dataDir: string, integrationId: string | undefined): Promise<string> {
  if (integrationId === undefined) return homedir();
  if (!SAFE_ID.test(integrationId)) throw badRequest('integration id is not usable as a directory name');
  const home = join(dataDir, 'homes', integrationId);
  await mkdir(home, { recursive: true, mode: 0o700 });
  // An unsandboxed session could have replaced its HOME with a link elsewhere; the sandbox
  // must never bind that target writable.
  if (!(await lstat(home)).isDirectory()) throw conflict(`the HOME of integration ${integrationId} is not a directory; the operator must repair ${home}`);
  return home;
}

/** Removes a deleted integration's HOME (a link is removed, never followed). */
export async function removeSessionHome(dataDir: string, integrationId: string): Promise<void> {
  if (!SAFE_ID.test(integrationId)) return;
  await rm(join(dataDir, 'homes', integrationId), { recursive: true, force: true });
}
