import type { ConfigField, ProviderManifest } from './types.js';

const model: ConfigField = { type: 'string', description: 'Model name; a session request may override it' };
const extraArgs: ConfigField = { type: 'string[]', description: 'Extra command-line arguments, appended verbatim' };
const apiKey = (envName: string): ConfigField => ({
  type: 'string',
  secret: true,
  description: `API key, passed to the agent as ${envName}`,
});

/**
 * The built-in providers (SPEC §5.1): `shell`, `claude`, `codex`, `gemini`. Resume
 * arguments follow what each real CLI supports (docs/providers.md):
 * - claude is told the gateway's id at spawn (`--session-id`, a UUID) and resumes it (`--resume`);
 * - codex and gemini pick their own ids: a restart resumes the id their hooks reported
 *   (SPEC §17: `codex resume <id>`, `gemini --resume <id>`), else the newest conversation
 *   (`codex resume --last`, `gemini --resume latest`); both keep conversations per directory.
 * `agent` names the CLI whose hooks, signals and screen rules apply (SPEC §17).
 *
 * @param env the environment `$SHELL` is read from. @default process.env
 */
export function builtinManifests(env: NodeJS.ProcessEnv = process.env): ProviderManifest[] {
  return [
    {
      id: 'shell',
      display_name: 'Shell',
      kind: 'shell',
      command: env.SHELL || '/bin/sh',
      args: [],
      submit_key: '\n',
      config_schema: { extra_args: extraArgs },
      config_args: 'extra_args',
    },
    {
      id: 'claude',
      display_name: 'Claude Code',
      kind: 'cli',
      command: 'claude',
      agent: 'claude',
      args: [],
      resume: { spawnArgs: ['--session-id', '{agent_session_id}'], resumeArgs: ['--resume', '{agent_session_id}'] },
      submit_key: '\r',
      config_schema: {
        model,
        api_key: apiKey('ANTHROPIC_API_KEY'),
        permission_mode: {
          type: 'string',
          enum: ['default', 'acceptEdits', 'bypassPermissions', 'plan'],
          description: 'Passed as --permission-mode',
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', permission_mode: '--permission-mode' },
      config_env: { api_key: 'ANTHROPIC_API_KEY' },
      config_args: 'extra_args',
    },
    {
      id: 'codex',
      display_name: 'Codex',
      kind: 'cli',
      command: 'codex',
      agent: 'codex',
      args: [],
      resume: { resumeArgs: ['resume', '{agent_session_id}'], fallbackArgs: ['resume', '--last'], prepend: true },
      submit_key: '\r',
      config_schema: {
        model,
        api_key: apiKey('OPENAI_API_KEY'),
        sandbox: {
          type: 'string',
          enum: ['read-only', 'workspace-write', 'danger-full-access'],
          description: 'Passed as --sandbox',
        },
        approval_policy: {
          type: 'string',
          enum: ['untrusted', 'on-failure', 'on-request', 'never'],
          description: 'Passed as --ask-for-approval',
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', sandbox: '--sandbox', approval_policy: '--ask-for-approval' },
      config_env: { api_key: 'OPENAI_API_KEY' },
      config_args: 'extra_args',
    },
    {
      id: 'gemini',
      display_name: 'Gemini CLI',
      kind: 'cli',
      command: 'gemini',
      agent: 'gemini',
      args: [],
      resume: { resumeArgs: ['--resume', '{agent_session_id}'], fallbackArgs: ['--resume', 'latest'] },
      submit_key: '\r',
      config_schema: {
        model,
        api_key: apiKey('GEMINI_API_KEY'),
        approval_mode: {
          type: 'string',
          enum: ['default', 'auto_edit', 'yolo'],
          description: 'Passed as --approval-mode',
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', approval_mode: '--approval-mode' },
      config_env: { api_key: 'GEMINI_API_KEY' },
      config_args: 'extra_args',
    },
  ];
}
