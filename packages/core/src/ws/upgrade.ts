import type { IncomingMessage } from 'node:http';
import type { TSchema } from '@opendray/sdk/wire';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { Authenticator } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { notFound, toGatewayError, unauthorized, type GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { bearerTokenOf, remoteAddressOf, requestIdOf, splitUrl } from '../http/request-meta.js';
import { Router } from '../http/router.js';
import type { RouteAccess } from '../http/route.js';
import { checkAccess } from '../http/pipeline.js';
import type { ConnectionRegistry } from './connections.js';

/** Everything an endpoint gets about an upgrade request that passed authentication. */
export interface UpgradeContext {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  principal: Principal;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  requestId: string;
  remoteAddr: string;
}

/**
 * How a WebSocket endpoint is documented (OpenAPI has no WebSocket object: a `GET` with a
 * `101`; the AsyncAPI document describes its frames in full).
 */
export interface UpgradeDoc {
  operationId: string;
  description: string;
  /** Query parameters (an object schema). */
  query?: TSchema;
  /** Refusals beyond those its access implies, with when. */
  errors?: Readonly<Record<number, string>>;
  subprotocols?: readonly string[];
  /** The JSON text frames each side sends (a union: one AsyncAPI message per member). */
  frames: { server?: TSchema; client?: TSchema };
  /** What binary frames carry, each way, when the endpoint uses them. */
  binary?: { server?: string; client?: string };
  /** @default the first segment of the path */
  tag?: string;
}

/** A WebSocket endpoint. `handle` may throw a GatewayError to refuse with a plain HTTP status. */
export interface UpgradeEndpoint {
  path: string;
  access: RouteAccess;
  summary?: string;
  /** How OpenAPI and AsyncAPI describe it; an endpoint without one is listed as undocumented. */
  doc?: UpgradeDoc;
  handle(ctx: UpgradeContext): Promise<void> | void;
}

export interface UpgradeDeps {
  basePath: string;
  authenticator: Authenticator;
  logger: Logger;
  /** Redeems `?ticket=` (single use, docs/console.md); without it tickets are refused. */
  tickets?: { redeem(ticket: string): Promise<Principal | null> };
  /** Rejected credentials go to the call log like HTTP ones. */
  onRejected?: (info: { requestId: string; route: string; path: string; remoteAddr: string; status: number }) => void;
  /** Caps the sockets per credential (429 before the upgrade) and tracks them for revocation. */
  connections?: ConnectionRegistry;
  /** The client's address (trusted proxies applied). @default the socket's peer address */
  clientAddress?: (req: IncomingMessage) => string;
}

/**
 * Routes `upgrade` events by path, authenticates (a single-use `?ticket=`, else the bearer
 * header or `?token=`, upgrades only) and checks access before any WebSocket exists. Refusals are plain HTTP responses
 * with the JSON error body, so a client sees 401/403/404 rather than a dropped socket.
 */
export function createUpgradeDispatcher(endpoints: readonly UpgradeEndpoint[], deps: UpgradeDeps) {
  const router = new Router(
    endpoints.map((e) => ({ method: 'GET' as const, path: e.path, access: e.access })),
  );
  const byPath = new Map(endpoints.map((e) => [e.path, e]));

  const redeem = async (ticket: string): Promise<Principal> => (await deps.tickets?.redeem(ticket)) ?? throwUnauthorized();

  return async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const requestId = requestIdOf(req);
    const remoteAddr = (deps.clientAddress ?? remoteAddressOf)(req);
    socket.on('error', () => socket.destroy());
    const split = splitUrl(req.url, deps.basePath);
    let path = split?.path ?? '';
    let who: { kind: string; id: string } | undefined;
    try {
      const lookup = split ? router.lookup('GET', split.path) : null;
      if (!lookup || !('found' in lookup)) throw notFound('route');
      const endpoint = byPath.get(lookup.found.route.path)!;
      path = endpoint.path;
      const ticket = split!.query.get('ticket');
      const token = ticket ?? bearerTokenOf(req, split!.query);
      let principal: Principal;
      try {
        principal = ticket !== null ? await redeem(ticket) : await deps.authenticator.authenticate(token, remoteAddr);
      } catch (err) {
        if (token) deps.onRejected?.({ requestId, route: path, path: (req.url ?? '').split('?')[0]!, remoteAddr, status: toGatewayError(err).status });
        throw err;
      }
      checkAccess(endpoint.access, principal);
      who = { kind: principal.kind, id: principal.id };
      // One slot of the credential's socket cap, held while the endpoint upgrades (SPEC §2.2).
      const release = deps.connections?.reserve(principal);
      try {
        await endpoint.handle({ req, socket, head, principal, params: lookup.found.params, query: split!.query, requestId, remoteAddr });
      } finally {
        release?.();
      }
      deps.logger.info('websocket opened', { request_id: requestId, route: path, remote_addr: remoteAddr, principal: who });
    } catch (thrown) {
      const err = toGatewayError(thrown);
      const fields = { request_id: requestId, route: path, status: err.status, remote_addr: remoteAddr, ...(who ? { principal: who } : {}) };
      if (err.code === 'internal_error') deps.logger.error('upgrade failed', { ...fields, error: err.cause ?? err });
      else if (err.status === 401 || err.status === 429) deps.logger.warn('websocket refused', fields);
      else deps.logger.info('websocket refused', fields);
      refuse(socket, err, requestId);
    }
  };
}

function throwUnauthorized(): never {
  throw unauthorized();
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuse(socket: Duplex, err: GatewayError, requestId: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: err.message, code: err.code, request_id: requestId });
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    Connection: 'close',
    ...err.headers,
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`);
  // end() only half-closes: a peer that never closes its side must not keep the socket.
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

/** How long a refused socket may linger after its answer before it is destroyed. */
export const REFUSAL_LINGER_MS = 1_000;
