import type { IncomingMessage } from 'node:http';
import { newId } from '../security.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is sane (SPEC §1), else a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && SANE_REQUEST_ID.test(given)) return given;
  return newId('req');
}

/** The peer's address; proxies in front are not trusted by default. */
export function remoteAddressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header value; undefined for anything else. The one parser. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/**
 * The credential of a request: the bearer token of its `Authorization` header (`''` for a
 * header that is not a bearer one: a refused credential), else `?token=` when `query` is
 * given (upgrades only), else null.
 */
export function bearerTokenOf(req: IncomingMessage, query: URLSearchParams | null): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string') return bearerToken(header) ?? '';
  const fromQuery = query?.get('token');
  return fromQuery === undefined || fromQuery === null ? null : fromQuery;
}

/** Splits `req.url` into the path under `base` and the query, or null when outside `base`. */
export function splitUrl(rawUrl: string | undefined, base: string): { path: string; query: URLSearchParams } | null {
  const url = rawUrl ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  const path = pathname.slice(base.length) || '/';
  return { path, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) };
}
