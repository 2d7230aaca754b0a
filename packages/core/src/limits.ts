import { resolveVerificationLimits, type VerificationLimits } from './auth/verification-gate.js';

/**
 * The bounds that keep one client from exhausting the gateway (docs/abuse-resistance.md,
 * docs/operator-guide.md). Every one has a default; a bad value throws a TypeError naming it.
 */
export interface LimitsOptions {
  /** Open connections (HTTP and WebSocket) per client address; past it 429 and closed. Trusted proxies are exempt. @default 256 */
  connectionsPerAddress?: number;
  /** Open connections in total; past it new ones are dropped (Node's `server.maxConnections`). @default 10_000 */
  maxConnections?: number;
  /** WebSockets (events, streams, proxied upgrades together) per credential; past it the upgrade is 429. @default 256 */
  socketsPerCredential?: number;
  /** Time to receive a request's headers; then 408 and the socket is destroyed. @default 30_000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, on every route (streamed proxy uploads included). @default 300_000 */
  requestTimeoutMs?: number;
  /** Time to receive the body of a non-streaming route (JSON bodies); then 408 and closed. @default 10_000 */
  bodyTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this. @default 5_000 */
  keepAliveTimeoutMs?: number;
  /** The bounded queue of bcrypt checks (API keys, the admin password). */
  verifications?: VerificationLimits;
  /** `/screen` renders (an event-loop cost) at once, gateway-wide, and how many may wait; past it 429. */
  screenRenders?: { concurrency?: number; maxQueued?: number };
}

export type ResolvedLimits = Required<Omit<LimitsOptions, 'verifications' | 'screenRenders'>> & {
  verifications: Required<VerificationLimits>;
  screenRenders: { concurrency: number; maxQueued: number };
};

function int(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new TypeError(`limits.${name} must be an integer >= ${min} (got ${v})`);
  return v;
}

/** Fills in the defaults of {@link LimitsOptions}. */
export function resolveLimits(limits: LimitsOptions = {}): ResolvedLimits {
  const headersTimeoutMs = int('headersTimeoutMs', limits.headersTimeoutMs, 30_000, 1);
  const requestTimeoutMs = int('requestTimeoutMs', limits.requestTimeoutMs, 300_000, 1);
  // Node refuses a header deadline past the whole-request deadline.
  if (headersTimeoutMs > requestTimeoutMs) throw new TypeError('limits.headersTimeoutMs must not exceed limits.requestTimeoutMs');
  return {
    connectionsPerAddress: int('connectionsPerAddress', limits.connectionsPerAddress, 256, 1),
    maxConnections: int('maxConnections', limits.maxConnections, 10_000, 1),
    socketsPerCredential: int('socketsPerCredential', limits.socketsPerCredential, 256, 1),
    headersTimeoutMs,
    requestTimeoutMs,
    bodyTimeoutMs: int('bodyTimeoutMs', limits.bodyTimeoutMs, 10_000, 1),
    keepAliveTimeoutMs: int('keepAliveTimeoutMs', limits.keepAliveTimeoutMs, 5_000, 1),
    verifications: resolveVerificationLimits(limits.verifications),
    screenRenders: {
      concurrency: int('screenRenders.concurrency', limits.screenRenders?.concurrency, 1, 1),
      maxQueued: int('screenRenders.maxQueued', limits.screenRenders?.maxQueued, 8, 0),
    },
  };
}
