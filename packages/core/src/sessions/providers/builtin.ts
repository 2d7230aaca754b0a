import { moreAgentManifests } from './builtin-agents.js';
import type { ConfigField, ProviderManifest } from './types.js';

// The model is the one field an integration may set (for its own sessions): a request may pick it anyway (SPEC §5.2).
const model: ConfigField = { type: 'string', description: 'Model name; a session request may override it', integration_writable: true };
const extraArgs: ConfigField = { type: 'string[]', description: 'Extra command-line arguments, appended verbatim' };
const apiKey = (envName: string): ConfigField => ({
  type: 'string',
  secret: true,
  description: `API key, passed to the agent as ${envName}`,
});
// v2's authType (SPEC §16): "env" leaves the login to the CLI itself and passes no api_key.
const authType: ConfigField = {
  type: 'string',
  enum: ['env', 'custom'],
  description: 'env: the CLI logs in by itself (api_key is not passed); custom or unset: api_key is passed',
};

/**
 * The built-in providers (SPEC §5.1): `shell`, `claude`, `codex`, `gemini`, and the v2
 * providers that are agent CLIs on npm, `grok` and `opencode` (./builtin-agents.ts). Resume
 * arguments follow what each real CLI supports (docs/providers.md):
 * - claude is told the gateway's id at spawn (`--session-id`, a UUID) and resumes it (`--resume`);
 * - codex and gemini pick their own ids: a restart resumes the id their hooks reported
 *   (SPEC §17: `codex resume <id>`, `gemini --resume <id>`), else the newest conversation
 *   (`codex resume --last`, `gemini --resume latest`); both keep conversations per directory.
 * `agent` names the CLI whose hooks, signals and screen rules apply (SPEC §17).
 *
 * Launch policy (SPEC §15; the table in docs/security.md): `refuse_args` are the flags of
 * each CLI that run code the agent's permission checks never see (MCP servers, hooks,
 * plugins, config overrides) or switch those checks off; `overridden_by` lists the flags
 * refused while the operator pins a field; `refuse_env` adds each CLI's own config and
 * shell-hook variables to the common list.
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
        auth_type: authType,
        bypass_permissions: { type: 'boolean', description: "v2's bypassPermissions: passed as --dangerously-skip-permissions (admin only)" },
        max_turns: { type: 'number', description: "v2's maxTurns: stored only (the interactive CLI has no turn limit)" },
        permission_mode: {
          type: 'string',
          enum: ['default', 'acceptEdits', 'bypassPermissions', 'plan'],
          description: 'Passed as --permission-mode',
          overridden_by: ['--allowedTools', '--allowed-tools'],
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', permission_mode: '--permission-mode', bypass_permissions: '--dangerously-skip-permissions' },
      config_env: { api_key: 'ANTHROPIC_API_KEY' },
      config_args: 'extra_args',
      refuse_args: [
        '--mcp-config',
        '--settings',
        '--setting-sources',
        '--plugin-dir',
        '--dangerously-skip-permissions',
        '--allow-dangerously-skip-permissions',
        '--permission-prompt-tool',
        '--add-dir',
      ],
      refuse_env: ['CLAUDE_CONFIG_DIR', 'CLAUDE_ENV_FILE', 'CLAUDE_CODE_SHELL_PREFIX', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX'],
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
        auth_type: authType,
        sandbox: {
          type: 'string',
          enum: ['read-only', 'workspace-write', 'danger-full-access'],
          description: 'Passed as --sandbox',
          overridden_by: ['-s', '--full-auto'],
        },
        approval_policy: {
          type: 'string',
          enum: ['untrusted', 'on-failure', 'on-request', 'never'],
          description: 'Passed as --ask-for-approval',
          overridden_by: ['-a', '--full-auto'],
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', sandbox: '--sandbox', approval_policy: '--ask-for-approval' },
      config_env: { api_key: 'OPENAI_API_KEY' },
      config_args: 'extra_args',
      refuse_args: [
        '--dangerously-bypass-approvals-and-sandbox',
        '--yolo',
        '--dangerously-bypass-hook-trust',
        '-c',
        '--config',
        '-p',
        '--profile',
        '--enable',
        '--add-dir',
        // sub-commands that run commands or servers outside the TUI's approvals
        'exec',
        'e',
        'sandbox',
        'debug',
        'mcp',
        'mcp-server',
        'app-server',
        'apply',
        'cloud',
        'login',
        'logout',
      ],
      refuse_env: ['CODEX_HOME'],
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
          overridden_by: ['--allowed-tools'],
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', approval_mode: '--approval-mode' },
      config_env: { api_key: 'GEMINI_API_KEY' },
      config_args: 'extra_args',
      refuse_args: ['--yolo', '-y', '--extensions', '-e', '--allowed-mcp-server-names', '--include-directories'],
      refuse_env: ['GEMINI_CLI_SYSTEM_SETTINGS_PATH', 'GEMINI_CLI_SYSTEM_DEFAULTS_PATH', 'GEMINI_SANDBOX', 'SEATBELT_PROFILE'],
    },
    ...moreAgentManifests(),
  ];
}
