import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../auth/authenticate.js';
import { principalHasScope } from '../auth/scopes.js';
import type { Principal } from '../auth/principal.js';
import { GatewayError, forbidden, missingScope, notFound, toGatewayError, unauthorized } from '../errors.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './body.js';
import { queryObject } from '../validation/query.js';
import { compileRoute, PARAMS, QUERY, type RouteValidators } from './route-schemas.js';
import { bearerTokenOf, remoteAddressOf, requestIdOf, splitUrl } from './request-meta.js';
import { writeError, writeReply } from './respond.js';
import type { RequestContext, Route, RouteAccess } from './route.js';
import type { Router } from './router.js';

/** What every finished request reports to `onResponse` hooks (the call log is one). */
export interface ResponseInfo {
  requestId: string;
  method: string;
  /** The route template, e.g. `/sessions/{id}/input`; the raw path when no route matched. */
  route: string;
  /** The path without its query string (a `?token=` is never recorded). */
  path: string;
  /** The route's path parameters (e.g. `{id}`), empty when no route matched. */
  params: Readonly<Record<string, string>>;
  status: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  principal: Principal | null;
  /** True when the request carried a credential that was refused. */
  rejectedCredential: boolean;
  remoteAddr: string;
  startedAt: number;
}

/** Embedder hooks, one array per phase of the fixed pipeline. */
export interface PipelineHooks {
  onRequest?: Array<(req: IncomingMessage) => void>;
  preHandler?: Array<(ctx: RequestContext) => void | Promise<void>>;
  onResponse?: Array<(info: ResponseInfo) => void>;
  onError?: Array<(err: GatewayError, req: IncomingMessage) => void>;
}

export interface PipelineDeps {
  basePath: string;
  router: Router<Route>;
  authenticator: Authenticator;
  bodyLimitBytes: number;
  hooks: Required<PipelineHooks>;
  logger: Logger;
  now: () => number;
}

/**
 * The request pipeline (fixed order): request id → match (404/405) → authenticate →
 * access → body → handler. One catch renders every error; `onResponse` always runs.
 */
export function createPipeline(deps: PipelineDeps) {
  // Every row's schemas compile now: a bad one fails createGateway, naming the route.
  const validators = new Map<Route, RouteValidators>(deps.router.routes.map((r) => [r, compileRoute(r)]));
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = deps.now();
    const requestId = requestIdOf(req);
    res.setHeader('X-Request-Id', requestId);
    const remoteAddr = remoteAddressOf(req);
    let principal: Principal | null = null;
    let rejectedCredential = false;
    let route: Route | null = null;
    let params: Readonly<Record<string, string>> = {};
    let bytesOut = 0;
    const split = splitUrl(req.url, deps.basePath);
    try {
      for (const hook of deps.hooks.onRequest) hook(req);
      if (!split) throw notFound('route');
      const lookup = deps.router.lookup(req.method ?? 'GET', split.path);
      if (!lookup) throw notFound('route');
      if ('allowed' in lookup) {
        throw new GatewayError('method_not_allowed', `method ${req.method} not allowed`, {
          headers: { Allow: lookup.allowed.join(', ') },
        });
      }
      route = lookup.found.route;
      params = lookup.found.params;
      if (route.access !== 'public') {
        const token = bearerTokenOf(req, null);
        try {
          principal = await deps.authenticator.authenticate(token, remoteAddr);
        } catch (err) {
          rejectedCredential = token !== null && token !== '';
          throw err;
        }
        checkAccess(route.access, principal);
      }
      const v = validators.get(route)!;
      const checkedParams = v.params ? v.params.check(lookup.found.params, PARAMS) : lookup.found.params;
      const query = v.query ? v.query.check(queryObject(route.query!, split.query), QUERY) : {};
      const body = v.readsJson ? v.body!.check(await readJsonBody(req, deps.bodyLimitBytes)) : undefined;
      const ctx: RequestContext = {
        req,
        res,
        requestId,
        principal,
        params: checkedParams as Record<string, string>,
        query,
        searchParams: split.query,
        body,
        remoteAddr,
        route,
      };
      for (const hook of deps.hooks.preHandler) await hook(ctx);
      const reply = await route.handler(ctx);
      bytesOut = writeReply(res, reply, req.method === 'HEAD');
    } catch (thrown) {
      const err = toGatewayError(thrown);
      if (err.status >= 500 && err.code === 'internal_error') {
        deps.logger.error('request failed', { requestId, route: route?.path, error: err.cause ?? err });
      }
      for (const hook of deps.hooks.onError) hook(err, req);
      bytesOut = writeError(res, err, requestId);
    } finally {
      const info: ResponseInfo = {
        requestId,
        method: req.method ?? 'GET',
        route: route?.path ?? split?.path ?? '',
        path: split?.path ?? '',
        params,
        status: res.statusCode,
        durationMs: deps.now() - startedAt,
        bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
        bytesOut,
        principal,
        rejectedCredential,
        remoteAddr,
        startedAt,
      };
      // A streaming handler finishes later; report when the response does.
      if (res.writableFinished || res.destroyed) report(deps, info);
      else res.once('close', () => report(deps, { ...info, status: res.statusCode, durationMs: deps.now() - startedAt }));
    }
  };
}

function report(deps: PipelineDeps, info: ResponseInfo): void {
  for (const hook of deps.hooks.onResponse) {
    try {
      hook(info);
    } catch (err) {
      deps.logger.warn('onResponse hook failed', { error: err });
    }
  }
}

/** Throws unless `principal` satisfies `access` (admins satisfy every scope). */
export function checkAccess(access: RouteAccess, principal: Principal | null): asserts principal is Principal {
  if (access === 'public') return;
  if (!principal) throw unauthorized();
  if (access === 'authenticated' || principal.kind === 'admin') return;
  if (access === 'admin') throw forbidden('admin only');
  const anyOf = typeof access === 'string' ? [access] : access.anyOf;
  if (!anyOf.some((scope) => principalHasScope(principal, scope))) throw missingScope(anyOf.join(' or '));
}
