import type { Duplex } from 'node:stream';
import type { Capability, GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { PrefixParams } from '../http/params.js';
import { defineRoute, handled, streamBody, type HttpMethod, type RequestContext, type Route } from '../http/route.js';
import { Passthrough } from '../openapi/media.js';
import { PROXY_ERRORS, proxyWsDoc } from '../ws/endpoint-docs.js';
import type { IntegrationRecord } from '../stores/types.js';
import type { UpgradeContext, UpgradeEndpoint } from '../ws/upgrade.js';
import { recordOutbound } from './calls.js';
import { createProxyEngine } from './engine.js';
import { forwardHttp } from './forward-http.js';
import { forwardWs } from './forward-ws.js';
import { assertAvailable, proxiedIntegration, upstreamTarget, type UpstreamTarget } from './target.js';

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const PATHS = [['/proxy/{prefix}', ''], ['/proxy/{prefix}/*', 'Path']] as const;

/**
 * The reverse proxy to integrations (SPEC §8): `ANY /proxy/{prefix}` and
 * `/proxy/{prefix}/*`, admin only, bodies streamed, WebSocket upgrades spliced.
 * See `docs/proxy.md` for the decisions and `docs/signature.md` for `X-OpenDray-Signature`.
 */
export function createProxyCapability(ctx: GatewayContext): Capability {
  const engine = createProxyEngine();
  const liveSockets = new Set<Duplex>();

  /** Resolves the target, or throws the refusal after logging it against the integration. */
  const prepare = async (
    prefix: string,
    rest: string | undefined,
    rawQuery: string,
    call: { method: string; requestId: string; remoteAddr: string },
  ): Promise<{ integration: IntegrationRecord; target: UpstreamTarget; logPath: string }> => {
    const integration = await proxiedIntegration(ctx.stores.integrations, prefix);
    const logPath = `/proxy/${integration.route_prefix}${rest === undefined ? '' : `/${rest}`}`;
    try {
      assertAvailable(integration);
      return { integration, target: upstreamTarget(integration.base_url, rest, rawQuery), logPath };
    } catch (err) {
      const status = err instanceof GatewayError ? err.status : 500;
      recordOutbound(ctx, { integrationId: integration.id, ...call, path: logPath, status, startedAt: ctx.clock.now(), bytesIn: 0, bytesOut: 0 });
      throw err;
    }
  };

  const handleHttp = async (rc: RequestContext) => {
    const call = { method: rc.req.method ?? 'GET', requestId: rc.requestId, remoteAddr: rc.remoteAddr };
    const { integration, target, logPath } = await prepare(rc.params.prefix!, rc.params['*'], rawQueryOf(rc.req.url), call);
    forwardHttp(ctx, engine, rc, integration, target, logPath);
    return handled();
  };

  const handleUpgrade = async (uctx: UpgradeContext): Promise<void> => {
    const call = { method: 'GET', requestId: uctx.requestId, remoteAddr: uctx.remoteAddr };
    const { integration, target, logPath } = await prepare(uctx.params.prefix!, uctx.params['*'], rawQueryOf(uctx.req.url), call);
    forwardWs(ctx, engine, uctx, integration, target, logPath, liveSockets);
  };

  const routes: Route[] = METHODS.flatMap((method) =>
    PATHS.map(([path, suffix]) =>
      defineRoute({
        method,
        path,
        access: 'admin',
        operationId: `proxy${method[0]}${method.slice(1).toLowerCase()}${suffix}`,
        summary: 'Reverse proxy to the integration registered under this prefix',
        description:
          'Forwarded to base_url + the rest of the path + the query (minus token), signed with X-OpenDray-Signature; ' +
          'Authorization and gateway cookies are stripped.',
        params: PrefixParams,
        body: streamBody(),
        // Status 0: the OpenAPI `default`, whatever the upstream answered.
        response: { 0: { schema: Passthrough, description: "The upstream's response, streamed" } },
        errors: PROXY_ERRORS,
        handler: (rc) => handleHttp(rc as RequestContext),
      }),
    ),
  );
  const upgrades: UpgradeEndpoint[] = PATHS.map(([path, suffix]) => ({
    path,
    access: 'admin',
    summary: 'WebSocket upgrade proxied to the integration',
    doc: proxyWsDoc(`proxyWebSocket${suffix}`),
    handle: handleUpgrade,
  }));

  return {
    routes,
    upgrades,
    async stop() {
      for (const socket of liveSockets) socket.destroy();
      liveSockets.clear();
      engine.close();
    },
  };
}

function rawQueryOf(url: string | undefined): string {
  const at = (url ?? '').indexOf('?');
  return at === -1 ? '' : url!.slice(at + 1);
}
