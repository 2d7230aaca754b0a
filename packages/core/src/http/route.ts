import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope, Static, TSchema } from '@opendray/sdk/wire';
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

/**
 * What a route reads from the request body before its handler runs:
 * - a schema: JSON, validated (415/413/400 `invalid_json`, then 400 `validation_failed`);
 * - `'none'`: nothing is read (the body, if any, is ignored);
 * - a {@link StreamBody}: the handler reads the raw request itself (proxy, signed webhooks);
 *   its `schema`, when given, documents what the handler accepts.
 */
export type BodySpec<B extends TSchema = TSchema> = B | 'none' | StreamBody;

/** The handler reads the body itself; `schema` documents it (and may be checked by the handler). */
export interface StreamBody {
  readonly stream: true;
  readonly schema?: TSchema;
}
export const streamBody = (schema?: TSchema): StreamBody => ({ stream: true, ...(schema ? { schema } : {}) });

/**
 * One success (or non-error) answer: its body schema (`T.Null()` for no body; see
 * `openapi/media.ts` for bytes and passthrough bodies), or several when a query parameter
 * chooses the representation, with what it means and its headers.
 */
export type ResponseSpec =
  | TSchema
  | { schema: TSchema | readonly TSchema[]; description?: string; headers?: Readonly<Record<string, string>> };

/** Everything a handler gets about one request, typed by the row's schemas. */
export interface RequestContext<P = Readonly<Record<string, string>>, Q = unknown, B = unknown> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** null only on `'public'` routes. */
  readonly principal: Principal | null;
  /** Path parameters, validated against `params`. */
  readonly params: P;
  /** The query as an object, validated against `query` (integers coerced); unknown parameters are kept as strings. */
  readonly query: Q;
  /** The raw query string parameters. */
  readonly searchParams: URLSearchParams;
  /** The parsed JSON body, validated against `body`; undefined for `'none'` and stream bodies. */
  readonly body: B;
  readonly remoteAddr: string;
  readonly route: Route;
}

/** A handler's answer. `handled` means it wrote the response itself (streams, proxy). */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'bytes'; status: number; body: Buffer | string; headers?: Record<string, string> }
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  | { kind: 'handled' };

type StaticOr<S, Fallback> = S extends TSchema ? Static<S> : Fallback;

/**
 * One row of the route table: the single declaration of an endpoint (fastify's route
 * `schema`). Its schemas validate the request before the handler runs (compiled once, at
 * `createGateway`), type the handler's `params`/`query`/`body`, and are the OpenAPI
 * document's parameters, request body and responses.
 */
export interface RouteDef<P extends TSchema | undefined = TSchema | undefined, Q extends TSchema | undefined = TSchema | undefined, B extends TSchema = TSchema> {
  method: HttpMethod;
  /** Template under `/api/v1`, e.g. `/sessions/{id}/input`; a last segment `*` matches the rest. */
  path: string;
  access: RouteAccess;
  /** Stable OpenAPI operationId, also the SDK method's name where one exists. */
  operationId: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** More than the summary: behaviour a client must know. */
  description?: string;
  /** Required when the path has `{parameters}`: one string property per parameter. */
  params?: P;
  /** Query parameters; unknown ones are ignored. */
  query?: Q;
  /** Required on POST, PUT and PATCH rows; absent on GET and DELETE rows means `'none'`. */
  body?: BodySpec<B>;
  /** Every success status with its body. */
  response: Readonly<Record<number, ResponseSpec>>;
  /** Errors this route answers beyond those its access, params and body imply, with when. */
  errors?: Readonly<Record<number, string>>;
  /** Only this route may tell a tenant "not yours" as 404; the pipeline does not need to know. */
  handler(ctx: RequestContext<StaticOr<P, Readonly<Record<string, string>>>, StaticOr<Q, Record<string, never>>, Static<B>>): Promise<Reply> | Reply;
}

/** A row as the table holds it (its handler's types erased). */
export type Route = RouteDef<TSchema | undefined, TSchema | undefined, TSchema>;

/**
 * Declares a route; the generics carry the schemas' static types into the handler.
 *
 * @example
 * defineRoute({
 *   method: 'POST', path: '/sessions/{id}/resize', access: 'session:input', operationId: 'resize',
 *   summary: 'Resize the terminal', params: IdParams, body: ResizeRequest, response: { 204: T.Null() },
 *   handler: ({ params, body }) => { manager.resize(params.id, body.cols, body.rows); return noContent(); },
 * });
 */
export function defineRoute<P extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined, B extends TSchema = TSchema>(
  def: RouteDef<P, Q, B>,
): Route {
  return def as unknown as Route;
}

/** Whether a body spec reads the raw stream. */
export const isStreamBody = (body: BodySpec | undefined): body is StreamBody => typeof body === 'object' && body !== null && 'stream' in body && body.stream === true;

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
