import type { Duplex } from 'node:stream';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import type { IntegrationRecord } from '../stores/types.js';
import { refuse, type UpgradeContext } from '../ws/upgrade.js';
import { recordOutbound } from './calls.js';
import type { ProxyEngine } from './engine.js';
import { headersFor } from './headers.js';
import type { UpstreamTarget } from './target.js';

/**
 * Forwards a WebSocket upgrade and then splices the two sockets (SPEC §8). Until the
 * upstream answers the handshake, `proxyTimeoutMs` applies (504); a refused connection is
 * a 502; an upstream that declines the upgrade has its answer passed through. Once
 * spliced, either side closing closes the other. `live` tracks the client sockets so a
 * gateway shutdown can end them.
 */
export function forwardWs(
  ctx: GatewayContext,
  engine: ProxyEngine,
  uctx: UpgradeContext,
  integration: IntegrationRecord,
  target: UpstreamTarget,
  logPath: string,
  live: Set<Duplex>,
): void {
  const { req, socket, head } = uctx;
  const startedAt = ctx.clock.now();
  let status = 0;
  let timedOut = false;
  let upstreamSocket: Duplex | undefined;
  let destroyUpstream: (() => void) | undefined;

  live.add(socket);
  socket.once('close', () => {
    live.delete(socket);
    upstreamSocket?.destroy();
    destroyUpstream?.();
    const readBytes = 'bytesRead' in socket ? Number(socket.bytesRead) : 0;
    const writtenBytes = 'bytesWritten' in socket ? Number(socket.bytesWritten) : 0;
    recordOutbound(ctx, {
      integrationId: integration.id,
      method: 'GET',
      path: logPath,
      status: status || 499,
      startedAt,
      bytesIn: readBytes,
      bytesOut: writtenBytes,
      requestId: uctx.requestId,
      remoteAddr: uctx.remoteAddr,
    });
  });

  const headers = headersFor(req, integration, target, { requestId: uctx.requestId, remoteAddr: uctx.remoteAddr, nowMs: ctx.clock.now(), websocket: true });

  engine.ws(req, socket, head, headers, target, {
    onProxyReq(pr) {
      destroyUpstream = () => {
        if (status !== 101) pr.destroy();
      };
      pr.setTimeout(ctx.options.proxyTimeoutMs, () => {
        if (status) return;
        timedOut = true;
        pr.destroy();
      });
      pr.once('response', (res) => {
        status = res.statusCode ?? 502;
      });
      pr.once('upgrade', (_res, upstream) => {
        status = 101;
        upstreamSocket = upstream;
        if (socket.destroyed) upstream.destroy();
      });
    },
    onError(err) {
      if (status) {
        socket.destroy();
        return;
      }
      const failure = timedOut
        ? new GatewayError('upstream_timeout', `integration ${integration.route_prefix} did not answer in time`)
        : new GatewayError('upstream_error', `integration ${integration.route_prefix} is unreachable`);
      status = failure.status;
      ctx.logger.warn('proxy upgrade failed', { integration_id: integration.id, request_id: uctx.requestId, code: failure.code, error: err });
      refuse(socket, failure, uctx.requestId);
    },
  });
}
