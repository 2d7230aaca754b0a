/** A JSON-schema-like description of one provider config field (SPEC §5.1). */
export interface ConfigField {
  type: 'string' | 'number' | 'boolean';
  description?: string;
  /** Redacted as `"********"` for integration principals. */
  secret?: boolean;
  enum?: readonly (string | number)[];
}

/** How an agent CLI resumes a conversation it had before (e.g. claude `--resume <id>`). */
export interface ResumeSpec {
  /** Arguments on first spawn that hand the agent the gateway's id, e.g. `['--session-id', '{agent_session_id}']`. */
  spawnArgs?: string[];
  /** Arguments on restart, e.g. `['--resume', '{agent_session_id}']`. */
  resumeArgs: string[];
}

/** A provider: any command line that can run in a PTY (SPEC §5.1). */
export interface ProviderManifest {
  id: string;
  display_name: string;
  kind: 'cli' | 'shell';
  command: string;
  args: string[];
  env?: Record<string, string>;
  resume?: ResumeSpec;
  /** What ends a message: `"\r"` for TUI agents, `"\n"` for shells. */
  submit_key: string;
  config_schema: Record<string, ConfigField>;
  /** Config key → CLI flag, e.g. `{ model: '--model' }`. */
  config_flags?: Record<string, string>;
  /** Config key → environment variable, e.g. `{ api_key: 'ANTHROPIC_API_KEY' }`. */
  config_env?: Record<string, string>;
  enabled?: boolean;
}
