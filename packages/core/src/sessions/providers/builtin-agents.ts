import type { ConfigField, ProviderManifest } from './types.js';

const extraArgs: ConfigField = { type: 'string[]', description: 'Extra command-line arguments, appended verbatim' };

/**
 * The v2 providers that are agent CLIs on the npm registry (SPEC §16), besides claude and
 * codex: `grok` (`@xai-official/grok`, bin `grok`) and `opencode` (`opencode-ai`, bin
 * `opencode`). Flags checked against grok 1.0.41 and opencode 1.18.33 (docs/providers.md):
 * - grok takes a conversation id like claude: `--session-id <uuid>` at spawn, `--resume <uuid>` on restart;
 * - opencode picks its own ids, so a restart continues the newest conversation (`--continue`).
 * (v2's `antigravity`, `agy`, is not on npm.)
 */
export function moreAgentManifests(): ProviderManifest[] {
  return [
    {
      id: 'grok',
      display_name: 'Grok Build',
      kind: 'cli',
      command: 'grok',
      args: [],
      resume: { spawnArgs: ['--session-id', '{agent_session_id}'], resumeArgs: ['--resume', '{agent_session_id}'] },
      submit_key: '\r',
      config_schema: {
        model: { type: 'string', description: 'Model id; a session request may override it', integration_writable: true },
        api_key: { type: 'string', secret: true, description: 'API key, passed to the agent as XAI_API_KEY' },
        permission_mode: {
          type: 'string',
          enum: ['default', 'acceptEdits', 'auto', 'dontAsk', 'bypassPermissions', 'plan'],
          description: 'Passed as --permission-mode',
        },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model', permission_mode: '--permission-mode' },
      config_env: { api_key: 'XAI_API_KEY' },
      config_args: 'extra_args',
    },
    {
      id: 'opencode',
      display_name: 'OpenCode',
      kind: 'cli',
      command: 'opencode',
      args: [],
      resume: { resumeArgs: ['--continue'] },
      submit_key: '\r',
      config_schema: {
        model: { type: 'string', description: 'provider/model; a session request may override it', integration_writable: true },
        extra_args: extraArgs,
      },
      config_flags: { model: '--model' },
      config_args: 'extra_args',
      // Launch policy (SPEC §15, docs/security.md): the bypass flag the spawn profile uses, the
      // sub-commands that run outside the TUI's approvals or start servers, and where opencode
      // reads its config (MCP servers, permissions) from.
      refuse_args: ['--auto', 'run', 'serve', 'web', 'mcp', 'acp', 'auth', 'github', 'upgrade', 'uninstall'],
      refuse_env: ['OPENCODE_CONFIG', 'OPENCODE_CONFIG_DIR', 'OPENCODE_CONFIG_CONTENT', 'OPENCODE_PERMISSION'],
    },
  ];
}
