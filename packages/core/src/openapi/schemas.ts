import { ERROR_CODES, FIXED_SCOPES, NAMED_KEYS, STREAM_SUBPROTOCOL_V2 } from '@opendray/sdk/wire';
import { AGENT_SCHEMAS } from './agent-docs.js';
import { REQUEST_SCHEMAS } from './request-schemas.js';
import { anyObject, bool, id, int, list, object, ref, str, type JsonSchema } from './schema-kit.js';

const ts = (description: string): JsonSchema => ({ ...ref('Timestamp'), description });
const count = (description: string): JsonSchema => int(description, { minimum: 0 });

/**
 * The JSON Schemas of every response shape in `@opendray/sdk/wire` (SPEC §4–§10), keyed by
 * the wire type's name. Objects are open (new fields may appear); `required` lists what
 * the gateway always sends.
 */
const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  Timestamp: str('RFC 3339 UTC timestamp with milliseconds (SPEC §1)', {
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    examples: ['2026-04-27T14:01:00.123Z'],
  }),
  ErrorCode: { type: 'string', enum: [...ERROR_CODES], description: 'Stable error code (docs/errors.md)' },
  ErrorBody: object(['error', 'code'], {
    error: str('Human-readable message; names the field for validation errors'),
    code: ref('ErrorCode'),
    request_id: str('The X-Request-Id of the request'),
  }, 'The body of every error response (SPEC §1)'),
  Scope: {
    type: 'string',
    description: 'A fixed scope, or event:subscribe:<topic> (SPEC §3)',
    anyOf: [{ enum: [...FIXED_SCOPES] }, { pattern: '^event:subscribe:.+$' }],
  },
  HealthStatus: { type: 'string', enum: ['unknown', 'healthy', 'degraded', 'unhealthy'] },
  Integration: object(['id', 'name', 'base_url', 'route_prefix', 'scopes', 'enabled', 'health_status', 'created_at', 'max_sessions'], {
    id: id('int', 'Integration id'),
    name: str('Unique name, 1–64 characters', { minLength: 1, maxLength: 64 }),
    base_url: str('Upstream URL; "" for a consumer-only integration'),
    route_prefix: str('Proxy prefix; "" for a consumer-only integration', { pattern: '^(|[a-z0-9][a-z0-9-]{0,62})$' }),
    scopes: list(ref('Scope')),
    version: str(),
    enabled: bool(),
    health_status: ref('HealthStatus'),
    health_payload: anyObject('Body of the last health probe, e.g. {status, version, busy_ratio}'),
    health_last_seen: ts('Last successful health probe'),
    created_at: ts('Registration time'),
    rotated_at: ts('Last key rotation'),
    max_sessions: count('Most sessions it may have at once'),
  }, 'A registered integration; never a key or a hash (SPEC §4)'),
  IntegrationWithKey: object(['integration', 'api_key'], {
    integration: ref('Integration'),
    api_key: str('The plaintext key; shown only in this answer (SPEC §2.2)', { pattern: '^odk_live_[A-Za-z0-9_-]{43}$' }),
    signing_secret: str('Proxy signing secret (SPEC §8); only when base_url is set'),
  }),
  IntegrationList: object(['integrations'], { integrations: list(ref('Integration')) }),
  CallDirection: { type: 'string', enum: ['inbound', 'outbound', 'rejected'] },
  CallEntry: object(
    ['id', 'ts', 'direction', 'method', 'route', 'path', 'status_code', 'duration_ms', 'bytes_in', 'bytes_out', 'request_id', 'remote_addr'],
    {
      id: str(),
      ts: ts('When the call started'),
      integration_id: str(),
      direction: ref('CallDirection'),
      method: str(),
      route: str('Route template, e.g. /sessions/{id}/input'),
      path: str(),
      status_code: int(),
      duration_ms: { type: 'number', minimum: 0 },
      bytes_in: count('Request body bytes'),
      bytes_out: count('Response body bytes'),
      request_id: str(),
      remote_addr: str(),
    },
    'One audited call (SPEC §10)',
  ),
  CallPage: object(['entries', 'next_cursor'], {
    entries: list(ref('CallEntry'), 'Newest first'),
    next_cursor: { type: ['string', 'null'], description: 'Pass as ?cursor= for the next page; null on the last' },
  }),
  SessionState: { type: 'string', enum: ['running', 'idle', 'stopped', 'ended', 'interrupted'] },
  Session: object(
    ['id', 'name', 'provider_id', 'cwd', 'args', 'state', 'cols', 'rows', 'origin', 'created_at', 'started_at', 'bytes_out'],
    {
      id: id('ses', 'Session id'),
      name: str(),
      provider_id: str(),
      cwd: str(),
      args: list(str()),
      state: ref('SessionState'),
      pid: int(),
      cols: int(undefined, { minimum: 1, maximum: 1000 }),
      rows: int(undefined, { minimum: 1, maximum: 1000 }),
      origin: { type: 'string', enum: ['operator', 'integration'] },
      integration_id: str('The integration that created it'),
      created_at: ts('Creation time'),
      started_at: ts('Last (re)start'),
      ended_at: ts('When it stopped or ended'),
      exit_code: { type: ['integer', 'null'] },
      signal: { type: ['string', 'null'] },
      idle_since: ts('Start of the current idle period'),
      bytes_out: count('Total output bytes = the buffer cursor (SPEC §5.4)'),
      agent: { oneOf: [ref('AgentStatus'), { type: 'null' }], description: 'What the agent is doing (SPEC §17); null for plain shells' },
    },
    'A PTY session (SPEC §5.2)',
  ),
  SessionList: object(['sessions'], { sessions: list(ref('Session')) }),
  HistoryEntry: object(['ts', 'text', 'session_id'], { ts: ts('When it was submitted'), text: str(), session_id: str() }),
  HistoryList: object(['entries'], { entries: list(ref('HistoryEntry'), 'Oldest first') }),
  Screen: object(['cols', 'rows', 'cursor', 'alt_screen', 'title', 'lines'], {
    cols: int(),
    rows: int(),
    cursor: object(['x', 'y'], { x: count('Column, 0-based'), y: count('Row, 0-based') }),
    alt_screen: bool('The alternate screen is active'),
    title: str(),
    lines: list(str(), 'One string per row, trailing spaces trimmed'),
  }, 'The rendered terminal (SPEC §4, beyond)'),
  ProviderRuntime: object(['installed'], { installed: bool(), version: str(), path: str() }),
  Provider: object(['id', 'display_name', 'kind', 'enabled', 'config', 'runtime'], {
    id: str(),
    display_name: str(),
    kind: { type: 'string', enum: ['cli', 'shell'] },
    enabled: bool(),
    config: anyObject('Secrets redacted as "********" for integrations'),
    runtime: ref('ProviderRuntime'),
  }, 'A provider manifest as the wire shows it (SPEC §5.1)'),
  ProviderList: object(['providers'], { providers: list(ref('Provider')) }),
  ChannelCapabilities: object(['inbound', 'outbound', 'commands'], { inbound: bool(), outbound: bool(), commands: bool() }),
  Channel: object(['id', 'kind', 'name', 'enabled', 'running', 'capabilities'], {
    id: id('ch', 'Channel id'),
    kind: str('Adapter kind, e.g. webhook, telegram'),
    name: str(),
    enabled: bool(),
    running: bool(),
    capabilities: ref('ChannelCapabilities'),
    config: anyObject('Secrets redacted as "********" for integrations'),
    status: object([], { last_error: str(), last_error_at: ts('Last failure'), last_delivery_at: ts('Last delivery') }, 'Admins only'),
    created_at: ts('Creation time'),
  }, 'A chat adapter (SPEC §7)'),
  ChannelList: object(['channels'], { channels: list(ref('Channel')) }),
  ChannelDelivery: object(['status', 'channel_id', 'conversation_id', 'duration_ms'], {
    status: { const: 'delivered' },
    channel_id: str(),
    conversation_id: str(),
    message_id: str(),
    duration_ms: { type: 'number', minimum: 0 },
  }, 'A message the platform accepted (docs/channels.md)'),
  ChannelTestResult: object(['ok'], {
    ok: bool('Whether the test message was delivered'),
    conversation_id: str(),
    message_id: str(),
    duration_ms: { type: 'number', minimum: 0 },
    error: str('Why delivery failed (ok: false)'),
  }),
  WebhookReceipt: object(['ok', 'received'], { ok: { const: true }, received: count('Messages accepted') }),
  LoginResponse: object(['token', 'username', 'issued_at', 'expires_at'], {
    token: str('Admin bearer token'),
    username: str(),
    issued_at: ts('Issue time'),
    expires_at: ts('Expiry'),
  }),
  Me: {
    description: 'The principal a credential belongs to',
    oneOf: [
      object(['kind', 'id', 'username'], { kind: { const: 'admin' }, id: str(), username: str() }),
      object(['kind', 'id', 'name', 'scopes'], { kind: { const: 'integration' }, id: str(), name: str(), scopes: list(ref('Scope')) }),
    ],
  },
  Health: object(['status', 'version', 'uptime_s'], {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    version: str(),
    uptime_s: count('Seconds since the gateway started'),
  }),
  OpenApiDocument: object(['openapi', 'info', 'paths'], { openapi: str(), info: anyObject(), paths: anyObject() }, 'This document'),
  EventFrame: object(['topic', 'ts', 'data'], {
    topic: str('e.g. session.output, or _hello / _gap'),
    ts: ts('When it was published'),
    data: anyObject('Topic payload (SPEC §6)'),
    seq: count('Per-gateway sequence; absent on _hello and _gap'),
  }, 'One text frame of /integrations/_events'),
  HelloData: object(['epoch', 'seq'], { epoch: str('Changes when the gateway restarts'), seq: count('Last seq published') }, 'data of the _hello frame'),
  GapData: object(['from', 'to'], { from: count('First seq not delivered'), to: count('Last seq not delivered') }, 'data of a _gap frame'),
  StreamServerControl: {
    description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, server to client (SPEC §5.5)`,
    oneOf: [
      object(['type', 'cursor', 'cols', 'rows', 'state'], { type: { const: 'hello' }, cursor: count('Next byte offset'), cols: int(), rows: int(), state: ref('SessionState') }),
      object(['type', 'from', 'to'], { type: { const: 'gap' }, from: count('First lost offset'), to: count('First offset after the loss') }),
      object(['type', 'cols', 'rows'], { type: { const: 'resize' }, cols: int(), rows: int() }),
      object(['type', 'exit_code', 'cursor'], { type: { const: 'ended' }, exit_code: { type: ['integer', 'null'] }, signal: { type: ['string', 'null'] }, cursor: count('Final cursor') }),
    ],
  },
  StreamClientControl: object(['type', 'cols', 'rows'], {
    type: { const: 'resize' },
    cols: int(undefined, { minimum: 1, maximum: 1000 }),
    rows: int(undefined, { minimum: 1, maximum: 1000 }),
  }, `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, client to server`),
  NamedKey: {
    type: 'string',
    description: 'A named key for POST /sessions/{id}/input (SPEC §5.6)',
    anyOf: [{ enum: [...NAMED_KEYS] }, { pattern: '^C-[a-zA-Z]$' }],
  },
};

/** Every component schema of the document: responses, requests and the frames of both WebSockets. */
export const SCHEMAS: Readonly<Record<string, JsonSchema>> = { ...RESPONSE_SCHEMAS, ...REQUEST_SCHEMAS, ...AGENT_SCHEMAS };

export type { JsonSchema };
