import { anyObject, bool, int, list, object, ref, str, type JsonSchema } from './schema-kit.js';

const size = (field: string): JsonSchema => int(`Terminal ${field}`, { minimum: 1, maximum: 1000 });
/** A platform id: a string (≤ 256), or an integer that the gateway stringifies. */
const platformId = (description: string): JsonSchema => ({ description, type: ['string', 'integer'], maxLength: 256 });
const conversationId = platformId('Where to post; a numeric id (a Telegram chat) may be sent as an integer');

/**
 * The JSON Schemas of every request body (SPEC §4). They document what the gateway
 * accepts; the gateway's own validation stays authoritative (it names the bad field in a
 * 400). Unknown fields are ignored by the gateway (SPEC §1), so these are open too.
 */
export const REQUEST_SCHEMAS: Record<string, JsonSchema> = {
  LoginRequest: object(['username', 'password'], {
    username: str(undefined, { minLength: 1, maxLength: 256 }),
    password: str(undefined, { minLength: 1, maxLength: 1024 }),
  }),
  RegisterIntegrationRequest: object(['name'], {
    name: str('Unique; ASCII letters, digits, space, ".", "_", "-"', { minLength: 1, maxLength: 64 }),
    base_url: str('http(s) URL with a host; set together with route_prefix, or neither'),
    route_prefix: str('Slug; names starting with "_" are reserved', { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    scopes: list(ref('Scope'), 'Default ["session:read", "event:subscribe:session.*"]; unknown scopes are a 400'),
    version: str(),
    max_sessions: int('Default 10', { minimum: 0, maximum: 1000 }),
  }),
  UpdateIntegrationRequest: object([], {
    base_url: str(),
    route_prefix: str(undefined, { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    scopes: list(ref('Scope')),
    version: str(),
    enabled: bool('false refuses its key and closes its sockets (4001)'),
    max_sessions: int(undefined, { minimum: 0, maximum: 1000 }),
  }, 'Any subset; absent fields stay as they are'),
  RotateKeyRequest: object([], {
    grace_seconds: int('Keep the old key valid this long (beyond); default 0', { minimum: 0, maximum: 604_800 }),
  }),
  CreateSessionRequest: object([], {
    provider_id: str('Default "shell"'),
    name: str(),
    cwd: str('An existing directory; default the workspace root'),
    args: list(str(), undefined, { maxItems: 64 }),
    env: { type: 'object', additionalProperties: { type: 'string' } },
    cols: { ...size('columns'), description: 'Default 120' },
    rows: { ...size('rows'), description: 'Default 40' },
    model: str(),
  }, 'SPEC §5.2'),
  InputRequest: {
    description: 'Exactly one of data (raw bytes as a string), text (a message, submitted) or keys (SPEC §5.6)',
    oneOf: [
      object(['data'], { data: str('Written as is') }),
      object(['text'], { text: str("Typed, then submitted with the provider's submit key") }),
      object(['keys'], { keys: list(ref('NamedKey'), undefined, { minItems: 1, maxItems: 256 }) }),
    ],
  },
  ResizeRequest: object(['cols', 'rows'], { cols: size('columns'), rows: size('rows') }),
  ProviderConfigPatch: anyObject('JSON merge patch of the config, validated against the manifest; null removes a field; enabled toggles the provider'),
  CreateChannelRequest: object(['kind', 'name'], {
    kind: str('A registered adapter kind, e.g. webhook, telegram'),
    name: str(undefined, { minLength: 1, maxLength: 64 }),
    config: anyObject('Adapter config (docs/channels.md)'),
    enabled: bool('Default true'),
  }),
  UpdateChannelRequest: object([], {
    name: str(undefined, { minLength: 1, maxLength: 64 }),
    enabled: bool(),
    config: anyObject('Merged into the stored config; null removes a key'),
  }),
  ChannelTestRequest: object([], { text: str('Default "opendray test message"', { minLength: 1 }), conversation_id: conversationId }),
  SendChannelMessageRequest: object(['text'], { text: str(undefined, { minLength: 1, maxLength: 65_536 }), conversation_id: conversationId }),
  WebhookInbound: object(['text'], {
    text: str(undefined, { minLength: 1 }),
    conversation_id: conversationId,
    author: platformId('Display name of the sender'),
    author_id: platformId("The platform's id of the sender"),
    message_id: platformId("The platform's id of the message"),
  }, 'Inbound message of a webhook channel, proven by its secret (bearer or X-OpenDray-Channel-Token) or signature'),
};
