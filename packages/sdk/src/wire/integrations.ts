import { at, AnyObject, count, idOf, named, nullable, REASON, T, type Static, withOptions } from './kit.js';
import { McpServer, MemoryPolicySchema, PermissionModeSchema, SessionAccessSchema, SPAWN_PROFILE_FIELDS } from './profile.js';
import { ScopeSchema } from './scopes.js';

export const HealthStatusSchema = named(
  'HealthStatus',
  T.Union([T.Literal('unknown'), T.Literal('healthy'), T.Literal('degraded'), T.Literal('unhealthy')]),
);
export type HealthStatus = Static<typeof HealthStatusSchema>;

/** The largest `max_sessions`; absent or null means no per-integration cap (SPEC §16). */
export const MAX_SESSIONS_LIMIT = 1000;
/** Longest grace a rotated key may keep (7 days). */
export const MAX_GRACE_SECONDS = 604_800;
/** Scopes of an integration registered without `scopes`, or with `[]` (SPEC §3, v2). */
export const DEFAULT_SCOPES = ['session:read', 'event:subscribe:session.*'] as const;

/** A registered integration; never a key or a hash (SPEC §4). */
export const Integration = named(
  'Integration',
  T.Object(
    {
      id: idOf('int', 'Integration id'),
      name: T.String({ description: 'Unique name, 1–64 characters', minLength: 1, maxLength: 64 }),
      base_url: T.String({ description: 'Upstream URL; "" for a consumer-only integration' }),
      route_prefix: T.String({ description: 'Proxy prefix; "" for a consumer-only integration', pattern: '^(|[a-z0-9][a-z0-9-]{0,62})$' }),
      scopes: T.Array(ScopeSchema),
      version: T.Optional(T.String()),
      enabled: T.Boolean(),
      health_status: HealthStatusSchema,
      health_payload: T.Optional(AnyObject('Body of the last health probe, e.g. {status, version, busy_ratio}')),
      health_last_seen: T.Optional(at('Last successful health probe')),
      created_at: at('Registration time'),
      rotated_at: T.Optional(at('Last key rotation')),
      max_sessions: nullable(T.Integer({ minimum: 0, description: 'Most live sessions it may have at once; null: no cap (SPEC §16)' })),
      session_access: SessionAccessSchema,
      default_provider_id: T.Optional(T.String({ description: 'Provider of a create without provider_id' })),
      default_model: T.Optional(T.String({ description: 'Model of a create without model, for default_provider_id' })),
      permission_mode: PermissionModeSchema,
      system_prompt: T.Optional(T.String({ description: "Appended to its agents' system prompt" })),
      mcp_servers: T.Array(McpServer, { description: 'MCP servers its agent sessions get' }),
      memory_policy: MemoryPolicySchema,
      agent_id: T.Optional(T.String({ description: 'Stored for v2 clients; unused here' })),
    },
    { description: 'A registered integration; never a key or a hash (SPEC §4)' },
  ),
);
export type Integration = Static<typeof Integration>;

// Any printable text (SPEC §16: v2 takes any name): no control characters, no line or
// paragraph separators, no bidi embedding/override/isolate controls (they reorder what a
// CLI or a log shows), no lone surrogates, and not only spaces.
const NAME = T.String({
  description: 'Unique; 1–64 printable characters',
  minLength: 1,
  maxLength: 64,
  pattern: '^(?=.*\\S)[^\\p{Cc}\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF]+$',
  [REASON]: 'must be 1–64 printable characters (no control characters, not only spaces)',
});
const BASE_URL = T.String({
  description: 'http(s) URL with a host, no credentials, query or fragment; set together with route_prefix, or neither ("")',
  maxLength: 2048,
  format: 'base-url',
});
// A `_` prefix passes the schema so the registry can answer it 409 reserved (SPEC §16, v2).
const ROUTE_PREFIX = T.String({
  description: 'Slug; names starting with "_" are reserved (409); "" for none',
  pattern: '^(|_[a-z0-9_-]{0,62}|[a-z0-9][a-z0-9-]{0,62})$',
  [REASON]: '1–63 lower-case letters, digits and "-", starting with a letter or digit',
});
const SCOPES = T.Array(ScopeSchema, { maxItems: 64 });
const VERSION = T.String({ maxLength: 64, pattern: '^[^\\p{Cc}\\p{Cf}]*$', [REASON]: 'must not contain control characters' });
const MAX_SESSIONS = nullable(
  T.Integer({ minimum: 0, maximum: MAX_SESSIONS_LIMIT, description: 'Opt-in cap on its live sessions; absent or null: none (SPEC §16)' }),
);

/** `POST /integrations` (SPEC §4). Unknown fields are ignored. */
export const RegisterIntegrationRequest = named(
  'RegisterIntegrationRequest',
  T.Object({
    name: NAME,
    base_url: T.Optional(BASE_URL),
    route_prefix: T.Optional(ROUTE_PREFIX),
    scopes: T.Optional(
      withOptions(SCOPES, { description: 'Absent or []: ["session:read", "event:subscribe:session.*"]; unknown scopes are a 400' }),
    ),
    version: T.Optional(VERSION),
    max_sessions: T.Optional(MAX_SESSIONS),
    session_access: T.Optional(withOptions(SessionAccessSchema, { default: 'shared' })),
    ...SPAWN_PROFILE_FIELDS,
  }),
);
export type RegisterIntegrationRequest = Static<typeof RegisterIntegrationRequest>;

/** `PATCH /integrations/{id}`: any subset; absent fields stay as they are. */
export const UpdateIntegrationRequest = named(
  'UpdateIntegrationRequest',
  T.Object(
    {
      base_url: T.Optional(BASE_URL),
      route_prefix: T.Optional(ROUTE_PREFIX),
      scopes: T.Optional(SCOPES),
      version: T.Optional(VERSION),
      enabled: T.Optional(T.Boolean({ description: 'false refuses its key and closes its sockets (4001)' })),
      max_sessions: T.Optional(withOptions(MAX_SESSIONS, { description: 'null removes the cap' })),
      session_access: T.Optional(withOptions(SessionAccessSchema, { description: 'Narrowing to "own" closes its open sockets (4003)' })),
      ...SPAWN_PROFILE_FIELDS,
    },
    { description: 'Any subset; absent fields stay as they are' },
  ),
);
export type UpdateIntegrationRequest = Static<typeof UpdateIntegrationRequest>;

/** `POST /integrations/{id}/rotate-key`. */
export const RotateKeyRequest = named(
  'RotateKeyRequest',
  T.Object({
    grace_seconds: T.Optional(
      T.Integer({ description: 'Keep the old key valid this long (beyond); default 0', minimum: 0, maximum: MAX_GRACE_SECONDS }),
    ),
  }),
);
export type RotateKeyRequest = Static<typeof RotateKeyRequest>;

/** Answer of register and rotate-key: the only two places a key is ever shown. */
export const IntegrationWithKey = named(
  'IntegrationWithKey',
  T.Object({
    integration: Integration,
    api_key: T.String({ description: 'The plaintext key; shown only in this answer (SPEC §2.2)', pattern: '^odk_live_[A-Za-z0-9_-]{43}$' }),
    signing_secret: T.Optional(T.String({ description: 'Proxy signing secret (SPEC §8); only when base_url is set' })),
  }),
);
export type IntegrationWithKey = Static<typeof IntegrationWithKey>;

export const IntegrationList = named('IntegrationList', T.Object({ integrations: T.Array(Integration) }));
export type IntegrationList = Static<typeof IntegrationList>;
