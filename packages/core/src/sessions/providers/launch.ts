import { badRequest } from '../../errors.js';
import type { SpawnProfile } from '../../integrations/profile.js';
import { effectiveConfig, type StoredConfig } from './config.js';
import { renderProfile } from './profile-launch.js';
import type { ProviderManifest } from './types.js';

/** What a session asks of its provider at spawn or restart. */
export interface LaunchRequest {
  /** Appended last, after everything the manifest and config add. */
  args: string[];
  /** Wins over the manifest's and the config's variables. */
  env: Record<string, string>;
  /** Overrides the config's `model` (SPEC §5.2). */
  model?: string;
  /** The id the gateway gave the agent's conversation (claude: a UUID). */
  agentSessionId: string;
  /** true on `POST /sessions/{id}/start` of a session that ran before. */
  resume: boolean;
  /** The creating integration's spawn profile (SPEC §16); absent for the operator's sessions. */
  profile?: SpawnProfile;
  /** The agent itself reported `agentSessionId` (SPEC §17); else a manifest's `fallbackArgs` resume. */
  agentSessionConfirmed?: boolean;
}

/** The command line and environment a PTY is spawned with. */
export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  submitKey: string;
  /**
   * Files the profile needs (an MCP config…), to be written into the session's scratch
   * directory before the spawn; `{scratch_dir}` in `args` and `env` names that directory.
   */
  files: Array<{ name: string; content: string }>;
  /**
   * A directory of files written for this session alone (agent hook settings, SPEC §17);
   * a sandbox must make it readable (read-only) inside the session.
   */
  filesDir?: string;
}

const MAX_ARGS = 64;
const PLACEHOLDER = /\{agent_session_id\}/g;

/**
 * Builds the argv and environment of one launch, deterministically:
 * `command [resume args if prepend] manifest.args config-flags config-args profile-args [resume args] request.args`
 * and env `manifest.env < config env < request env < profile env`. Throws 400 naming the
 * field for a request the provider cannot honour.
 */
export function buildLaunch(manifest: ProviderManifest, stored: StoredConfig, command: string, req: LaunchRequest): LaunchSpec {
  if (!Array.isArray(req.args) || req.args.length > MAX_ARGS || req.args.some((a) => typeof a !== 'string')) {
    throw badRequest(`args: must be a list of at most ${MAX_ARGS} strings`);
  }
  const config = effectiveConfig(manifest, stored);
  if (req.model !== undefined) {
    if (typeof req.model !== 'string' || req.model === '' || req.model.length > 256) throw badRequest('model: must be a string of 1–256 characters');
    if (!manifest.config_flags?.model && !manifest.config_env?.model) {
      throw badRequest(`model: provider "${manifest.id}" has no model setting`);
    }
    config.model = req.model;
  }
  const profile = renderProfile(manifest, req.profile);
  for (const [key, value] of Object.entries(profile.config)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }

  const flags: string[] = [];
  for (const [key, flag] of Object.entries(manifest.config_flags ?? {})) {
    const value = config[key];
    if (value === undefined || value === false) continue;
    if (value === true) flags.push(flag);
    else if (Array.isArray(value)) for (const v of value) flags.push(flag, String(v));
    else flags.push(flag, String(value));
  }
  const extra = manifest.config_args ? ((config[manifest.config_args] as string[] | undefined) ?? []) : [];

  const spec = manifest.resume;
  const onResume = spec?.fallbackArgs && !req.agentSessionConfirmed ? spec.fallbackArgs : spec?.resumeArgs;
  const resumeArgs = (spec ? (req.resume ? onResume! : (spec.spawnArgs ?? [])) : []).map((a) =>
    a.replace(PLACEHOLDER, req.agentSessionId),
  );
  const args = spec?.prepend
    ? [...resumeArgs, ...manifest.args, ...flags, ...extra, ...profile.args, ...req.args]
    : [...manifest.args, ...flags, ...extra, ...profile.args, ...resumeArgs, ...req.args];

  const env: Record<string, string> = { ...manifest.env };
  for (const [key, name] of Object.entries(manifest.config_env ?? {})) {
    const value = config[key];
    // v2's `authType: "env"`: the agent logs in on its own; a stored API key is not passed.
    if (config.auth_type === 'env' && manifest.config_schema[key]?.secret) continue;
    if (value !== undefined) env[name] = Array.isArray(value) ? value.join(' ') : String(value);
  }
  // The profile's variables are the operator's decision: a request cannot replace them.
  Object.assign(env, req.env, profile.env);
  return { command, args, env, submitKey: manifest.submit_key, files: profile.files };
}
