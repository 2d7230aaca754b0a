import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { BASE_PATH } from '../http/base-path.js';
import { PROXY_ROUTE } from './paths.js';

/** One proxied call as the call log keeps it (SPEC §10). */
export interface OutboundCall {
  integrationId: string;
  method: string;
  /** Gateway path under the base, without the query, e.g. `/proxy/bot/hooks/1` (logged as `/api/v1/proxy/bot/hooks/1`). */
  path: string;
  status: number;
  startedAt: number;
  bytesIn: number;
  bytesOut: number;
  requestId: string;
  remoteAddr: string;
}

/** Queues an `outbound` call-log entry; never blocks the request. */
export function recordOutbound(ctx: GatewayContext, call: OutboundCall): void {
  ctx.callLog.record({
    ts: isoTime(call.startedAt),
    integration_id: call.integrationId,
    direction: 'outbound',
    method: call.method,
    route: PROXY_ROUTE,
    path: `${BASE_PATH}${call.path}`,
    status_code: call.status,
    duration_ms: Math.max(0, ctx.clock.now() - call.startedAt),
    bytes_in: call.bytesIn,
    bytes_out: call.bytesOut,
    request_id: call.requestId,
    remote_addr: call.remoteAddr,
  });
}
