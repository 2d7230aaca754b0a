import { isoTime } from '../clock.js';
import type { ResponseInfo } from '../http/pipeline.js';
import type { CallLog } from './types.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Logins and logouts are admin actions even when they fail (a failed login has no principal). */
const ADMIN_AUTH_ROUTES = new Set(['/auth/login', '/auth/logout']);

/**
 * The pipeline's `onResponse` hook that logs every call made with an integration key,
 * every refused credential (SPEC §10) and every admin action — a state-changing call by
 * the operator, and every login attempt — as `direction: "admin"`, so the call log shows
 * who did what. An admin action on one integration (`/integrations/{id}…`) carries that
 * integration's id, so filtering by integration shows what was done to it.
 */
export function recordInboundCalls(callLog: CallLog): (info: ResponseInfo) => void {
  return (info) => {
    const isIntegration = info.principal?.kind === 'integration';
    const isAdminAction =
      (info.principal?.kind === 'admin' && !READS.has(info.method)) || (info.method === 'POST' && ADMIN_AUTH_ROUTES.has(info.route));
    if (!isIntegration && !info.rejectedCredential && !isAdminAction) return;
    const direction = isIntegration ? 'inbound' : isAdminAction ? 'admin' : 'rejected';
    const target = isIntegration ? info.principal!.id : direction === 'admin' && info.route.startsWith('/integrations/{id}') ? info.params.id : undefined;
    callLog.record({
      ts: isoTime(info.startedAt),
      ...(target ? { integration_id: target } : {}),
      direction,
      method: info.method,
      route: info.route,
      path: info.path,
      status_code: info.status,
      duration_ms: info.durationMs,
      bytes_in: info.bytesIn,
      bytes_out: info.bytesOut,
      request_id: info.requestId,
      remote_addr: info.remoteAddr,
    });
  };
}

/** Logs an upgrade request whose credential was refused, as HTTP refusals are (SPEC §10). */
export function recordRejectedUpgrades(
  callLog: CallLog,
  now: () => number,
): (info: { requestId: string; path: string; remoteAddr: string; status: number }) => void {
  return (info) =>
    callLog.record({
      ts: isoTime(now()),
      direction: 'rejected',
      method: 'GET',
      route: info.path,
      path: info.path,
      status_code: info.status,
      duration_ms: 0,
      bytes_in: 0,
      bytes_out: 0,
      request_id: info.requestId,
      remote_addr: info.remoteAddr,
    });
}
