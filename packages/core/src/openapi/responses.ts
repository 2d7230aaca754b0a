import { AGENT_OPERATIONS } from './agent-docs.js';
import type { JsonSchema } from './schema-kit.js';

/**
 * A response body: a component schema name (JSON), `'empty'` (no body), `'bytes'`
 * (`application/octet-stream`) or `'passthrough'` (whatever an upstream answered), or
 * several of them when a query parameter chooses the representation.
 */
export type BodyDoc = string | readonly string[];

/** A success response: its body, and optionally what it means and its headers. */
export type ResponseDoc = BodyDoc | { body: BodyDoc; description?: string; headers?: Readonly<Record<string, string>> };

/** A query parameter: its schema and what it does. */
export interface QueryDoc {
  schema: JsonSchema;
  description: string;
  required?: boolean;
}

/** Everything the route table does not say about one operation. */
export interface OperationDoc {
  /** Stable operationId, also the SDK method's name where one exists. */
  id: string;
  /** Success (and non-error) responses by status. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /** Errors this operation answers beyond the ones its access, params and body imply, with when. */
  errors?: Readonly<Record<number, string>>;
  /** The request body: a component schema name, or `'bytes'` (any media type). */
  request?: string;
  /** @default true; false when every field is optional (an empty body reads as `{}`). */
  requestRequired?: boolean;
  query?: Readonly<Record<string, QueryDoc>>;
  /** More than the route's summary: behaviour a client must know. */
  description?: string;
}

/** A WebSocket endpoint: documented as `GET` with a `101` response (OpenAPI has no WebSocket object). */
export interface UpgradeDoc {
  id: string;
  description: string;
  query?: Readonly<Record<string, QueryDoc>>;
  errors?: Readonly<Record<number, string>>;
  subprotocols?: readonly string[];
  /** Component schema names of the JSON text frames each side sends. */
  frames: { server?: string; client?: string };
  /** @default the first segment of the path */
  tag?: string;
}

const since: QueryDoc = { schema: { type: 'integer', minimum: 0 }, description: 'Byte cursor to read from (default: the whole ring)' };
const token: QueryDoc = { schema: { type: 'string' }, description: 'Credential for clients that cannot set headers (upgrades only; never logged)' };
const RUNNING_409 = 'The session is not running';
const PROXY_ERRORS = {
  400: 'A malformed path (dot segments, encoded slashes)',
  404: 'No integration has this prefix',
  502: 'The upstream failed',
  503: 'The integration is disabled or unhealthy (not contacted)',
  504: 'The upstream timed out',
};
const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Operations of the proxy: every method, with and without a rest path (SPEC §8). */
function proxyOperations(): Record<string, OperationDoc> {
  const out: Record<string, OperationDoc> = {};
  for (const method of PROXY_METHODS) {
    const verb = method[0] + method.slice(1).toLowerCase();
    for (const [path, suffix] of [['/proxy/{prefix}', ''], ['/proxy/{prefix}/*', 'Path']] as const) {
      out[`${method} ${path}`] = {
        id: `proxy${verb}${suffix}`,
        request: 'bytes',
        requestRequired: false,
        responses: { 0: { body: 'passthrough', description: "The upstream's response, streamed" } },
        errors: PROXY_ERRORS,
        description:
          'Forwarded to base_url + the rest of the path + the query (minus token), signed with X-OpenDray-Signature; ' +
          'Authorization and gateway cookies are stripped.',
      };
    }
  }
  return out;
}

/**
 * What every REST route answers, keyed `"METHOD /template"` exactly as in the route table.
 * The test keeps this map and the table equal in both directions. Status `0` means the
 * OpenAPI `default` response.
 */
export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  'GET /health': { id: 'health', responses: { 200: 'Health', 503: { body: 'Health', description: 'The store is unreachable: status "degraded"' } } },
  'GET /openapi.json': { id: 'openapi', responses: { 200: 'OpenApiDocument' } },
  'POST /auth/login': {
    id: 'login',
    request: 'LoginRequest',
    responses: { 200: 'LoginResponse' },
    errors: { 401: 'Invalid credentials', 429: 'Too many failed logins from this address' },
  },
  'POST /auth/logout': { id: 'logout', requestRequired: false, responses: { 204: 'empty' } },
  'GET /auth/me': { id: 'me', responses: { 200: 'Me' } },

  'POST /integrations': {
    id: 'createIntegration',
    request: 'RegisterIntegrationRequest',
    responses: { 201: 'IntegrationWithKey' },
    errors: { 409: 'Duplicate name or route_prefix' },
  },
  'GET /integrations': { id: 'listIntegrations', responses: { 200: 'IntegrationList' } },
  'GET /integrations/_calls': {
    id: 'listCalls',
    responses: { 200: 'CallPage' },
    query: {
      integration_id: { schema: { type: 'string' }, description: 'Only calls of this integration' },
      direction: { schema: { enum: ['inbound', 'outbound', 'rejected'] }, description: 'Only this direction' },
      status_class: { schema: { type: 'integer', minimum: 1, maximum: 5 }, description: 'Only statuses of this class (4 = 4xx)' },
      since: { schema: { type: 'string', format: 'date-time' }, description: 'Not before (RFC 3339)' },
      until: { schema: { type: 'string', format: 'date-time' }, description: 'Not after (RFC 3339)' },
      cursor: { schema: { type: 'string' }, description: 'next_cursor of the previous page' },
      limit: { schema: { type: 'integer', minimum: 1, maximum: 500 }, description: 'Entries per page, 1–500 (default 100)' },
    },
  },
  'GET /integrations/{id}': { id: 'getIntegration', responses: { 200: 'Integration' } },
  'PATCH /integrations/{id}': {
    id: 'updateIntegration',
    request: 'UpdateIntegrationRequest',
    responses: { 200: 'Integration' },
    errors: { 409: 'Duplicate route_prefix' },
  },
  'DELETE /integrations/{id}': { id: 'deleteIntegration', responses: { 204: 'empty' } },
  'POST /integrations/{id}/rotate-key': {
    id: 'rotateKey',
    request: 'RotateKeyRequest',
    requestRequired: false,
    responses: { 200: 'IntegrationWithKey' },
  },

  'POST /sessions': {
    id: 'createSession',
    request: 'CreateSessionRequest',
    requestRequired: false,
    responses: { 201: 'Session' },
    errors: { 409: 'The provider is not installed or is disabled', 429: "The integration's max_sessions is reached" },
  },
  'GET /sessions': {
    id: 'listSessions',
    responses: { 200: 'SessionList' },
    query: {
      state: { schema: { enum: ['running', 'idle', 'stopped', 'ended', 'interrupted'] }, description: 'Only sessions in this state' },
      provider_id: { schema: { type: 'string' }, description: 'Only sessions of this provider' },
    },
  },
  'GET /sessions/{id}': { id: 'getSession', responses: { 200: 'Session' } },
  'DELETE /sessions/{id}': { id: 'deleteSession', responses: { 204: 'empty' } },
  'POST /sessions/{id}/stop': { id: 'stopSession', responses: { 200: 'Session' } },
  'POST /sessions/{id}/start': {
    id: 'startSession',
    responses: { 200: 'Session' },
    errors: { 409: 'The session is running, or its provider is not installed', 429: "The integration's max_sessions is reached" },
  },
  'POST /sessions/{id}/input': { id: 'sendInput', request: 'InputRequest', responses: { 204: 'empty' }, errors: { 409: RUNNING_409 } },
  'POST /sessions/{id}/resize': { id: 'resize', request: 'ResizeRequest', responses: { 204: 'empty' }, errors: { 409: RUNNING_409 } },
  'GET /sessions/{id}/buffer': {
    id: 'getBuffer',
    query: { since },
    responses: {
      200: {
        body: 'bytes',
        description: 'Raw PTY bytes from max(since, oldest) to the end (SPEC §5.4)',
        headers: {
          'X-OpenDray-Buffer-Start': 'Offset of the first byte returned; greater than since means bytes were lost',
          'X-OpenDray-Buffer-Cursor': 'The next since',
        },
      },
    },
  },
  'GET /sessions/{id}/history': {
    id: 'getHistory',
    query: { limit: { schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'Most entries, 1–1000 (default 200)' } },
    responses: { 200: 'HistoryList' },
  },
  'GET /sessions/{id}/screen': {
    id: 'getScreen',
    query: { format: { schema: { enum: ['json', 'ansi'] }, description: 'ansi: bytes that repaint the screen' } },
    responses: { 200: { body: ['Screen', 'bytes'], description: 'The rendered screen (JSON), or repaint bytes with ?format=ansi' } },
  },

  ...AGENT_OPERATIONS,

  'GET /providers': { id: 'listProviders', responses: { 200: 'ProviderList' } },
  'GET /providers/{id}': { id: 'getProvider', responses: { 200: 'Provider' } },
  'PATCH /providers/{id}/config': { id: 'updateProviderConfig', request: 'ProviderConfigPatch', responses: { 200: 'Provider' } },

  'GET /channels': { id: 'listChannels', responses: { 200: 'ChannelList' } },
  'POST /channels': { id: 'createChannel', request: 'CreateChannelRequest', responses: { 201: 'Channel' }, errors: { 409: 'Duplicate name' } },
  'GET /channels/{id}': { id: 'getChannel', responses: { 200: 'Channel' } },
  'PATCH /channels/{id}': { id: 'updateChannel', request: 'UpdateChannelRequest', responses: { 200: 'Channel' }, errors: { 409: 'Duplicate name' } },
  'DELETE /channels/{id}': { id: 'deleteChannel', responses: { 204: 'empty' } },
  'POST /channels/{id}/test': {
    id: 'testChannel',
    request: 'ChannelTestRequest',
    requestRequired: false,
    responses: { 200: { body: 'ChannelTestResult', description: 'The test ran; ok tells its outcome' } },
    errors: { 409: 'The channel is not running or cannot send' },
  },
  'POST /channels/{id}/messages': {
    id: 'sendChannelMessage',
    request: 'SendChannelMessageRequest',
    responses: { 202: 'ChannelDelivery' },
    errors: { 409: 'The channel is not running or cannot send', 502: 'Delivery failed' },
  },
  'POST /channels/{id}/webhook': {
    id: 'channelWebhook',
    request: 'WebhookInbound',
    responses: { 200: 'WebhookReceipt' },
    errors: {
      400: 'Not JSON, or a bad field',
      401: "Missing or wrong channel secret or signature (not a gateway credential)",
      404: 'No such channel, or it takes no webhooks',
      409: 'The channel is not running',
      413: 'Body over the limit',
    },
    description: 'Authenticated by the channel\'s own secret: Authorization: Bearer <secret>, X-OpenDray-Channel-Token, or X-OpenDray-Timestamp + X-OpenDray-Signature.',
  },
  ...proxyOperations(),
};

/** The WebSocket endpoints, keyed by path template (SPEC §5.5, §6, §8). */
export const UPGRADES: Readonly<Record<string, UpgradeDoc>> = {
  '/sessions/{id}/stream': {
    id: 'streamSession',
    description:
      'Live terminal (SPEC §5.5). Default mode: the ring, then every PTY chunk, as binary frames; client frames are input ' +
      '(needs session:input, else close 4003); {"type":"ended","exit_code"} then close 1000. With the opendray.v2 ' +
      'subprotocol: raw bytes both ways and JSON control frames; resume with ?since=<cursor>.',
    query: { since, token },
    subprotocols: ['opendray.v2'],
    frames: { server: 'StreamServerControl', client: 'StreamClientControl' },
    errors: { 400: 'A malformed since' },
  },
  '/integrations/_events': {
    id: 'events',
    description:
      'Event stream (SPEC §6): one JSON text frame per event, first {"topic":"_hello"}; {"topic":"_gap"} when events ' +
      'could not be delivered. Each topic needs event:subscribe:<topic> (admins bypass). Client frames are ignored.',
    query: {
      topics: { schema: { type: 'string' }, required: true, description: 'Comma-separated topics; trailing .* wildcard; * = all the caller may see' },
      since: { schema: { type: 'integer', minimum: 0 }, description: 'Last seq seen: replay what was missed' },
      token,
    },
    frames: { server: 'EventFrame' },
    tag: 'events',
    errors: { 400: 'An empty or malformed topic list', 403: 'A topic the caller has no event:subscribe scope for' },
  },
  '/proxy/{prefix}': {
    id: 'proxyWebSocket',
    description: 'A WebSocket upgrade forwarded to the integration (SPEC §8).',
    query: { token },
    frames: {},
    errors: PROXY_ERRORS,
  },
  '/proxy/{prefix}/*': {
    id: 'proxyWebSocketPath',
    description: 'A WebSocket upgrade forwarded to the integration (SPEC §8).',
    query: { token },
    frames: {},
    errors: PROXY_ERRORS,
  },
};
