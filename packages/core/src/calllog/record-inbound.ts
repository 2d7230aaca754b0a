import { isoTime } from '../clock.js';
import type { ResponseInfo } from '../http/pipeline.js';
import type { CallLog } from './types.js';

/**
 * The pipeline's `onResponse` hook that logs every call made with an integration key
 * and every refused credential (SPEC §10). Admin calls are not integration traffic.
 */
export function recordInboundCalls(callLog: CallLog): (info: ResponseInfo) => void {
  return (info) => {
    const isIntegration = info.principal?.kind === 'integration';
    if (!isIntegration && !info.rejectedCredential) return;
    callLog.record({
      ts: isoTime(info.startedAt),
      ...(isIntegration ? { integration_id: info.principal!.id } : {}),
      direction: isIntegration ? 'inbound' : 'rejected',
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
): (info: { requestId: string; route: string; path: string; remoteAddr: string; status: number }) => void {
  return (info) =>
    callLog.record({
      ts: isoTime(now()),
      direction: 'rejected',
      method: 'GET',
      route: info.route,
      path: info.path,
      status_code: info.status,
      duration_ms: 0,
      bytes_in: 0,
      bytes_out: 0,
      request_id: info.requestId,
      remote_addr: info.remoteAddr,
    });
}
