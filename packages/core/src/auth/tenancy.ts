import { notFound } from '../errors.js';
import type { Principal } from './principal.js';

/** What decides who may see a session: its owner, and whether the operator hid it. */
export interface SessionVisibility {
  origin: 'operator' | 'integration';
  integration_id?: string;
  private?: boolean;
}

/**
 * The one session-visibility rule (SPEC §3), used by every `{id}` route, both WebSockets
 * and event delivery: the admin sees every session; an integration sees the sessions it
 * created and — unless its `session_access` is `"own"` — the operator's sessions that are
 * not `private`; never another integration's.
 */
export function canSeeSession(principal: Principal, session: SessionVisibility): boolean {
  if (principal.kind === 'admin') return true;
  if (session.integration_id !== undefined) return session.integration_id === principal.id;
  return session.origin === 'operator' && session.private !== true && principal.sessionAccess !== 'own';
}

/** The session when `principal` may see it; otherwise the same 404 as a missing one. */
export function visibleSessionOr404<T extends SessionVisibility>(principal: Principal, session: T | undefined): T {
  if (!session || !canSeeSession(principal, session)) throw notFound('session');
  return session;
}

/** The integration id new resources of `principal` belong to (undefined for the operator). */
export function tenantOf(principal: Principal): string | undefined {
  return principal.kind === 'integration' ? principal.id : undefined;
}
