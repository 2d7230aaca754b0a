import type {
  CallEntry,
  CallPage,
  CallQuery,
  Channel,
  HistoryEntry,
  Integration,
  Session,
} from '@opendray/sdk/wire';

/**
 * One interface per kind of record (SPEC §11). Methods are async, speak domain objects
 * and never leak keyv. Read-modify-write goes through `update(id, fn)` so the
 * concurrency rules (unique names and prefixes) live in the store.
 */

/** A hashed admin session token; the token itself is never stored. */
export interface AdminTokenRecord {
  digest: string;
  username: string;
  issued_at: string;
  expires_at: string;
}

export interface AdminTokenStore {
  put(record: AdminTokenRecord): Promise<void>;
  get(digest: string): Promise<AdminTokenRecord | undefined>;
  delete(digest: string): Promise<void>;
}

/** A bcrypt-hashed API key with the lookup id that finds it in O(1) (SPEC §2.2). */
export interface StoredKey {
  lookup_id: string;
  hash: string;
  /** Only for a key replaced with `grace_seconds`: when it stops working. */
  valid_until?: string;
}

/** Fields added with v2 compatibility (SPEC §16): records stored before them lack them (defaults apply). */
type LaterIntegrationFields = 'max_sessions' | 'session_access' | 'permission_mode' | 'mcp_servers' | 'memory_policy';

export interface IntegrationRecord extends Omit<Integration, LaterIntegrationFields>, Partial<Pick<Integration, LaterIntegrationFields>> {
  key: StoredKey;
  /** The key replaced by a rotation with grace, while the grace lasts. */
  previous_key?: StoredKey;
  /** HMAC secret for `X-OpenDray-Signature` (SPEC §8); only integrations with a base_url. */
  signing_secret?: string;
}

export interface IntegrationStore {
  list(): Promise<IntegrationRecord[]>;
  get(id: string): Promise<IntegrationRecord | undefined>;
  /** The record whose current or grace key has this lookup id. */
  findByLookupId(lookupId: string): Promise<IntegrationRecord | undefined>;
  findByPrefix(routePrefix: string): Promise<IntegrationRecord | undefined>;
  /** Throws a 409 GatewayError when the name or a non-empty prefix is taken, even under races. */
  create(record: IntegrationRecord): Promise<void>;
  /** Applies `fn` atomically; undefined when the id is unknown. Uniqueness is re-checked. */
  update(id: string, fn: (current: IntegrationRecord) => IntegrationRecord): Promise<IntegrationRecord | undefined>;
  delete(id: string): Promise<boolean>;
}

/** A session as persisted: the wire shape plus what a restart needs to bring it back. */
export interface SessionRecord extends Session {
  env?: Record<string, string>;
  model?: string;
  /** The id the agent was told at spawn, for `--resume` (SPEC §5.3). */
  agent_session_id?: string;
  /** True once the agent itself reported `agent_session_id` (from its hooks, SPEC §17). */
  agent_session_confirmed?: boolean;
  history?: HistoryEntry[];
}

export interface SessionStore {
  list(): Promise<SessionRecord[]>;
  get(id: string): Promise<SessionRecord | undefined>;
  put(record: SessionRecord): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Keeps the tail of a session's output for after a restart. */
  saveTail(id: string, tail: { start: number; bytes: Buffer }): Promise<void>;
  loadTail(id: string): Promise<{ start: number; bytes: Buffer } | undefined>;
}

export interface CallLogStore {
  append(entries: readonly CallEntry[]): Promise<void>;
  /** Newest first; `cursor` continues a previous page. */
  query(query: CallQuery): Promise<CallPage>;
  /**
   * Drops rows beyond `maxRows` and older than `olderThan` (epoch ms); returns how many.
   * With `rejected`, rows of refused credentials (`direction: "rejected"`, and failed
   * logins: `direction: "admin"` on `/auth/login` with a 4xx/5xx status) are kept by
   * those limits instead and do not count against the others, so a flood of refusals
   * never pushes out integrations' rows.
   */
  prune(limits: { maxRows: number; olderThan: number; rejected?: { maxRows: number; olderThan: number } }): Promise<number>;
}

export interface ProviderConfigStore {
  get(providerId: string): Promise<Record<string, unknown> | undefined>;
  set(providerId: string, config: Record<string, unknown>): Promise<void>;
}

/** A channel as persisted, secrets included; redaction happens on the way out. */
export interface ChannelRecord extends Omit<Channel, 'running'> {
  config: Record<string, unknown>;
}

export interface ChannelStore {
  list(): Promise<ChannelRecord[]>;
  get(id: string): Promise<ChannelRecord | undefined>;
  put(record: ChannelRecord): Promise<void>;
  delete(id: string): Promise<boolean>;
}

/** Every store of a gateway; an embedder may replace any of them. */
export interface Stores {
  adminTokens: AdminTokenStore;
  integrations: IntegrationStore;
  sessions: SessionStore;
  callLog: CallLogStore;
  providerConfig: ProviderConfigStore;
  channels: ChannelStore;
}
