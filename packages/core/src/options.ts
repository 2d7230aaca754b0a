import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './auth/principal.js';
import type { Clock } from './clock.js';
import type { PipelineHooks } from './http/pipeline.js';
import type { Logger } from './log.js';
import type { PtyBackend } from './pty/types.js';
import type { StorageOption } from './stores/keyv/open.js';
import type { Stores } from './stores/types.js';
import type { ProviderDefinition } from './sessions/providers/types.js';
import type { ChannelAdapterFactory } from './channels/types.js';
import type { LimitsOptions } from './limits.js';
import type { SessionRetentionOptions } from './sessions/retention.js';
import type { SandboxMode, SessionSandbox } from './sessions/sandbox/types.js';
import type { AgentKind } from '@opendray/sdk/wire';
import type { AgentRulesSpec } from './agents/rules.js';
import type { SessionFiles } from './agents/session-files.js';
import type { SessionObserverFactory } from './sessions/observer.js';

/** Admin credentials and extra verifiers (SPEC §2.1, §11). */
export interface AuthOptions {
  /** The operator account: a clear password (hashed at start) or a bcrypt hash. */
  admin?: { username: string; password: string } | { username: string; passwordHash: string };
  /** A static admin bearer token for automation (`OPENDRAY_ADMIN_TOKEN`). */
  adminToken?: string;
  /** An extra verifier consulted after the built-in ones. */
  verify?: (token: string) => Promise<Principal | null>;
  /** Lifetime of an admin login token. @default 86_400_000 (24 h) */
  tokenTtlMs?: number;
  /**
   * Failed logins allowed per address per window; each attempt is counted before the
   * password is checked, and while the address is locked out a correct password is
   * refused too (docs/abuse-resistance.md). @default { max: 10, windowMs: 900_000 }
   */
  loginRateLimit?: { max: number; windowMs: number };
  /**
   * Refused credentials allowed per address per window; past it refusals are 429. A valid
   * credential that needs no bcrypt (a cached key, an admin token) is never refused for
   * its address's failures. @default { max: 30, windowMs: 60_000 }
   */
  credentialRateLimit?: { max: number; windowMs: number };
}

/** Everything `createGateway` accepts. Every field is optional. */
export interface GatewayOptions {
  /** A Keyv instance or a store URI (`memory`, `sqlite://<path>`). @default 'memory' */
  storage?: StorageOption;
  /**
   * How an acknowledged write reaches the SQLite file (docs/durability.md). `full`: fsynced
   * before the answer, so an acknowledgement survives a power cut. `normal`: written
   * before the answer but fsynced at checkpoints (SQLite `synchronous=NORMAL`): survives a
   * crash of the gateway, not of the machine. @default 'full'
   */
  storageDurability?: 'full' | 'normal';
  /** Replace individual stores (each must pass `runStoreContract`). */
  stores?: Partial<Stores>;
  /** The PTY backend. @default node-pty */
  pty?: PtyBackend;
  auth?: AuthOptions;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 8770; 0 picks a free port */
  port?: number;
  /** Request body cap in bytes. @default 1_048_576 */
  bodyLimitBytes?: number;
  /**
   * Proxies whose `X-Forwarded-For` is believed: IP addresses, CIDR ranges, or `loopback`.
   * The client address (rate limits, the call log, `X-OpenDray-Forwarded-For`) is then the
   * first untrusted hop from the right. @default [] (the socket's peer is the client)
   */
  trustProxy?: string[];
  /** Connection, socket, timeout and verification bounds (docs/operator-guide.md). */
  limits?: LimitsOptions;
  /** How long ended sessions are kept, per owner (docs/sessions.md). */
  sessionRetention?: SessionRetentionOptions;
  /** bcrypt cost of API keys and passwords. @default 12 */
  bcryptCost?: number;
  /** @default the system clock */
  clock?: Clock;
  /** @default a silent logger */
  logger?: Logger;
  hooks?: PipelineHooks;
  /**
   * What the gateway's own server (`listen()`) does with requests outside `/api/v1`, e.g.
   * the web console: `fallback: createConsoleHandler()` from `@opendray/console`.
   * Embedders with their own server pass it as `gateway.handler`'s `next` instead.
   * @default a 404 JSON error
   */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Reported by `/health`. @default the core package version */
  version?: string;

  /** Default `cwd` of new sessions. @default the user's home */
  workspaceRoot?: string;
  /**
   * When set, a session `cwd` must lie inside one of these, checked on its real path at
   * every start and restart. Unset, an integration's sandboxed session is kept inside the
   * workspace root (SPEC §15).
   */
  allowedRoots?: string[];
  /**
   * How sessions are isolated (SPEC §15; docs/security.md): `'bwrap'` (bubblewrap; fails
   * at start when it cannot run), `'auto'` (bwrap when it runs here; else operator
   * sessions run unsandboxed and integration sessions are refused with 503), `'off'`
   * (every session unsandboxed, the operator's explicit choice), or a SessionSandbox.
   * @default 'auto'
   */
  sandbox?: SandboxMode | SessionSandbox;
  /**
   * The gateway's data directory: integration HOMEs live in `<dataDir>/homes/<id>`, and
   * no session may see it or run in it. @default the SQLite store's directory; with
   * another store a private temporary directory, removed at `close()`
   */
  dataDir?: string;
  /** More paths no session may see, e.g. the config file and the CLI's credentials. */
  hiddenPaths?: string[];
  /** Silence before `session.idle`. @default 30_000 */
  idleThresholdMs?: number;
  /** Ring buffer per session. @default 1_048_576 */
  bufferBytes?: number;
  /**
   * Where each session's output is appended as it arrives (files per session, read back
   * for its ring and `/buffer`; docs/durability.md), so a crash loses at most about a
   * second of it. Unset (the embedder default): rings live in memory and tails are saved
   * in the session store. `opendray serve` uses `<data-dir>/output`.
   */
  outputDir?: string;
  /**
   * Live (running or idle) sessions the whole gateway runs at most, whoever creates them;
   * past it a create or restart is a 503 (SPEC §16: it protects the machine; per-integration
   * caps are opt-in `max_sessions`). @default 1_000
   */
  maxLiveSessions?: number;
  /** Grace between SIGTERM and SIGKILL on stop. @default 3_000 */
  stopGraceMs?: number;
  /** Extra providers, or fields overriding a built-in one of the same id (SPEC §5.1; docs/providers.md). */
  providers?: ProviderDefinition[];

  /** Events kept for `?since` replays. @default 10_000 */
  eventLogSize?: number;

  /** WebSocket liveness and slow readers (SPEC §5.5, §6; docs/sessions.md "Slow clients"). */
  sockets?: SocketOptions;

  /** Health probe cadence and timeout. @default 30_000 and 5_000 */
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Upstream timeout of the reverse proxy. @default 60_000 */
  proxyTimeoutMs?: number;
  /**
   * The library that carries proxied HTTP requests (WebSocket upgrades always use
   * http-proxy). `'http-proxy'` is the former engine, kept as a fallback; docs/proxy.md
   * has the measurement. @default 'undici'
   */
  proxyEngine?: 'undici' | 'http-proxy';

  /**
   * Call-log retention. Rows of refused credentials have their own, so a flood of junk
   * never pushes out integrations' rows; rate-limited refusals are one row per address and
   * window with a `count`. @default { maxRows: 100_000, maxAgeMs: 30 days,
   * rejectedMaxRows: 10_000, rejectedMaxAgeMs: 7 days, aggregateWindowMs: 60_000 }
   */
  callLog?: {
    maxRows?: number;
    maxAgeMs?: number;
    flushIntervalMs?: number;
    rejectedMaxRows?: number;
    rejectedMaxAgeMs?: number;
    aggregateWindowMs?: number;
  };

  /** Channel adapters by kind, added to (or overriding) the built-in ones. */
  channelAdapters?: Record<string, ChannelAdapterFactory>;

  /**
   * Observers of every session run, after the built-in idle detection, terminal replies
   * and agent detector (SPEC §17): get every output chunk, input write, resize and the end.
   */
  sessionObservers?: SessionObserverFactory[];
  /** Replaces an agent's shipped screen/terminal rules (a whole rules file per agent; docs/agents.md). */
  agentRules?: Partial<Record<AgentKind, AgentRulesSpec>>;
  /**
   * Agent hooks (SPEC §17). `baseUrl`: the origin hooks call (default: the address
   * `listen()` bound; set it when the gateway is mounted in another server). `curl`: the
   * program hook scripts post with (a name or path; false: use node). @default { enabled: true }
   */
  agentHooks?: { enabled?: boolean; baseUrl?: string; curl?: string | false };
  /** Where per-session files (agent hook settings) are written. @default a directory under the OS temp dir */
  sessionFiles?: SessionFiles;
}

/** How both WebSockets treat peers that stop answering or reading. */
export interface SocketOptions {
  /** @default 20_000 */
  pingIntervalMs?: number;
  /** A ping left unanswered this long drops the peer with 1013. @default 40_000 */
  pongTimeoutMs?: number;
  /**
   * A `/stream` client whose backlog does not move for this long has stopped reading: a
   * driver loses flow control (the session goes on), a viewer is closed with 1013.
   * @default 30_000
   */
  streamStallMs?: number;
  /** The same bound for an events subscriber: SPEC §6's write timeout. @default 5_000 */
  eventsStallMs?: number;
}
