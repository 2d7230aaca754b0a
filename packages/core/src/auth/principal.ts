import type { Scope, SessionAccess } from '@opendray/sdk/wire';

/** The operator: bypasses every scope check and sees every tenant (SPEC §3). */
export interface AdminPrincipal {
  kind: 'admin';
  id: string;
  username: string;
  /** Which credential proved it; a `session` token can log itself out. */
  via: 'session' | 'static' | 'hook';
  /** SHA-256 of the session token, for logout. */
  tokenDigest?: string;
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
}

export type Principal = AdminPrincipal | IntegrationPrincipal;

export const isAdmin = (p: Principal | null | undefined): p is AdminPrincipal => p?.kind === 'admin';
