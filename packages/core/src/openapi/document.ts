import { STATUS_CODES } from 'node:http';
import { CORE_VERSION } from '../defaults.js';
import type { Route, RouteAccess } from '../http/route.js';
import type { UpgradeEndpoint } from '../ws/upgrade.js';
import { components, ERROR_RESPONSES, errorResponseRef } from './components.js';
import { OPERATIONS, UPGRADES, type BodyDoc, type OperationDoc, type QueryDoc, type ResponseDoc, type UpgradeDoc } from './responses.js';

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document (the parts opendray fills in). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: Array<{ url: string; description: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Json>>;
  components: Json;
}

/** The key of a route in the responses map: `"METHOD /template"`. */
export const operationKey = (method: string, template: string): string => `${method.toUpperCase()} ${template}`;

/** A route template as an OpenAPI path: the rest segment `*` becomes the `{path}` parameter. */
export const openApiPath = (template: string): string => template.replace(/\/\*$/, '/{path}');

/**
 * The OpenAPI 3.1 description of `routes` (every REST row) and `upgrades` (the WebSocket
 * endpoints, as `GET` with a `101` response). Security, the required scope (the
 * `x-opendray-scope` extension and the description), path and query parameters, request and
 * response schemas all come from the route table and the central map in `responses.ts`. A
 * route the map does not know is still listed, marked `x-opendray-undocumented` (the test
 * fails on it), so adding a route never breaks a running gateway.
 */
export function buildOpenApiDocument(routes: readonly Route[], upgrades: readonly UpgradeEndpoint[]): OpenApiDocument {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method.toLowerCase()] = restOperation(route, OPERATIONS[operationKey(route.method, route.path)]);
  }
  for (const endpoint of upgrades) {
    const item = (paths[openApiPath(endpoint.path)] ??= {});
    item.get = upgradeOperation(endpoint, UPGRADES[endpoint.path], item.get);
  }
  const tags = new Set<string>();
  for (const item of Object.values(paths)) for (const op of Object.values(item)) for (const t of op.tags as string[]) tags.add(t);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'opendray gateway',
      version: CORE_VERSION,
      description:
        'A gateway for AI coding agents: PTY sessions driven by integrations over HTTP and WebSockets. ' +
        'Response objects may gain fields (wire compatibility); clients must ignore unknown ones.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/api/v1', description: 'This gateway' }],
    security: [{ bearer: [] }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: components(),
  };
}

function restOperation(route: Route, doc: OperationDoc | undefined): Json {
  const bodyMode = route.body ?? (route.method === 'GET' || route.method === 'DELETE' ? 'none' : 'json');
  const op: Json = {
    operationId: doc?.id ?? fallbackId(route.method, route.path),
    summary: route.summary ?? '',
    description: describe(route.access, doc?.description),
    tags: [tagOf(route.path)],
    ...accessFields(route.access, false),
    parameters: [...pathParameters(route.path), ...queryParameters(doc?.query)],
  };
  if (doc?.request) op.requestBody = requestBody(doc.request, doc.requestRequired ?? true);
  if (!doc) {
    op['x-opendray-undocumented'] = true;
    op.responses = { default: { description: 'Not documented yet' } };
    return op;
  }
  const generic: number[] = [];
  if (bodyMode === 'json') generic.push(400, 413, 415);
  if (doc.query) generic.push(400);
  generic.push(...accessErrors(route.access));
  if (/\{|\*$/.test(route.path)) generic.push(404);
  // Successes last: a passthrough `default` (the proxy) replaces the generic error default.
  op.responses = { ...errorResponses(generic, doc.errors), ...successResponses(doc.responses) };
  return op;
}

function upgradeOperation(endpoint: UpgradeEndpoint, doc: UpgradeDoc | undefined, rest: Json | undefined): Json {
  const switching: Json = {
    description: 'Switching Protocols: the WebSocket is open. Refusals are plain HTTP responses with an ErrorBody.',
  };
  const websocket: Json = {
    subprotocols: doc?.subprotocols ?? [],
    ...(doc?.frames.server ? { serverFrames: { $ref: `#/components/schemas/${doc.frames.server}` } } : {}),
    ...(doc?.frames.client ? { clientFrames: { $ref: `#/components/schemas/${doc.frames.client}` } } : {}),
  };
  const errors = errorResponses([400, ...accessErrors(endpoint.access), ...(/\{/.test(endpoint.path) ? [404] : [])], doc?.errors);
  const security = endpoint.access === 'public' ? [] : [{ bearer: [] }, { queryToken: [] }];
  if (rest) {
    // The same path answers plain HTTP too (the proxy): one operation, also upgradable.
    return {
      ...rest,
      description: `${String(rest.description)}\n\nAlso accepts a WebSocket upgrade (101). ${doc?.description ?? endpoint.summary ?? ''}`,
      security,
      parameters: mergeParameters(rest.parameters as Json[], queryParameters(doc?.query)),
      responses: { '101': switching, ...errors, ...(rest.responses as Json) },
      'x-opendray-websocket': websocket,
    };
  }
  return {
    operationId: doc?.id ?? fallbackId('ws', endpoint.path),
    summary: endpoint.summary ?? '',
    description: describe(endpoint.access, doc ? `WebSocket. ${doc.description}` : 'WebSocket.'),
    tags: [doc?.tag ?? tagOf(endpoint.path)],
    ...accessFields(endpoint.access, true),
    parameters: [...pathParameters(endpoint.path), ...queryParameters(doc?.query)],
    responses: { '101': switching, ...errors },
    'x-opendray-websocket': websocket,
    ...(doc ? {} : { 'x-opendray-undocumented': true }),
  };
}

function successResponses(responses: Readonly<Record<number, ResponseDoc>>): Json {
  const out: Json = {};
  for (const [status, doc] of Object.entries(responses)) {
    const { body, description, headers } = typeof doc === 'string' || Array.isArray(doc) ? { body: doc as BodyDoc } : (doc as Exclude<ResponseDoc, BodyDoc>);
    const code = Number(status);
    const response: Json = {
      description: description ?? STATUS_CODES[code] ?? 'Response',
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...Object.fromEntries(Object.entries(headers ?? {}).map(([name, d]) => [name, { description: d, required: true, schema: { type: 'string', pattern: '^\\d+$' } }])),
      },
    };
    const content = contentOf(body);
    if (content) response.content = content;
    out[code === 0 ? 'default' : status] = response;
  }
  return out;
}

function contentOf(body: BodyDoc): Json | null {
  const out: Json = {};
  for (const b of typeof body === 'string' ? [body] : body) {
    if (b === 'empty') continue;
    if (b === 'bytes') out['application/octet-stream'] = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };
    else if (b === 'passthrough') out['*/*'] = {};
    else out['application/json'] = { schema: { $ref: `#/components/schemas/${b}` } };
  }
  return Object.keys(out).length ? out : null;
}

function errorResponses(generic: readonly number[], specific: Readonly<Record<number, string>> = {}): Json {
  const out: Json = {};
  for (const status of [...new Set([...generic, ...Object.keys(specific).map(Number)])].sort((a, b) => a - b)) {
    const description = specific[status];
    out[String(status)] = { $ref: errorResponseRef(status), ...(description ? { description } : {}) };
  }
  out.default = { $ref: errorResponseRef('default') };
  return out;
}

function requestBody(request: string, required: boolean): Json {
  if (request === 'bytes') return { required: false, content: { '*/*': {} } };
  return { required, content: { 'application/json': { schema: { $ref: `#/components/schemas/${request}` } } } };
}

function accessErrors(access: RouteAccess): number[] {
  if (access === 'public') return [];
  return access === 'authenticated' ? [401, 429] : [401, 403, 429];
}

function accessFields(access: RouteAccess, websocket: boolean): Json {
  const scope = typeof access === 'string' ? access : { anyOf: [...access.anyOf] };
  const security = access === 'public' ? [] : websocket ? [{ bearer: [] }, { queryToken: [] }] : [{ bearer: [] }];
  return { security, 'x-opendray-scope': scope };
}

function describe(access: RouteAccess, more: string | undefined): string {
  const who =
    access === 'public'
      ? 'Public: no credential.'
      : access === 'authenticated'
        ? 'Any valid credential (admin or integration key).'
        : access === 'admin'
          ? 'Admin only.'
          : typeof access === 'string'
            ? `Requires scope \`${access}\` (admins bypass).`
            : `Requires one of the scopes ${access.anyOf.map((s) => `\`${s}\``).join(', ')} (admins bypass).`;
  return more ? `${who}\n\n${more}` : who;
}

function pathParameters(template: string): Json[] {
  const params: Json[] = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (template.endsWith('/*')) {
    params.push({ name: 'path', in: 'path', required: true, description: 'The rest of the path; may contain "/"', schema: { type: 'string' } });
  }
  return params;
}

function queryParameters(query: Readonly<Record<string, QueryDoc>> | undefined): Json[] {
  return Object.entries(query ?? {}).map(([name, q]) => ({ name, in: 'query', required: q.required ?? false, description: q.description, schema: q.schema }));
}

function mergeParameters(a: readonly Json[], b: readonly Json[]): Json[] {
  const key = (p: Json): string => `${String(p.in)}:${String(p.name)}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((p) => !seen.has(key(p)))];
}

const TAGS: Readonly<Record<string, string>> = { health: 'meta', 'openapi.json': 'meta' };

function tagOf(template: string): string {
  const first = template.split('/')[1] ?? '';
  return TAGS[first] ?? first;
}

function fallbackId(method: string, template: string): string {
  const words = template.split('/').filter(Boolean).map((s) => s.replace(/[^A-Za-z0-9]/g, ''));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}
