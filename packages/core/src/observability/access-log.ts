import type { ResponseInfo } from '../http/pipeline.js';
import type { Logger } from '../log.js';

/** Rate-limited refusals logged at `warn` per address and minute; the rest are `debug`. */
const LIMITED_WINDOW_MS = 60_000;
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * The pipeline's `onResponse` hook that writes one access line per request: method, route
 * template, status, duration and who called (kind and id) — never a credential, a query
 * string or a body. Refusals of credentials and rate-limit trips are `warn` (someone is
 * guessing, or a client is misconfigured), server faults `error`, the rest `info`. A client
 * that keeps knocking after its limit gets one `warn` a minute, the rest at `debug` (the
 * call log counts them), and an overloaded credential-check queue (503) is no server fault:
 * junk must not be able to flood the log at `warn` or `error` (docs/abuse-resistance.md).
 */
export function logAccess(logger: Logger): (info: ResponseInfo) => void {
  const limitedSince = new Map<string, number>();
  const firstLimited = (address: string, now: number): boolean => {
    const since = limitedSince.get(address);
    if (since !== undefined && now - since < LIMITED_WINDOW_MS) return false;
    limitedSince.delete(address);
    if (limitedSince.size >= MAX_TRACKED_ADDRESSES) limitedSince.delete(limitedSince.keys().next().value!);
    limitedSince.set(address, now);
    return true;
  };
  return (info) => {
    const fields = {
      request_id: info.requestId,
      method: info.method,
      route: info.route,
      status: info.status,
      duration_ms: info.durationMs,
      remote_addr: info.remoteAddr,
      ...(info.principal ? { principal: { kind: info.principal.kind, id: info.principal.id } } : {}),
    };
    const shed = info.status === 429 || (info.status === 503 && info.rejectedCredential);
    if (shed) {
      if (firstLimited(info.remoteAddr, info.startedAt)) logger.warn('request rate-limited', fields);
      else logger.debug('request rate-limited', fields);
    } else if (info.status >= 500) logger.error('request', fields);
    else if (info.rejectedCredential || info.status === 401) logger.warn('request refused: bad credentials', fields);
    else logger.info('request', fields);
  };
}
