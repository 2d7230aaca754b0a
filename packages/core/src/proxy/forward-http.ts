import type { ClientRequest, IncomingMessage } from 'node:http';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../http/route.js';
import { writeError } from '../http/respond.js';
import type { IntegrationRecord } from '../stores/types.js';
import type { ProxyEngine } from './engine.js';
import { clientResponseHeaders, headersFor } from './headers.js';
import { recordOutbound } from './calls.js';
import { publicPrefixOf } from './paths.js';
import { watchPlainExchange } from './response-check.js';
import type { UpstreamTarget } from './target.js';

/**
 * Forwards one HTTP request and streams the answer back (SPEC §8). Bodies are piped both
 * ways with backpressure, never buffered. `proxyTimeoutMs` is an inactivity limit on the
 * upstream connection: before the response head it is a 504, after it the client's
 * response is cut. The call is recorded as `outbound` once the client response closes.
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
  let timedOut = false;
  let proxyReq: ClientRequest | undefined;
  let proxyRes: IncomingMessage | undefined;

  req.on('data', (chunk: Buffer) => {
    bytesIn += chunk.length;
  });
  res.once('close', () => {
    // The client went away (or the answer is complete): nothing upstream is needed any more.
    if (!proxyRes?.complete) proxyReq?.destroy();
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

  const headers = headersFor(req, integration, target, { requestId: rc.requestId, remoteAddr: rc.remoteAddr, nowMs: ctx.clock.now(), websocket: false });

  engine.web(req, res, headers, target, {
    onProxyReq(pr) {
      proxyReq = pr;
      pr.setTimeout(ctx.options.proxyTimeoutMs, () => {
        timedOut = true;
        pr.destroy();
      });
      // A 101 (or a silent close) to a plain request is a broken upstream: 502, never a hang.
      watchPlainExchange(pr, (why) => {
        if (res.headersSent || res.destroyed) return;
        ctx.logger.warn('proxy upstream misbehaved', { integration_id: integration.id, request_id: rc.requestId, why });
        if (!req.complete) res.setHeader('Connection', 'close');
        bytesOut = writeError(res, new GatewayError('upstream_error', `integration ${integration.route_prefix} ${why}`), rc.requestId);
      });
    },
    onProxyRes(upstream) {
      proxyRes = upstream;
      upstream.on('data', (chunk: Buffer) => {
        bytesOut += chunk.length;
      });
      upstream.on('error', () => undefined);
      // Reset or cut mid-body: the client must see a broken response, not a short one.
      upstream.once('close', () => {
        if (!upstream.complete) res.destroy();
      });
      const publicPrefix = publicPrefixOf(integration.route_prefix);
      res.writeHead(upstream.statusCode ?? 502, clientResponseHeaders(upstream.headers, { baseUrl: integration.base_url, publicPrefix }));
      upstream.pipe(res);
    },
    onError(err) {
      if (res.headersSent) {
        if (!proxyRes?.complete) res.destroy();
        return;
      }
      const failure = timedOut
        ? new GatewayError('upstream_timeout', `integration ${integration.route_prefix} did not answer in time`)
        : new GatewayError('upstream_error', `integration ${integration.route_prefix} is unreachable`, { cause: err });
      ctx.logger.warn('proxy upstream failed', { integration_id: integration.id, request_id: rc.requestId, code: failure.code, error: err });
      // An upload still arriving is not worth reading just to throw away.
      if (!req.complete) res.setHeader('Connection', 'close');
      bytesOut = writeError(res, failure, rc.requestId);
    },
  });
}
