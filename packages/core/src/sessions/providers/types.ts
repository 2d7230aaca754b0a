import type { AgentKind } from '@opendray/sdk/wire';

/** A JSON-schema-like description of one provider config field (SPEC §5.1). */
export interface ConfigField {
  /** `string[]` is a list of strings, e.g. extra command-line arguments. */
  type: 'string' | 'number' | 'boolean' | 'string[]';
  description?: string;
  /** Redacted as `"********"` for integration principals. */
  secret?: boolean;
  enum?: readonly (string | number)[];
  /** Shown in the config and applied at launch while the operator has set nothing. */
  default?: string | number | boolean | readonly string[];
  /**
   * `PATCH /providers/{id}/config` by an integration (`provider:write`) may set this field,
   * for that integration's own sessions only; every other field is admin-only (SPEC §15).
   * @default false
   */
  integration_writable?: boolean;
  /**
   * Request `args` that would override this field besides its own `config_flags` flag
   * (e.g. `--dangerously-skip-permissions` for a permission mode); refused while the
   * operator has set the field (docs/security.md).
   */
  overridden_by?: string[];
}

/** How an agent CLI resumes a conversation it had before (e.g. claude `--resume <id>`). */
export interface ResumeSpec {
  /** Arguments on first spawn that hand the agent the gateway's id, e.g. `['--session-id', '{agent_session_id}']`. */
  spawnArgs?: string[];
  /** Arguments on restart, e.g. `['--resume', '{agent_session_id}']`. */
  resumeArgs: string[];
  /**
   * Arguments on restart while the agent never reported its own session id (no hooks ran),
   * e.g. codex `['resume', '--last']`. @default resumeArgs
   */
  fallbackArgs?: string[];
  /**
   * Put the spawn/resume arguments right after the command, before every other argument
   * (a sub-command such as `codex resume --last`). @default false (after the config flags)
   */
  prepend?: boolean;
}

/** A provider: any command line that can run in a PTY (SPEC §5.1). */
export interface ProviderManifest {
  id: string;
  display_name: string;
  kind: 'cli' | 'shell';
  /** A name looked up on PATH, or a path (absolute, or relative to the gateway's cwd). */
  command: string;
  args: string[];
  env?: Record<string, string>;
  resume?: ResumeSpec;
  /** What ends a message: `"\r"` for TUI agents, `"\n"` for shells. */
  submit_key: string;
  config_schema: Record<string, ConfigField>;
  /** Config key → CLI flag, e.g. `{ model: '--model' }`. A boolean adds the bare flag when true. */
  config_flags?: Record<string, string>;
  /** Config key → environment variable, e.g. `{ api_key: 'ANTHROPIC_API_KEY' }`. */
  config_env?: Record<string, string>;
  /** A `string[]` config key whose items are appended to the command line verbatim. */
  config_args?: string;
  /** Arguments of the availability probe. An empty list skips running the command. @default ['--version'] */
  version_args?: string[];
  /** @default true; the stored config's `enabled` wins (see docs/providers.md). */
  enabled?: boolean;
  /** Whether a create request may pass `args` at all. @default true (SPEC §15) */
  accepts_args?: boolean;
  /**
   * Request `args` refused for this provider: flags that run code or bypass the agent's
   * permission checks (`--flag`, `-x`), or sub-commands (a bare word). Docs: docs/security.md.
   */
  refuse_args?: string[];
  /** Request `env` names refused beyond the common list (`PREFIX_*`, `*_SUFFIX` or exact). */
  refuse_env?: string[];
  /**
   * The agent CLI this provider runs (SPEC §17): its hooks, terminal signals, screen rules,
   * submit rule and resume arguments apply. A wrapper script around `claude` declares `"claude"`.
   */
  agent?: AgentKind;
}

/**
 * What an operator writes in the config file (`GatewayOptions.providers`): a full manifest
 * for a new provider (only `id` and `command` are required; the rest has defaults), or any
 * subset of the fields of an existing one to override them.
 */
export type ProviderDefinition = Pick<ProviderManifest, 'id'> & Partial<Omit<ProviderManifest, 'id'>>;
