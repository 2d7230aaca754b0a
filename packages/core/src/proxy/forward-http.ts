import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../http/route.js';
import { writeError } from '../http/respond.js';
import type { IntegrationRecord } from '../stores/types.js';
import type { ProxyEngine } from './engine.js';
import { clientResponseHeaders, headersFor } from './headers.js';
import { recordOutbound } from './calls.js';
import { publicPrefixOf } from './paths.js';
import type { UpstreamTarget } from './target.js';

/**
 * Forwards one HTTP request and streams the answer back (SPEC §8). Bodies are piped both
 * ways with backpressure by the engine, never buffered. `proxyTimeoutMs` is an inactivity
 * limit on the upstream exchange: before the response head it is a 504, after it the
 * client's response is cut. The call is recorded as `outbound` once the client response closes.
 */
export function forwardHttp(
  ctx: GatewayContext,
  engine: ProxyEngine,
  rc: RequestContext,
  integration: IntegrationRecord,
  target: UpstreamTarget,
  logPath: string,
): void {
  const { req, res } = rc;
  const startedAt = ctx.clock.now();
  let bytesIn = 0;
  let bytesOut = 0;

  res.once('close', () => {
    recordOutbound(ctx, {
      integrationId: integration.id,
      method: req.method ?? 'GET',
      path: logPath,
      // 499 (nginx's "client closed request") when the client left before any answer.
      status: res.headersSent ? res.statusCode : 499,
      startedAt,
      bytesIn,
      bytesOut,
      requestId: rc.requestId,
      remoteAddr: rc.remoteAddr,
    });
  });

  const headers = headersFor(req, integration, target, { requestId: rc.requestId, remoteAddr: rc.remoteAddr, nowMs: startedAt, websocket: false });
  const rewrite = { baseUrl: integration.base_url, publicPrefix: publicPrefixOf(integration.route_prefix) };

  engine.web(req, res, { headers, target, timeoutMs: ctx.options.proxyTimeoutMs }, {
    onHead(status, upstreamHeaders) {
      res.writeHead(status, clientResponseHeaders(upstreamHeaders, rewrite));
    },
    onBytes(direction, bytes) {
      if (direction === 'in') bytesIn += bytes;
      else bytesOut += bytes;
    },
    onError(err, reason) {
      const failure =
        reason === 'timeout'
          ? new GatewayError('upstream_timeout', `integration ${integration.route_prefix} did not answer in time`)
          : reason === 'unsendable'
            ? new GatewayError('validation_failed', `the request cannot be forwarded: ${err.message}`)
            : reason === 'protocol'
              ? new GatewayError('upstream_error', `integration ${integration.route_prefix} ${err.message}`)
              : new GatewayError('upstream_error', `integration ${integration.route_prefix} is unreachable`, { cause: err });
      ctx.logger.warn('proxy upstream failed', { integration_id: integration.id, request_id: rc.requestId, code: failure.code, error: err });
      if (res.headersSent || res.destroyed) return;
      // An upload still arriving is not worth reading just to throw away.
      if (!req.complete) res.setHeader('Connection', 'close');
      bytesOut = writeError(res, failure, rc.requestId);
    },
  });
}
