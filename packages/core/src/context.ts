import type { CredentialVerifier } from './auth/authenticate.js';
import type { EventBus } from './bus/types.js';
import type { CallLog } from './calllog/types.js';
import type { Clock } from './clock.js';
import type { ResponseInfo } from './http/pipeline.js';
import type { Route } from './http/route.js';
import type { Logger } from './log.js';
import type { ResolvedLimits } from './limits.js';
import type { GatewayOptions, SocketOptions } from './options.js';
import type { PtyBackend } from './pty/types.js';
import type { SessionSandbox } from './sessions/sandbox/types.js';
import type { Stores } from './stores/types.js';
import type { ConnectionRegistry } from './ws/connections.js';
import type { UpgradeEndpoint } from './ws/upgrade.js';

/** Options with every default filled in. */
export type ResolvedOptions = Required<
  Pick<
    GatewayOptions,
    | 'host'
    | 'port'
    | 'bodyLimitBytes'
    | 'bcryptCost'
    | 'version'
    | 'workspaceRoot'
    | 'idleThresholdMs'
    | 'bufferBytes'
    | 'stopGraceMs'
    | 'maxLiveSessions'
    | 'eventLogSize'
    | 'healthIntervalMs'
    | 'healthTimeoutMs'
    | 'proxyTimeoutMs'
    | 'proxyEngine'
  >
> &
  Omit<GatewayOptions, 'limits'> & { sockets: Required<SocketOptions>; limits: ResolvedLimits };

/** The collaborators every capability is built from; made once, in `createGateway`. */
export interface GatewayContext {
  options: ResolvedOptions;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  stores: Stores;
  pty: PtyBackend;
  connections: ConnectionRegistry;
  callLog: CallLog;
  /** How sessions are isolated (SPEC §15). */
  sandbox: SessionSandbox;
  /** Integration HOMEs live under it; no session may see it. */
  dataDir: string;
  /** Where the gateway listens, once `listen()` resolved (agent hooks call it, SPEC §17). */
  endpoint: { url: string | null };
}

/** What one capability adds to the gateway. */
export interface Capability {
  routes?: Route[];
  upgrades?: UpgradeEndpoint[];
  verifiers?: CredentialVerifier[];
  onResponse?: (info: ResponseInfo) => void;
  start?(): Promise<void>;
  /** First step of a graceful close, while every socket is still open (e.g. stop sessions). */
  drain?(): Promise<void>;
  /** Graceful stop; called in reverse order of start, after sockets were closed. */
  stop?(): Promise<void>;
}
