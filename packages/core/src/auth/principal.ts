import type { Scope, SessionAccess } from '@opendray/sdk/wire';

/** The operator: bypasses every scope check and sees every tenant (SPEC §3). */
export interface AdminPrincipal {
  kind: 'admin';
  id: string;
  username: string;
  /** Which credential proved it; a `session` token can log itself out. */
  via: 'session' | 'static' | 'hook';
  /**
   * SHA-256 of the session token, for logout and for tracking the sockets it opens: they
   * are closed (4001) when that token is logged out or expires. A principal derived from
   * a session token (e.g. a single-use WebSocket ticket minted with it) carries the
   * minting token's digest and `expiresAt`, so its sockets die with that token.
   */
  tokenDigest?: string;
  /** When the session token expires (epoch ms); its sockets are closed then. */
  expiresAt?: number;
}

/** An integration authenticated by its API key; sees its own sessions and, by default, the operator's (SPEC §3). */
export interface IntegrationPrincipal {
  kind: 'integration';
  id: string;
  name: string;
  scopes: readonly Scope[];
  /** Most live sessions it may have; absent or null: no cap (SPEC §16). */
  maxSessions?: number | null;
  /** `own`: only its own sessions are visible to it. @default 'shared' */
  sessionAccess?: SessionAccess;
  /**
   * Lookup id of the key that proved it (current or grace key), so the sockets opened
   * with a key that stops working (grace end, a second rotation) are closed while those
   * of the new key stay open. Absent for principals from an embedder's verifier.
   */
  keyLookupId?: string;
  /** When the key stops working (epoch ms): set for a grace key; its sockets are closed then. */
  expiresAt?: number;
}

export type Principal = AdminPrincipal | IntegrationPrincipal;

export const isAdmin = (p: Principal | null | undefined): p is AdminPrincipal => p?.kind === 'admin';
