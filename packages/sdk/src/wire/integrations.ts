import { at, AnyObject, count, idOf, named, REASON, T, type Static, withOptions } from './kit.js';
import { ScopeSchema } from './scopes.js';

export const HealthStatusSchema = named(
  'HealthStatus',
  T.Union([T.Literal('unknown'), T.Literal('healthy'), T.Literal('degraded'), T.Literal('unhealthy')]),
);
export type HealthStatus = Static<typeof HealthStatusSchema>;

/** `max_sessions` of an integration registered without one; 0 means it may create none. */
export const DEFAULT_MAX_SESSIONS = 10;
export const MAX_SESSIONS_LIMIT = 1000;
/** Longest grace a rotated key may keep (7 days). */
export const MAX_GRACE_SECONDS = 604_800;
/** Scopes of an integration registered without `scopes` (SPEC §3). */
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
      max_sessions: count('Most sessions it may have at once'),
    },
    { description: 'A registered integration; never a key or a hash (SPEC §4)' },
  ),
);
export type Integration = Static<typeof Integration>;

// ASCII letters, digits, space, `.`, `_`, `-`; starts and ends with a visible character.
// ASCII only, so no two names look alike (homoglyphs, bidi overrides) in a CLI or a log.
const NAME = T.String({
  description: 'Unique; ASCII letters, digits, space, ".", "_", "-"',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9](?:[A-Za-z0-9 ._-]*[A-Za-z0-9._-])?$',
  [REASON]: 'only ASCII letters, digits, space, ".", "_" and "-", starting with a letter or digit and not ending in a space',
});
const BASE_URL = T.String({
  description: 'http(s) URL with a host, no credentials, query or fragment; set together with route_prefix, or neither ("")',
  maxLength: 2048,
  format: 'base-url',
});
const ROUTE_PREFIX = T.String({
  description: 'Slug; names starting with "_" are reserved; "" for none',
  pattern: '^(|[a-z0-9][a-z0-9-]{0,62})$',
  [REASON]: '1–63 lower-case letters, digits and "-", starting with a letter or digit (names starting with "_" are reserved)',
});
const SCOPES = T.Array(ScopeSchema, { maxItems: 64 });
const VERSION = T.String({ maxLength: 64, pattern: '^[^\\p{Cc}\\p{Cf}]*$', [REASON]: 'must not contain control characters' });
const MAX_SESSIONS = T.Integer({ minimum: 0, maximum: MAX_SESSIONS_LIMIT });

/** `POST /integrations` (SPEC §4). Unknown fields are ignored. */
export const RegisterIntegrationRequest = named(
  'RegisterIntegrationRequest',
  T.Object({
    name: NAME,
    base_url: T.Optional(BASE_URL),
    route_prefix: T.Optional(ROUTE_PREFIX),
    scopes: T.Optional(withOptions(SCOPES, { description: 'Default ["session:read", "event:subscribe:session.*"]; unknown scopes are a 400' })),
    version: T.Optional(VERSION),
    max_sessions: T.Optional(withOptions(MAX_SESSIONS, { default: DEFAULT_MAX_SESSIONS })),
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
      max_sessions: T.Optional(MAX_SESSIONS),
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
