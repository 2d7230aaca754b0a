import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import type Keyv from 'keyv';
import { systemClock } from './clock.js';
import { checkOptions } from './options-check.js';
import type { ResolvedOptions } from './context.js';
import type { GatewayOptions } from './options.js';
import { createKeyvAdminTokenStore } from './stores/keyv/admin-token-store.js';
import { createKeyvCallLogStore } from './stores/keyv/call-log-store.js';
import { createKeyvChannelStore } from './stores/keyv/channel-store.js';
import { createKeyvIntegrationStore } from './stores/keyv/integration-store.js';
import { createKeyvProviderConfigStore } from './stores/keyv/provider-config-store.js';
import { createKeyvSessionStore } from './stores/keyv/session-store.js';
import type { Stores } from './stores/types.js';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** The core package version, reported by `/health`. */
export const CORE_VERSION: string = pkg.version;

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`${name} must be an integer >= ${min} (got ${value})`);
  return value;
}

/** Fills in every default; a misconfiguration throws a TypeError naming the option. */
export function resolveOptions(options: GatewayOptions): ResolvedOptions {
  checkOptions(options);
  const port = options.port ?? 8770;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port must be 0–65535 (got ${port})`);
  const bcryptCost = positiveInt('bcryptCost', options.bcryptCost, 12, 4);
  if (bcryptCost > 31) throw new TypeError('bcryptCost must be at most 31');
  return {
    ...options,
    host: options.host ?? '127.0.0.1',
    port,
    bodyLimitBytes: positiveInt('bodyLimitBytes', options.bodyLimitBytes, 1_048_576),
    bcryptCost,
    version: options.version ?? CORE_VERSION,
    workspaceRoot: options.workspaceRoot ?? homedir(),
    idleThresholdMs: positiveInt('idleThresholdMs', options.idleThresholdMs, 30_000),
    bufferBytes: positiveInt('bufferBytes', options.bufferBytes, 1_048_576, 1024),
    stopGraceMs: positiveInt('stopGraceMs', options.stopGraceMs, 3_000, 0),
    eventLogSize: positiveInt('eventLogSize', options.eventLogSize, 10_000),
    healthIntervalMs: positiveInt('healthIntervalMs', options.healthIntervalMs, 30_000),
    healthTimeoutMs: positiveInt('healthTimeoutMs', options.healthTimeoutMs, 5_000),
    proxyTimeoutMs: positiveInt('proxyTimeoutMs', options.proxyTimeoutMs, 60_000),
    clock: options.clock ?? systemClock,
  };
}

/** The keyv implementation of every store, with the embedder's replacements on top. */
export function createStores(keyv: Keyv, overrides: Partial<Stores> = {}, now: () => number = Date.now): Stores {
  return {
    adminTokens: overrides.adminTokens ?? createKeyvAdminTokenStore(keyv, now),
    integrations: overrides.integrations ?? createKeyvIntegrationStore(keyv),
    sessions: overrides.sessions ?? createKeyvSessionStore(keyv),
    callLog: overrides.callLog ?? createKeyvCallLogStore(keyv),
    providerConfig: overrides.providerConfig ?? createKeyvProviderConfigStore(keyv),
    channels: overrides.channels ?? createKeyvChannelStore(keyv),
  };
}
