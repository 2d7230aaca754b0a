import type { Principal } from './auth/principal.js';
import type { Clock } from './clock.js';
import type { PipelineHooks } from './http/pipeline.js';
import type { Logger } from './log.js';
import type { PtyBackend } from './pty/types.js';
import type { StorageOption } from './stores/keyv/open.js';
import type { Stores } from './stores/types.js';
import type { ProviderDefinition } from './sessions/providers/types.js';
import type { ChannelAdapterFactory } from './channels/types.js';
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
  /** Failed logins allowed per address per window. @default { max: 10, windowMs: 900_000 } */
  loginRateLimit?: { max: number; windowMs: number };
  /** Refused credentials allowed per address per window. @default { max: 30, windowMs: 60_000 } */
  credentialRateLimit?: { max: number; windowMs: number };
}

/** Everything `createGateway` accepts. Every field is optional. */
export interface GatewayOptions {
  /** A Keyv instance or a store URI (`memory`, `sqlite://<path>`). @default 'memory' */
  storage?: StorageOption;
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
  /** bcrypt cost of API keys and passwords. @default 12 */
  bcryptCost?: number;
  /** @default the system clock */
  clock?: Clock;
  /** @default a silent logger */
  logger?: Logger;
  hooks?: PipelineHooks;
  /** Reported by `/health`. @default the core package version */
  version?: string;

  /** Default `cwd` of new sessions. @default the user's home */
  workspaceRoot?: string;
  /** When set, a session `cwd` must lie inside one of these. */
  allowedRoots?: string[];
  /** Silence before `session.idle`. @default 30_000 */
  idleThresholdMs?: number;
  /** Ring buffer per session. @default 1_048_576 */
  bufferBytes?: number;
  /** Grace between SIGTERM and SIGKILL on stop. @default 3_000 */
  stopGraceMs?: number;
  /** Extra providers, or fields overriding a built-in one of the same id (SPEC §5.1; docs/providers.md). */
  providers?: ProviderDefinition[];

  /** Events kept for `?since` replays. @default 10_000 */
  eventLogSize?: number;

  /** Health probe cadence and timeout. @default 30_000 and 5_000 */
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Upstream timeout of the reverse proxy. @default 60_000 */
  proxyTimeoutMs?: number;

  /** Call-log retention. @default { maxRows: 100_000, maxAgeMs: 30 days } */
  callLog?: { maxRows?: number; maxAgeMs?: number; flushIntervalMs?: number };

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
