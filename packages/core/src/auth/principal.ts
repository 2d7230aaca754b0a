import type { Scope } from '@opendray/sdk/wire';

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

/** An integration authenticated by its API key; sees only its own tenancy. */
export interface IntegrationPrincipal {
  kind: 'integration';
  id: string;
  name: string;
  scopes: readonly Scope[];
  maxSessions: number;
}

export type Principal = AdminPrincipal | IntegrationPrincipal;

export const isAdmin = (p: Principal | null | undefined): p is AdminPrincipal => p?.kind === 'admin';
