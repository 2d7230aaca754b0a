import { attachSession, type AttachOptions, type Attachment } from './attach.js';
import type { OpendrayError } from './errors.js';
import { createEventStream, type EventStream, type EventsOptions, type SocketContext } from './events.js';
import { Transport, type CallOptions, type FetchLike, type Query, type UnauthorizedHandler } from './http.js';
import type { WebSocketConstructor } from './socket.js';
import type * as W from './wire.js';
import { openWsEvents, type WsEventsHandle } from './ws-events.js';

/** Options of {@link OpendrayClient}. */
export interface OpendrayClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:8770` (a trailing `/api/v1` is tolerated). */
  baseUrl?: string;
  /** The v2 SDK's name for `baseUrl`. */
  base?: string;
  /** An integration API key or an admin token. */
  token?: string;
  /** @default the global `fetch` */
  fetch?: FetchLike;
  /** @default the global `WebSocket`, else the `ws` package (Node 20) */
  WebSocket?: WebSocketConstructor;
  /** Per-call timeout of REST calls. @default 30_000; `0` disables */
  timeoutMs?: number;
  /** Runs on a 401 and may return a fresh token (see `withKeyRecovery`). */
  onUnauthorized?: UnauthorizedHandler;
  /**
   * How WebSockets prove the credential. `'ticket'` (admin tokens; what a browser page
   * should use): each (re)connection first mints a single-use ticket with
   * `POST /auth/ws-ticket` and sends `?ticket=`, so the token never appears in a URL.
   * `'token'`: the `Authorization` header where the WebSocket implementation allows it,
   * else `?token=`. @default 'token'
   */
  socketAuth?: 'token' | 'ticket';
}

/** What `apiCall` accepts. */
export interface ApiCallInit extends CallOptions {
  /** @default 'GET' */
  method?: string;
  /** A plain object is sent as JSON; a string or bytes as is. */
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
}

/** `GET /sessions/{id}/buffer`: the bytes and where they sit in the session's output (SPEC §5.4). */
export interface BufferChunk {
  bytes: Uint8Array;
  /** Offset of the first byte returned (`X-OpenDray-Buffer-Start`). */
  start: number;
  /** The next `since` (`X-OpenDray-Buffer-Cursor`). */
  cursor: number;
  /** True when `since` was given and bytes before `start` were lost. */
  lost: boolean;
}

const enc = encodeURIComponent;

/**
 * A typed client of one opendray gateway (SPEC §13): a method per REST route of SPEC §4,
 * `apiCall` for anything else, `events()` and `attach()` for the two WebSockets. Every
 * failure is an `OpendrayError`. Works in Node ≥ 20 and in browsers.
 *
 * @example
 * const client = new OpendrayClient({ baseUrl: 'http://127.0.0.1:8770', token: process.env.OPENDRAY_TOKEN });
 * const session = await client.createSession({ provider_id: 'shell' });
 * await client.sendText(session.id, 'echo hello');
 */
export class OpendrayClient {
  private readonly transport: Transport;
  private readonly sockets: SocketContext;

  constructor(options: OpendrayClientOptions) {
    this.transport = new Transport({ ...options, baseUrl: options.baseUrl ?? options.base ?? '' });
    this.sockets = {
      transport: this.transport,
      WebSocket: options.WebSocket,
      ticket: options.socketAuth === 'ticket' ? async () => (await this.createWsTicket()).ticket : undefined,
    };
  }

  /** The gateway origin this client talks to (without `/api/v1`). */
  get baseUrl(): string {
    return this.transport.origin;
  }
  /** The v2 SDK's name for `baseUrl`. */
  get base(): string {
    return this.transport.origin;
  }
  /** The credential sent with every call, if any. */
  get token(): string | undefined {
    return this.transport.token;
  }
  /** Replaces the credential (e.g. after a rotation); open sockets use it when they reconnect. */
  setToken(token: string | undefined): void {
    this.transport.token = token;
  }
  /** Installs (or removes) the 401 handler; see `withKeyRecovery`. */
  setUnauthorizedHandler(handler: UnauthorizedHandler | undefined): void {
    this.transport.onUnauthorized = handler;
  }

  /** Any route: `path` relative to `/api/v1` (a leading `/api/v1` is tolerated); JSON in and out. */
  apiCall<T = unknown>(path: string, init: ApiCallInit = {}): Promise<T> {
    return this.transport.json<T>(path, init);
  }

  // ── auth (SPEC §2.1) ──────────────────────────────────────────────────────────
  /** Logs in as the admin and adopts the returned token. */
  async login(username: string, password: string, opts?: CallOptions): Promise<W.LoginResponse> {
    const body: W.LoginRequest = { username, password };
    const res = await this.transport.json<W.LoginResponse>('/auth/login', { ...opts, method: 'POST', body, anonymous: true });
    this.transport.token = res.token;
    return res;
  }
  /** Revokes the caller's admin token and forgets it. */
  async logout(opts?: CallOptions): Promise<void> {
    await this.transport.json<void>('/auth/logout', { ...opts, method: 'POST' });
    this.transport.token = undefined;
  }
  /** Who the credential belongs to. */
  me(opts?: CallOptions): Promise<W.Me> {
    return this.transport.json('/auth/me', opts);
  }
  /** A single-use ticket for one WebSocket upgrade, valid ~30 s (admin only; see `socketAuth`). */
  createWsTicket(opts?: CallOptions): Promise<W.WsTicket> {
    return this.transport.json('/auth/ws-ticket', { ...opts, method: 'POST' });
  }
  /** Liveness; a degraded gateway (503) is an answer, not an error. Public. */
  health(opts?: CallOptions): Promise<W.Health> {
    return this.transport.json('/health', { ...opts, anonymous: true, acceptStatus: [503] });
  }
  /** The gateway's OpenAPI 3.1 document. Public. */
  openapi(opts?: CallOptions): Promise<Record<string, unknown>> {
    return this.transport.json('/openapi.json', { ...opts, anonymous: true });
  }
  /** The gateway's AsyncAPI 3.0 document: both WebSockets and every event payload. Public. */
  asyncapi(opts?: CallOptions): Promise<Record<string, unknown>> {
    return this.transport.json('/asyncapi.json', { ...opts, anonymous: true });
  }

  // ── integrations, admin only (SPEC §4) ───────────────────────────────────────
  /** Registers an integration; the answer holds its API key, shown this once. */
  createIntegration(body: W.RegisterIntegrationRequest, opts?: CallOptions): Promise<W.IntegrationWithKey> {
    return this.transport.json('/integrations', { ...opts, method: 'POST', body });
  }
  async listIntegrations(opts?: CallOptions): Promise<W.Integration[]> {
    return (await this.transport.json<W.IntegrationList>('/integrations', opts)).integrations;
  }
  getIntegration(id: string, opts?: CallOptions): Promise<W.Integration> {
    return this.transport.json(`/integrations/${enc(id)}`, opts);
  }
  updateIntegration(id: string, patch: W.UpdateIntegrationRequest, opts?: CallOptions): Promise<W.Integration> {
    return this.transport.json(`/integrations/${enc(id)}`, { ...opts, method: 'PATCH', body: patch });
  }
  /** Deletes an integration (its sessions are stopped; its call-log rows are kept). */
  async deleteIntegration(id: string, opts?: CallOptions): Promise<void> {
    await this.transport.json(`/integrations/${enc(id)}`, { ...opts, method: 'DELETE' });
  }
  /** Issues a new key; the old one dies now, or after `grace_seconds`. */
  rotateKey(id: string, body: { grace_seconds?: number } = {}, opts?: CallOptions): Promise<W.IntegrationWithKey> {
    return this.transport.json(`/integrations/${enc(id)}/rotate-key`, { ...opts, method: 'POST', body });
  }
  /** One page of the call log, newest first (SPEC §10). */
  listCalls(query: W.CallQuery = {}, opts?: CallOptions): Promise<W.CallPage> {
    return this.transport.json('/integrations/_calls', { ...opts, query: { ...query } });
  }
  /** Every call-log entry matching `query`, following `next_cursor` page by page. */
  async *iterateCalls(query: W.CallQuery = {}, opts?: CallOptions): AsyncGenerator<W.CallEntry> {
    let cursor = query.cursor;
    do {
      const page = await this.listCalls({ ...query, cursor }, opts);
      yield* page.entries;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }
  /**
   * A request through the reverse proxy to the integration at `prefix` (SPEC §8), admin
   * only. Returns the raw `Response` whatever its status: it is the upstream's answer.
   */
  proxy(prefix: string, path = '', init: Omit<ApiCallInit, 'body'> & { body?: BodyInit | null } = {}): Promise<Response> {
    const rest = path.replace(/^\/+/, '');
    return this.transport.raw(`/proxy/${enc(prefix)}${rest ? `/${rest}` : ''}`, init);
  }

  // ── sessions (SPEC §5) ──────────────────────────────────────────────────────
  /** Spawns a session [session:create]. */
  createSession(body: W.CreateSessionRequest = {}, opts?: CallOptions): Promise<W.Session> {
    return this.transport.json('/sessions', { ...opts, method: 'POST', body });
  }
  /**
   * Sessions [session:read]: the admin's are all; an integration's are its own, and with
   * `include: 'shared'` also the operator's it may see (SPEC §3).
   */
  async listSessions(query: { state?: W.SessionState; provider_id?: string; include?: 'shared' } = {}, opts?: CallOptions): Promise<W.Session[]> {
    return (await this.transport.json<W.SessionList>('/sessions', { ...opts, query })).sessions;
  }
  getSession(id: string, opts?: CallOptions): Promise<W.Session> {
    return this.transport.json(`/sessions/${enc(id)}`, opts);
  }
  /** Stops the session if running, then forgets it [session:create]. */
  async deleteSession(id: string, opts?: CallOptions): Promise<void> {
    await this.transport.json(`/sessions/${enc(id)}`, { ...opts, method: 'DELETE' });
  }
  stopSession(id: string, opts?: CallOptions): Promise<W.Session> {
    return this.transport.json(`/sessions/${enc(id)}/stop`, { ...opts, method: 'POST' });
  }
  /** Restarts an ended session under the same id (409 if running). */
  startSession(id: string, opts?: CallOptions): Promise<W.Session> {
    return this.transport.json(`/sessions/${enc(id)}/start`, { ...opts, method: 'POST' });
  }
  /** Writes raw input (a string is `{"data": …}`) [session:input]. */
  async sendInput(id: string, input: string | W.InputRequest, opts?: CallOptions): Promise<void> {
    const body: W.InputRequest = typeof input === 'string' ? { data: input } : input;
    await this.transport.json(`/sessions/${enc(id)}/input`, { ...opts, method: 'POST', body });
  }
  /** Types a message and submits it the way the provider's TUI expects (SPEC §5.6). */
  sendText(id: string, text: string, opts?: CallOptions): Promise<void> {
    return this.sendInput(id, { text }, opts);
  }
  /** Presses named keys (`Enter`, `C-c`, `Up`…). */
  sendKeys(id: string, keys: readonly string[], opts?: CallOptions): Promise<void> {
    return this.sendInput(id, { keys: [...keys] }, opts);
  }
  async resize(id: string, cols: number, rows: number, opts?: CallOptions): Promise<void> {
    const body: W.ResizeRequest = { cols, rows };
    await this.transport.json(`/sessions/${enc(id)}/resize`, { ...opts, method: 'POST', body });
  }
  /** Raw output from `since` (default: the whole ring) with its position (SPEC §5.4). */
  getBuffer(id: string, query: { since?: number } = {}, opts?: CallOptions): Promise<BufferChunk> {
    return this.transport.bytes(`/sessions/${enc(id)}/buffer`, { ...opts, query }, (bytes, headers) => {
      const start = Number(headers.get('x-opendray-buffer-start') ?? 0);
      const cursor = Number(headers.get('x-opendray-buffer-cursor') ?? start + bytes.byteLength);
      return { bytes, start, cursor, lost: query.since !== undefined && start > query.since };
    });
  }
  /** Submitted messages, oldest first (`limit` default 200, max 1000). */
  async getHistory(id: string, query: { limit?: number } = {}, opts?: CallOptions): Promise<W.HistoryEntry[]> {
    return (await this.transport.json<W.HistoryList>(`/sessions/${enc(id)}/history`, { ...opts, query })).entries;
  }
  /** The rendered screen: lines, cursor, size, title. */
  getScreen(id: string, opts?: CallOptions): Promise<W.Screen> {
    return this.transport.json(`/sessions/${enc(id)}/screen`, opts);
  }
  /** Bytes that repaint the screen on a terminal (`?format=ansi`). */
  getScreenAnsi(id: string, opts?: CallOptions): Promise<Uint8Array> {
    return this.transport.bytes(`/sessions/${enc(id)}/screen`, { ...opts, query: { format: 'ansi' } }, (bytes) => bytes);
  }

  // ── agents (SPEC §17) ────────────────────────────────────────────────────────
  /**
   * Types a prompt the way the agent CLI submits it and waits for the turn (default: until
   * `turn_completed`, 5 minutes). Resolves with the final text and the turn's byte range;
   * with `state: "blocked"` and the dialog's text when the turn stops at a permission
   * prompt (answer it with {@link permission}); with `timed_out: true` at the deadline.
   * Throws `OpendrayError` 409 `agent_busy` / `agent_blocked` [session:input].
   */
  prompt(id: string, text: string, options: { wait?: W.PromptRequest['wait'] } & CallOptions = {}, opts?: CallOptions): Promise<W.PromptResult> {
    const { wait, signal, timeoutMs } = options;
    const body: W.PromptRequest = { text, ...(wait ? { wait } : {}) };
    // The HTTP call outlives the gateway's own wait by a margin.
    const waitMs = wait?.until === 'none' ? 0 : (wait?.timeout_ms ?? 300_000);
    return this.transport.json(`/sessions/${enc(id)}/prompt`, {
      ...opts,
      ...(signal ? { signal } : {}),
      timeoutMs: timeoutMs ?? opts?.timeoutMs ?? waitMs + 30_000,
      method: 'POST',
      body,
    });
  }
  /** Answers the dialog that is up: `allow` or `deny` (409 when none is) [session:input]. */
  permission(id: string, decision: W.PermissionRequest['decision'], opts?: CallOptions): Promise<W.PermissionResult> {
    const body: W.PermissionRequest = { decision };
    return this.transport.json(`/sessions/${enc(id)}/permission`, { ...opts, method: 'POST', body });
  }
  /** What the agent is doing, with `explain`: the last 50 judgements [session:read]. */
  agent(id: string, opts?: CallOptions): Promise<W.AgentReport> {
    return this.transport.json(`/sessions/${enc(id)}/agent`, opts);
  }

  // ── providers and channels (SPEC §5.1, §7) ────────────────────────────────────
  async listProviders(opts?: CallOptions): Promise<W.Provider[]> {
    return (await this.transport.json<W.ProviderList>('/providers', opts)).providers;
  }
  getProvider(id: string, opts?: CallOptions): Promise<W.Provider> {
    return this.transport.json(`/providers/${enc(id)}`, opts);
  }
  /** Validated against the provider's `config_schema` and persisted [provider:write]. */
  updateProviderConfig(id: string, config: Record<string, unknown>, opts?: CallOptions): Promise<W.Provider> {
    return this.transport.json(`/providers/${enc(id)}/config`, { ...opts, method: 'PATCH', body: config });
  }
  async listChannels(opts?: CallOptions): Promise<W.Channel[]> {
    return (await this.transport.json<W.ChannelList>('/channels', opts)).channels;
  }
  /** Delivers a message through a channel (202 once delivered; 502 when delivery failed) [channel:send]. */
  sendChannelMessage(id: string, message: string | W.SendChannelMessageRequest, opts?: CallOptions): Promise<W.ChannelDelivery> {
    const body: W.SendChannelMessageRequest = typeof message === 'string' ? { text: message } : message;
    return this.transport.json(`/channels/${enc(id)}/messages`, { ...opts, method: 'POST', body });
  }
  /** Admin: adds a channel (SPEC §7). */
  createChannel(body: W.CreateChannelRequest, opts?: CallOptions): Promise<W.Channel> {
    return this.transport.json('/channels', { ...opts, method: 'POST', body });
  }
  /** Admin: one channel with its config and status. */
  getChannel(id: string, opts?: CallOptions): Promise<W.Channel> {
    return this.transport.json(`/channels/${enc(id)}`, opts);
  }
  /** Admin: renames, enables/disables or reconfigures a channel. */
  updateChannel(id: string, patch: W.UpdateChannelRequest, opts?: CallOptions): Promise<W.Channel> {
    return this.transport.json(`/channels/${enc(id)}`, { ...opts, method: 'PATCH', body: patch });
  }
  /** Admin: stops and deletes a channel. */
  async deleteChannel(id: string, opts?: CallOptions): Promise<void> {
    await this.transport.json(`/channels/${enc(id)}`, { ...opts, method: 'DELETE' });
  }

  // ── WebSockets (SPEC §5.5, §6) ───────────────────────────────────────────────
  /**
   * Events as an async iterable that reconnects and resumes from the last `seq`.
   *
   * @example
   * for await (const ev of client.events({ topics: ['session.*'] })) if (ev.topic === 'session.ended') break;
   */
  events(options: EventsOptions): EventStream {
    return createEventStream(this.sockets, options);
  }
  /** The v2 SDK's callback form: one socket, no reconnection (see `events()` for that). */
  wsEvents(
    topics: readonly string[] | string,
    onEvent: (event: W.EventFrame) => void,
    onClose?: (code: number, reason: string, error?: OpendrayError) => void,
  ): WsEventsHandle {
    return openWsEvents(this.sockets, topics, onEvent, onClose);
  }
  /** The session's terminal over the `opendray.v2` stream, resumed transparently after a disconnect. */
  attach(sessionId: string, options: AttachOptions): Attachment {
    return attachSession(this.sockets, sessionId, options);
  }
}
