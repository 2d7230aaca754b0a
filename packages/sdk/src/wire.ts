/**
 * Every JSON shape that crosses the opendray wire (SPEC §4–§10).
 *
 * Dependency-free so the gateway, the SDK, the CLI and integrations in a browser all
 * share one definition. Field names are the opendray-v2 names; additions are optional.
 */

/** RFC 3339 UTC timestamp with milliseconds, e.g. `2026-04-27T14:01:00.123Z`. */
export type Timestamp = string;

/** Every error code the gateway answers with (SPEC §1; `docs/errors.md`). */
export const ERROR_CODES = [
  'invalid_json',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'missing_scope',
  'not_found',
  'method_not_allowed',
  'conflict',
  'agent_busy',
  'agent_blocked',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'upstream_error',
  'unavailable',
  'upstream_timeout',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The body of every error response. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
  request_id?: string;
}

/** Every scope an integration can be granted (SPEC §3). */
export const FIXED_SCOPES = [
  'session:read',
  'session:create',
  'session:input',
  'provider:read',
  'provider:write',
  'channel:send',
  'channel:receive',
] as const;

export type FixedScope = (typeof FIXED_SCOPES)[number];
export type EventScope = `event:subscribe:${string}`;
export type Scope = FixedScope | EventScope;

export type HealthStatus = 'unknown' | 'healthy' | 'degraded' | 'unhealthy';

export interface Integration {
  id: string;
  name: string;
  base_url: string;
  route_prefix: string;
  scopes: Scope[];
  version?: string;
  enabled: boolean;
  health_status: HealthStatus;
  health_payload?: Record<string, unknown>;
  health_last_seen?: Timestamp;
  created_at: Timestamp;
  rotated_at?: Timestamp;
  max_sessions: number;
}

export interface RegisterIntegrationRequest {
  name: string;
  base_url?: string;
  route_prefix?: string;
  scopes?: Scope[];
  version?: string;
  max_sessions?: number;
}

export interface UpdateIntegrationRequest {
  base_url?: string;
  scopes?: Scope[];
  version?: string;
  enabled?: boolean;
  max_sessions?: number;
}

/** Answer of register and rotate-key: the only two places a key is ever shown. */
export interface IntegrationWithKey {
  integration: Integration;
  api_key: string;
  signing_secret?: string;
}

export interface IntegrationList {
  integrations: Integration[];
}

export type CallDirection = 'inbound' | 'outbound' | 'rejected';

export interface CallEntry {
  id: string;
  ts: Timestamp;
  integration_id?: string;
  direction: CallDirection;
  method: string;
  route: string;
  path: string;
  status_code: number;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
  request_id: string;
  remote_addr: string;
}

export interface CallQuery {
  integration_id?: string;
  direction?: CallDirection;
  status_class?: 1 | 2 | 3 | 4 | 5;
  since?: Timestamp;
  until?: Timestamp;
  cursor?: string;
  limit?: number;
}

export interface CallPage {
  entries: CallEntry[];
  next_cursor: string | null;
}

export type SessionState = 'running' | 'idle' | 'stopped' | 'ended' | 'interrupted';

export interface Session {
  id: string;
  name: string;
  provider_id: string;
  cwd: string;
  args: string[];
  state: SessionState;
  pid?: number;
  cols: number;
  rows: number;
  origin: 'operator' | 'integration';
  integration_id?: string;
  created_at: Timestamp;
  started_at: Timestamp;
  ended_at?: Timestamp;
  exit_code?: number;
  signal?: string;
  idle_since?: Timestamp;
  bytes_out: number;
  /** What the agent is doing (SPEC §17); null for plain shells. Absent on gateways without agent awareness. */
  agent?: AgentStatus | null;
}

export interface CreateSessionRequest {
  provider_id?: string;
  name?: string;
  cwd?: string;
  args?: string[];
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  model?: string;
}

export type InputRequest = { data: string } | { text: string } | { keys: string[] };

export interface ResizeRequest {
  cols: number;
  rows: number;
}

export interface SessionList {
  sessions: Session[];
}

export interface HistoryEntry {
  ts: Timestamp;
  text: string;
  session_id: string;
}

export interface HistoryList {
  entries: HistoryEntry[];
}

export interface Screen {
  cols: number;
  rows: number;
  cursor: { x: number; y: number };
  alt_screen: boolean;
  title: string;
  lines: string[];
}

export interface ProviderRuntime {
  installed: boolean;
  version?: string;
  path?: string;
}

export interface Provider {
  id: string;
  display_name: string;
  kind: 'cli' | 'shell';
  enabled: boolean;
  config: Record<string, unknown>;
  runtime: ProviderRuntime;
}

export interface ProviderList {
  providers: Provider[];
}

export interface ChannelCapabilities {
  inbound: boolean;
  outbound: boolean;
  commands: boolean;
}

export interface Channel {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  running: boolean;
  capabilities: ChannelCapabilities;
  /** Admin view only; secrets redacted as `"********"` for integrations. */
  config?: Record<string, unknown>;
  status?: { last_error?: string; last_error_at?: Timestamp; last_delivery_at?: Timestamp };
  created_at?: Timestamp;
}

export interface ChannelList {
  channels: Channel[];
}

export interface SendChannelMessageRequest {
  text: string;
  conversation_id?: string;
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface LoginResponse {
  token: string;
  username: string;
  issued_at: Timestamp;
  expires_at: Timestamp;
}

export type Me =
  | { kind: 'admin'; id: string; username: string }
  | { kind: 'integration'; id: string; name: string; scopes: Scope[] };

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptime_s: number;
}

/** One frame of `/integrations/_events`. `seq` is absent only on `_hello` and `_gap`. */
export interface EventFrame<T = Record<string, unknown>> {
  topic: string;
  ts: Timestamp;
  data: T;
  seq?: number;
}

export interface HelloData {
  epoch: string;
  seq: number;
}

export interface GapData {
  from: number;
  to: number;
}

/** Control frames of the `opendray.v2` stream subprotocol (SPEC §5.5). */
export type StreamServerControl =
  | { type: 'hello'; cursor: number; cols: number; rows: number; state: SessionState }
  | { type: 'gap'; from: number; to: number }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ended'; exit_code: number | null; signal?: string | null; cursor: number };

export type StreamClientControl = { type: 'resize'; cols: number; rows: number };

/** The subprotocol name a client offers to get the v2 stream. */
export const STREAM_SUBPROTOCOL_V2 = 'opendray.v2';

/** Named keys accepted by `POST /sessions/{id}/input {"keys": [...]}` (SPEC §5.6). */
export const NAMED_KEYS = [
  'Enter', 'Tab', 'Escape', 'Backspace', 'Up', 'Down', 'Left', 'Right',
  'PageUp', 'PageDown', 'Home', 'End', 'Delete', 'Space',
] as const;

/** The 202 answer of `POST /channels/{id}/messages`. */
export interface ChannelDelivery {
  status: 'delivered';
  channel_id: string;
  conversation_id: string;
  message_id?: string;
  duration_ms: number;
}

/** `POST /channels` (admin). */
export interface CreateChannelRequest {
  kind: string;
  name: string;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

/** `PATCH /channels/{id}` (admin): config is merged; a key set to null is removed. */
export interface UpdateChannelRequest {
  name?: string;
  enabled?: boolean;
  config?: Record<string, unknown>;
}

/** The agent CLIs the gateway knows the signals of (SPEC §17). */
export type AgentKind = 'claude' | 'codex' | 'gemini';
export type AgentState = 'starting' | 'working' | 'idle' | 'blocked' | 'exited';
export type AgentBlockedReason = 'permission' | 'question' | 'trust';
/**
 * Where a judgement came from, most reliable first (SPEC §17 "status authority"); `process`
 * is the gateway seeing the process exit (`exited`).
 */
export type AgentSource = 'hook' | 'osc' | 'title' | 'screen' | 'silence' | 'process';

/** One turn: a prompt and everything the agent did until it was done. */
export interface AgentTurn {
  n: number;
  started_at: Timestamp;
  ended_at?: Timestamp;
}

/** `Session.agent` (SPEC §17). */
export interface AgentStatus {
  kind: AgentKind;
  state: AgentState;
  since: Timestamp;
  source: AgentSource;
  /** Set while `blocked`. */
  reason?: AgentBlockedReason;
  /** The dialog's text while `blocked`. */
  prompt_text?: string;
  turn?: AgentTurn;
}

/** One entry of `GET /sessions/{id}/agent` `explain`: why the gateway believes what it believes. */
export interface AgentJudgement {
  ts: Timestamp;
  source: AgentSource;
  /** The signal, e.g. `hook Stop`, `osc 7501 state=done`, `title "✦  Working…"`, `screen "Do you want to proceed?"`. */
  signal: string;
  from: AgentState;
  to: AgentState;
}

/** `GET /sessions/{id}/agent`. */
export interface AgentReport extends AgentStatus {
  session_id: string;
  /** The agent CLI's own conversation id, captured from its hooks (used for resume). */
  agent_session_id?: string;
  /** The last 50 judgements, oldest first. */
  explain: AgentJudgement[];
}

/** `POST /sessions/{id}/prompt`. */
export interface PromptRequest {
  text: string;
  wait?: {
    /** @default 'turn_completed' */
    until?: 'turn_completed' | 'idle' | 'none';
    /** @default 300_000 */
    timeout_ms?: number;
  };
}

/** The answer of `POST /sessions/{id}/prompt`. */
export interface PromptResult {
  state: AgentState;
  turn?: AgentTurn;
  /** The final assistant message of the turn (when it completed). */
  text?: string;
  /** The turn's bytes in the buffer: `GET /buffer?since=from` up to `to`. */
  output: { from: number; to: number };
  /** Set when the turn stopped at a dialog. */
  reason?: AgentBlockedReason;
  prompt_text?: string;
  /** Set when the wait ended at the deadline. */
  timed_out?: boolean;
}

/** `POST /sessions/{id}/permission`. */
export interface PermissionRequest {
  decision: 'allow' | 'deny';
}

/** The answer of `POST /sessions/{id}/permission`: the keys were sent; the state follows. */
export interface PermissionResult {
  decision: 'allow' | 'deny';
  agent: AgentStatus;
}

/** `session.state_changed` event data. */
export interface StateChangedEvent {
  session_id: string;
  from: AgentState;
  to: AgentState;
  source: AgentSource;
  reason?: AgentBlockedReason;
}

/** `session.blocked` event data. */
export interface BlockedEvent {
  session_id: string;
  reason: AgentBlockedReason;
  prompt_text: string;
}

/** `session.turn_completed` event data. */
export interface TurnCompletedEvent {
  session_id: string;
  turn: AgentTurn;
  text: string;
}

/** `session.idle` event data (v2: `origin` and `recent_output`, SPEC §16). */
export interface IdleEvent {
  session_id: string;
  idle_for_ms: number;
  origin: 'operator' | 'integration';
  /** The visible screen text, trailing blank lines trimmed. */
  recent_output: string;
}

/** Event topics and their data, for typed handling of `client.events()` frames (SPEC §6, §17). */
export interface SessionEventMap {
  'session.state_changed': StateChangedEvent;
  'session.blocked': BlockedEvent;
  'session.turn_completed': TurnCompletedEvent;
  'session.idle': IdleEvent;
  'session.active': { session_id: string };
}

/**
 * Narrows an event frame by topic.
 * @example for await (const f of client.events({ topics: ['session.*'] })) if (isEvent(f, 'session.turn_completed')) console.log(f.data.text);
 */
export function isEvent<K extends keyof SessionEventMap>(frame: EventFrame<unknown>, topic: K): frame is EventFrame<SessionEventMap[K]> {
  return frame.topic === topic;
}
