import type { ResolvedOptions } from '../context.js';
import { badRequest, conflict, type GatewayError } from '../errors.js';
import type { SessionRecord } from '../stores/types.js';
import { resolveCwd } from './cwd-policy.js';
import type { LaunchSpec } from './providers/launch.js';
import { sessionHome } from './sandbox/homes.js';
import type { SandboxedCommand, SessionSandbox } from './sandbox/types.js';
import { sessionEnv } from './session-env.js';

export interface SpawnPlanDeps {
  options: Pick<ResolvedOptions, 'workspaceRoot' | 'allowedRoots'>;
  sandbox: SessionSandbox;
  dataDir: string;
}

/**
 * The one place a session's process is planned (SPEC §15), at create and at every
 * restart: the cwd resolved to its real path and checked against the roots (and never
 * the data dir); the session's HOME; the environment from the allow-list; the sandbox's
 * command line. Under an isolating sandbox, an integration's session must stay inside the
 * allowed roots, which default to the workspace root: its cwd is writable there. The
 * session's scratch directory (the files of its spawn profile, SPEC §16) and its agent
 * hook files (SPEC §17) are visible inside, read-only.
 */
export async function planSpawn(deps: SpawnPlanDeps, record: SessionRecord, launch: LaunchSpec, restart: boolean, scratchDir?: string): Promise<SandboxedCommand> {
  const origin = record.integration_id ? 'integration' : 'operator';
  const configured = deps.options.allowedRoots ?? [];
  const allowedRoots = configured.length > 0 ? configured : origin === 'integration' && deps.sandbox.isolates ? [deps.options.workspaceRoot] : [];
  const cwd = await resolveCwd(record.cwd, { allowedRoots, forbidden: [deps.dataDir] });
  if (typeof cwd !== 'string') throw refuse(restart, `cwd${restart ? ` ${record.cwd}` : ''}: ${cwd.refused}`);
  const home = await sessionHome(deps.dataDir, record.integration_id);
  const env = sessionEnv({ home, launchEnv: launch.env });
  // Read-only inside: the spawn profile's scratch files and the agent hook files (SPEC §17).
  const readOnly = [scratchDir, launch.filesDir].filter((dir): dir is string => dir !== undefined);
  return deps.sandbox.wrap({ command: launch.command, args: launch.args, env, cwd, home, origin, ...(readOnly.length > 0 ? { readOnly } : {}) });
}

// A restart sends no cwd, so a cwd that no longer passes is the session's state: 409.
const refuse = (restart: boolean, message: string): GatewayError => (restart ? conflict(message) : badRequest(message));
