import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '@opendray/sdk/wire';
import type { Principal } from '../auth/principal.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/**
 * Who may call a route. Required on every row: a route without one does not build.
 * - `'public'`: anyone, no credentials read.
 * - `'authenticated'`: any valid principal.
 * - `'admin'`: the operator only.
 * - a `Scope`: admins, or integrations granted it.
 * - `{ anyOf }`: admins, or integrations granted at least one of them.
 */
export type RouteAccess = 'public' | 'authenticated' | 'admin' | Scope | { anyOf: readonly Scope[] };

/** What a route reads from the request body before its handler runs. */
export type BodyMode = 'none' | 'json' | 'stream';

/** Everything a handler gets about one request. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** null only on `'public'` routes. */
  readonly principal: Principal | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body (`body: 'json'` routes), else undefined. */
  readonly body: unknown;
  readonly remoteAddr: string;
  readonly route: Route;
}

/** A handler's answer. `handled` means it wrote the response itself (streams, proxy). */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'bytes'; status: number; body: Buffer | string; headers?: Record<string, string> }
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  | { kind: 'handled' };

/** One row of the route table. */
export interface Route {
  method: HttpMethod;
  /** Template under `/api/v1`, e.g. `/sessions/{id}/input`; a last segment `*` matches the rest. */
  path: string;
  access: RouteAccess;
  /** @default 'none' for GET/DELETE, 'json' otherwise */
  body?: BodyMode;
  /** One line for the OpenAPI document. */
  summary?: string;
  /** Only this route may tell a tenant "not yours" as 404; the pipeline does not need to know. */
  handler(ctx: RequestContext): Promise<Reply> | Reply;
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({
  kind: 'json',
  status,
  body,
  ...(headers ? { headers } : {}),
});
export const noContent = (): Reply => ({ kind: 'empty', status: 204 });
export const bytes = (body: Buffer | string, headers: Record<string, string>, status = 200): Reply => ({
  kind: 'bytes',
  status,
  body,
  headers,
});
export const handled = (): Reply => ({ kind: 'handled' });
