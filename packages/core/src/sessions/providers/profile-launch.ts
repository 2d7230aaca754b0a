import type { McpServer, PermissionMode } from '@opendray/sdk/wire';
import type { SpawnProfile } from '../../integrations/profile.js';
import type { ProviderManifest } from './types.js';

/** Replaced in args and env by the session's scratch directory (0700, removed when it exits). */
export const SCRATCH_DIR = '{scratch_dir}';

/** What an integration's spawn profile adds to one launch (SPEC §16). */
export interface ProfileLaunch {
  /** Config values replaced before the config's flags are built (`undefined` drops one). */
  config: Record<string, unknown>;
  /** Arguments after the config's flags and extra args, before resume and request args. */
  args: string[];
  env: Record<string, string>;
  /** Files written into the scratch directory (mode 0600) before the spawn. */
  files: Array<{ name: string; content: string }>;
}

const none = (): ProfileLaunch => ({ config: {}, args: [], env: {}, files: [] });
const inScratch = (name: string): string => `${SCRATCH_DIR}/${name}`;

type Renderer = (profile: SpawnProfile) => ProfileLaunch;

/**
 * How each agent CLI takes a profile, checked against the real CLIs (docs/integrations.md
 * has the table): permission mode, system prompt and MCP servers. The model is not here:
 * `default_model` becomes the request's `model`, which every provider with a model flag
 * takes. Providers without a renderer (shells, gemini, operator commands) get nothing.
 */
const RENDERERS: Readonly<Record<string, Renderer>> = {
  // claude 2.1: --permission-mode, --append-system-prompt, --mcp-config (variadic, so the
  // `=` form: nothing after it can be read as another config file).
  claude(profile) {
    const out = none();
    const mode = CLAUDE_MODES[profile.permission_mode];
    // The integration's mode is the operator's more specific decision: it replaces the provider config's.
    if (mode) out.config.permission_mode = mode;
    if (profile.system_prompt) out.args.push('--append-system-prompt', profile.system_prompt);
    if (profile.mcp_servers.length) {
      out.files.push({ name: 'claude-mcp.json', content: JSON.stringify({ mcpServers: claudeServers(profile.mcp_servers) }, null, 2) });
      out.args.push(`--mcp-config=${inScratch('claude-mcp.json')}`);
    }
    return out;
  },
  // codex 0.171: config overrides (`-c key=<TOML>`) keep the user's CODEX_HOME (and login) intact.
  codex(profile) {
    const out = none();
    if (profile.permission_mode === 'bypass') {
      out.config.sandbox = undefined;
      out.config.approval_policy = undefined;
      out.args.push('--dangerously-bypass-approvals-and-sandbox');
    }
    if (profile.system_prompt) out.args.push('-c', `developer_instructions=${toml(profile.system_prompt)}`);
    for (const s of profile.mcp_servers) out.args.push(...codexServer(s));
    return out;
  },
  // grok 1.0: claude-like --permission-mode, --rules appends to the system prompt; MCP only through its own config.
  grok(profile) {
    const out = none();
    const mode = CLAUDE_MODES[profile.permission_mode];
    // Through the config field, as for claude: one --permission-mode, and it is pinned (SPEC §15).
    if (mode) out.config.permission_mode = mode;
    if (profile.system_prompt) out.args.push('--rules', profile.system_prompt);
    return out;
  },
  // opencode 1.18: a config file layered over the user's (OPENCODE_CONFIG), `instructions` naming a prompt file.
  opencode(profile) {
    const out = none();
    if (profile.permission_mode === 'bypass') out.args.push('--auto');
    if (profile.permission_mode === 'plan') out.args.push('--agent', 'plan');
    const config: Record<string, unknown> = {};
    if (profile.system_prompt) {
      out.files.push({ name: 'instructions.md', content: profile.system_prompt });
      config.instructions = [inScratch('instructions.md')];
    }
    if (profile.mcp_servers.length) config.mcp = opencodeServers(profile.mcp_servers);
    if (Object.keys(config).length) {
      out.files.push({ name: 'opencode.json', content: JSON.stringify(config, null, 2) });
      out.env.OPENCODE_CONFIG = inScratch('opencode.json');
    }
    return out;
  },
};

const CLAUDE_MODES: Readonly<Record<PermissionMode, string | undefined>> = {
  default: undefined,
  acceptEdits: 'acceptEdits',
  plan: 'plan',
  bypass: 'bypassPermissions',
};

/**
 * The flags a profile puts on the command line (`--rules`, `--mcp-config`, `--agent`…):
 * pinned like the operator's config flags, so a request argument cannot override them
 * (SPEC §15; the launch policy refuses such a request with 400).
 */
export function profileFlags(args: readonly string[]): string[] {
  // A value that looks like a flag (a one-word prompt "-v") pins that flag too: refusing more is the safe side.
  return [...new Set(args.filter((a) => /^--?[A-Za-z][\w-]*(=|$)/.test(a)).map((a) => a.split('=')[0]!))];
}

/** Which renderer a manifest uses: its id (an operator override of `claude` keeps claude's). */
export const profileKindOf = (manifest: ProviderManifest): string => manifest.id;

/** Whether an integration's `mcp_servers` reach this provider's sessions. */
export const takesMcp = (manifest: ProviderManifest): boolean => ['claude', 'codex', 'opencode'].includes(profileKindOf(manifest));

/** The launch additions of `profile` for `manifest`; nothing for a provider that takes none. */
export function renderProfile(manifest: ProviderManifest, profile: SpawnProfile | undefined): ProfileLaunch {
  const render = profile ? RENDERERS[profileKindOf(manifest)] : undefined;
  return render ? render(profile!) : none();
}

function claudeServers(servers: readonly McpServer[]): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [
      s.name,
      s.transport === 'stdio' || !s.transport
        ? { command: s.command, args: s.args ?? [], ...(s.env ? { env: s.env } : {}) }
        : { type: s.transport, url: s.url, ...(s.headers ? { headers: s.headers } : {}) },
    ]),
  );
}

function opencodeServers(servers: readonly McpServer[]): Record<string, unknown> {
  return Object.fromEntries(
    servers.map((s) => [
      s.name,
      s.transport === 'stdio' || !s.transport
        ? { type: 'local', command: [s.command, ...(s.args ?? [])], enabled: true, ...(s.env ? { environment: s.env } : {}) }
        : { type: 'remote', url: s.url, enabled: true, ...(s.headers ? { headers: s.headers } : {}) },
    ]),
  );
}

// codex speaks stdio and streamable HTTP; an `sse` server is given as its URL.
function codexServer(s: McpServer): string[] {
  const key = `mcp_servers.${s.name}`;
  const set = (field: string, value: string): string[] => ['-c', `${key}.${field}=${value}`];
  if (s.transport === 'stdio' || !s.transport) {
    return [
      ...set('command', toml(s.command!)),
      ...(s.args?.length ? set('args', `[${s.args.map(toml).join(', ')}]`) : []),
      ...(s.env ? set('env', tomlTable(s.env)) : []),
    ];
  }
  return [...set('url', toml(s.url!)), ...(s.headers ? set('http_headers', tomlTable(s.headers)) : [])];
}

/**
 * A TOML basic string. JSON's string escapes are TOML's (`\"`, `\\`, `\n`, `\uXXXX`), except
 * that TOML also wants DEL escaped.
 */
const toml = (s: string): string => JSON.stringify(s).replace(/\x7f/g, '\\u007f');
const tomlTable = (map: Readonly<Record<string, string>>): string =>
  `{ ${Object.entries(map).map(([k, v]) => `${toml(k)} = ${toml(v)}`).join(', ')} }`;
