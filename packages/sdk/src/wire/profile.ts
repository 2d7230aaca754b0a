import { named, NO_CONTROL, NO_NUL, REASON, T, type Static } from './kit.js';

/**
 * The spawn profile of an integration (SPEC §16, the v2 names): what the operator decides
 * for every session that integration creates. Set only by the admin (registration and
 * PATCH are admin routes), applied at each spawn and restart of the integration's own
 * sessions; docs/integrations.md says which provider honours which field.
 */

/**
 * How much the agent may do without asking. `default` adds nothing; `acceptEdits` and
 * `plan` are Claude Code's modes; `bypass` (v2's name) skips every permission prompt
 * (claude `--permission-mode bypassPermissions`, codex
 * `--dangerously-bypass-approvals-and-sandbox`) — an operator's decision per integration.
 */
export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypass'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];
export const PermissionModeSchema = named(
  'PermissionMode',
  T.Unsafe<PermissionMode>({ type: 'string', enum: [...PERMISSION_MODES], [REASON]: `must be one of ${PERMISSION_MODES.join(', ')}` }),
);

/** v2's memory policy: stored and returned; this gateway has no memory feature (SPEC §16). */
export const MEMORY_POLICIES = ['none', 'quarantine', 'full'] as const;
export type MemoryPolicy = (typeof MEMORY_POLICIES)[number];
export const MemoryPolicySchema = named(
  'MemoryPolicy',
  T.Unsafe<MemoryPolicy>({ type: 'string', enum: [...MEMORY_POLICIES], [REASON]: `must be one of ${MEMORY_POLICIES.join(', ')}` }),
);

/** Which sessions an integration sees besides its own (SPEC §3). */
export const SESSION_ACCESS = ['shared', 'own'] as const;
export type SessionAccess = (typeof SESSION_ACCESS)[number];
export const SessionAccessSchema = named(
  'SessionAccess',
  T.Unsafe<SessionAccess>({
    type: 'string',
    enum: [...SESSION_ACCESS],
    description: "shared (default): its own sessions and the operator's that are not private; own: only its own",
    [REASON]: 'must be "shared" or "own"',
  }),
);

export const MAX_MCP_SERVERS = 32;
export const MAX_SYSTEM_PROMPT = 32_768;

const stringMap = (description: string) =>
  T.Unsafe<Record<string, string>>({
    type: 'object',
    description,
    maxProperties: 64,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,127}$', [REASON]: 'invalid name' },
    additionalProperties: { type: 'string', maxLength: 8192, pattern: NO_NUL, [REASON]: 'must be a string of at most 8192 characters without NUL' },
  });

/**
 * One MCP server of a spawn profile (v2's descriptor): `stdio` (the default) runs
 * `command args` with `env`; `sse` / `http` connect to `url` with `headers`.
 */
export const McpServer = named(
  'McpServer',
  T.Object(
    {
      name: T.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [REASON]: 'must be 1–64 letters, digits, "_" or "-"' }),
      transport: T.Optional(T.Union([T.Literal('stdio'), T.Literal('sse'), T.Literal('http')], { description: 'Default stdio' })),
      command: T.Optional(T.String({ minLength: 1, maxLength: 4096, pattern: NO_NUL, description: 'stdio: the program' })),
      args: T.Optional(T.Array(T.String({ maxLength: 8192, pattern: NO_NUL }), { maxItems: 64 })),
      env: T.Optional(stringMap('stdio: its environment')),
      url: T.Optional(T.String({ maxLength: 2048, format: 'http-url', description: 'sse/http: the endpoint' })),
      headers: T.Optional(stringMap('sse/http: request headers')),
    },
    { description: 'An MCP server given to the integration\'s agent sessions (stdio needs command; sse and http need url)' },
  ),
);
export type McpServer = Static<typeof McpServer>;

const PROVIDER_ID = T.String({
  description: 'Provider of a create without provider_id; "" clears it',
  pattern: '^(|[a-z0-9][a-z0-9_-]{0,63})$',
  [REASON]: 'must be a provider id (lower-case letters, digits, "_", "-")',
});
const MODEL = T.String({
  description: 'Model of a create without model, when the provider is default_provider_id; "" clears it',
  maxLength: 256,
  pattern: NO_CONTROL,
  [REASON]: 'must be at most 256 printable characters',
});

/** The profile fields as requests set them (registration and PATCH): `""` clears a string. */
export const SPAWN_PROFILE_FIELDS = {
  default_provider_id: T.Optional(PROVIDER_ID),
  default_model: T.Optional(MODEL),
  permission_mode: T.Optional(PermissionModeSchema),
  system_prompt: T.Optional(
    T.String({ description: 'Appended to the agent\'s system prompt; "" clears it', maxLength: MAX_SYSTEM_PROMPT, pattern: NO_NUL, [REASON]: `must be at most ${MAX_SYSTEM_PROMPT} characters without NUL` }),
  ),
  mcp_servers: T.Optional(
    T.Unsafe<McpServer[] | null>({ type: ['array', 'null'], items: McpServer, maxItems: MAX_MCP_SERVERS, description: 'null or [] clears them' }),
  ),
  memory_policy: T.Optional(MemoryPolicySchema),
  agent_id: T.Optional(T.String({ description: 'Stored for v2 clients; unused here', maxLength: 128, pattern: NO_CONTROL, [REASON]: 'must be at most 128 printable characters' })),
};
