import type { ResponseInfo } from '../http/pipeline.js';
import type { Logger } from '../log.js';

/**
 * The pipeline's `onResponse` hook that writes one access line per request: method, route
 * template, status, duration and who called (kind and id) — never a credential, a query
 * string or a body. Refusals of credentials and rate-limit trips are `warn` (someone is
 * guessing, or a client is misconfigured), server faults `error`, the rest `info`.
 */
export function logAccess(logger: Logger): (info: ResponseInfo) => void {
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
    if (info.status >= 500) logger.error('request', fields);
    else if (info.status === 429) logger.warn('request rate-limited', fields);
    else if (info.rejectedCredential || info.status === 401) logger.warn('request refused: bad credentials', fields);
    else logger.info('request', fields);
  };
}
