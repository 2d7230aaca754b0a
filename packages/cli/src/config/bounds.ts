import type { AuthOptions, GatewayOptions } from '@opendray/core';
import type { Settings } from './settings.js';

/** Drops the fields left undefined, so the gateway's own defaults apply to them. */
function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The abuse-resistance bounds of `opendray serve` (docs/operator-guide.md) as
 * `createGateway` options; a setting left unset keeps the gateway's documented default.
 */
export function boundsOptions(c: Settings): Pick<GatewayOptions, 'trustProxy' | 'limits' | 'sessionRetention' | 'callLog'> & {
  auth: Pick<AuthOptions, 'loginRateLimit' | 'credentialRateLimit'>;
} {
  const window = (max: number | undefined, windowMs: number | undefined, fallback: { max: number; windowMs: number }) =>
    max === undefined && windowMs === undefined ? undefined : { max: max ?? fallback.max, windowMs: windowMs ?? fallback.windowMs };
  const loginRateLimit = window(c.login_max_failures, c.login_window_ms, { max: 10, windowMs: 900_000 });
  const credentialRateLimit = window(c.credential_max_failures, c.credential_window_ms, { max: 30, windowMs: 60_000 });
  return {
    ...(c.trust_proxy ? { trustProxy: c.trust_proxy } : {}),
    auth: { ...(loginRateLimit ? { loginRateLimit } : {}), ...(credentialRateLimit ? { credentialRateLimit } : {}) },
    limits: defined({
      connectionsPerAddress: c.connections_per_address,
      maxConnections: c.max_connections,
      socketsPerCredential: c.sockets_per_credential,
      headersTimeoutMs: c.headers_timeout_ms,
      requestTimeoutMs: c.request_timeout_ms,
      bodyTimeoutMs: c.body_timeout_ms,
      verifications: defined({
        concurrency: c.verification_concurrency,
        maxQueued: c.verification_max_queued,
        perAddress: c.verification_per_address,
      }),
      screenRenders: defined({ concurrency: c.screen_render_concurrency, maxQueued: c.screen_render_max_queued }),
    }),
    sessionRetention: defined({
      maxEndedPerOwner: c.ended_sessions_per_owner,
      maxEndedBytesPerOwner: c.ended_session_bytes_per_owner,
      maxAgeMs: c.ended_session_max_age_ms,
    }),
    callLog: defined({
      maxRows: c.call_log_max_rows,
      maxAgeMs: c.call_log_max_age_ms,
      rejectedMaxRows: c.call_log_rejected_max_rows,
      rejectedMaxAgeMs: c.call_log_rejected_max_age_ms,
    }),
  };
}
