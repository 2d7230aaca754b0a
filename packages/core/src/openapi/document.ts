import { STATUS_CODES } from 'node:http';
import * as wire from '@opendray/sdk/wire';
import { schemaName, TOPIC_SCHEMAS, type TSchema } from '@opendray/sdk/wire';
import { CORE_VERSION } from '../defaults.js';
import { isStreamBody, type ResponseSpec, type Route, type RouteAccess } from '../http/route.js';
import type { UpgradeDoc, UpgradeEndpoint } from '../ws/upgrade.js';
import { components, errorResponseRef } from './components.js';
import { SchemaRegistry } from './json-schema.js';
import { mediaTypeOf } from './media.js';

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

/** A route template as an OpenAPI path: the rest segment `*` becomes the `{path}` parameter. */
export const openApiPath = (template: string): string => template.replace(/\/\*$/, '/{path}');

/**
 * The OpenAPI 3.1 description of `routes` (every REST row) and `upgrades` (the WebSocket
 * endpoints, as `GET` with a `101` response), derived from the rows themselves: security and
 * the required scope (`x-opendray-scope`) from `access`, parameters from `params` and `query`,
 * the request body from `body`, responses from `response` and `errors`. Every shape of
 * `@opendray/sdk/wire` is a component, referred to by name.
 */
export function buildOpenApiDocument(routes: readonly Route[], upgrades: readonly UpgradeEndpoint[]): OpenApiDocument {
  const schemas = new SchemaRegistry();
  for (const schema of wireComponents()) schemas.add(schema);
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method.toLowerCase()] = restOperation(route, schemas);
  }
  for (const endpoint of upgrades) {
    const item = (paths[openApiPath(endpoint.path)] ??= {});
    item.get = upgradeOperation(endpoint, item.get, schemas);
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
        'Response objects may gain fields (wire compatibility); clients must ignore unknown ones. ' +
        'Event payloads and WebSocket frames are described in full by /api/v1/asyncapi.json.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/api/v1', description: 'This gateway' }],
    security: [{ bearer: [] }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: { ...components(), schemas: schemas.components },
  };
}

function restOperation(route: Route, schemas: SchemaRegistry): Json {
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    description: describe(route.access, route.description),
    tags: [tagOf(route.path)],
    ...accessFields(route.access, false),
    parameters: [...pathParameters(route, schemas), ...queryParameters(route.query, schemas)],
  };
  const body = route.body;
  const readsJson = body !== undefined && body !== 'none' && !isStreamBody(body);
  if (readsJson) op.requestBody = jsonRequestBody(body as TSchema, schemas);
  else if (isStreamBody(body)) {
    op.requestBody = body.schema ? jsonRequestBody(body.schema, schemas) : { required: false, content: { '*/*': {} } };
  }
  const generic: number[] = [];
  if (readsJson) generic.push(400, 413, 415);
  if (route.query) generic.push(400);
  generic.push(...accessErrors(route.access));
  if (/\{|\*$/.test(route.path)) generic.push(404);
  // Successes last: a passthrough `default` (the proxy) replaces the generic error default.
  op.responses = { ...errorResponses(generic, route.errors), ...successResponses(route.response, schemas) };
  return op;
}

function upgradeOperation(endpoint: UpgradeEndpoint, rest: Json | undefined, schemas: SchemaRegistry): Json {
  const doc: UpgradeDoc = endpoint.doc ?? { operationId: `ws${endpoint.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`, description: '', frames: {} };
  const switching: Json = {
    description: 'Switching Protocols: the WebSocket is open. Refusals are plain HTTP responses with an ErrorBody.',
  };
  const websocket: Json = {
    subprotocols: [...(doc.subprotocols ?? [])],
    ...(doc.frames.server ? { serverFrames: schemas.ref(doc.frames.server) } : {}),
    ...(doc.frames.client ? { clientFrames: schemas.ref(doc.frames.client) } : {}),
    asyncapi: '/api/v1/asyncapi.json',
  };
  const errors = errorResponses([400, ...accessErrors(endpoint.access), ...(/\{/.test(endpoint.path) ? [404] : [])], doc.errors);
  const security = endpoint.access === 'public' ? [] : [{ bearer: [] }, { queryToken: [] }];
  const query = queryParameters(doc.query, schemas);
  if (rest) {
    // The same path answers plain HTTP too (the proxy): one operation, also upgradable.
    return {
      ...rest,
      description: `${String(rest.description)}\n\nAlso accepts a WebSocket upgrade (101). ${doc.description}`,
      security,
      parameters: mergeParameters(rest.parameters as Json[], query),
      responses: { '101': switching, ...errors, ...(rest.responses as Json) },
      'x-opendray-websocket': websocket,
    };
  }
  return {
    operationId: doc.operationId,
    summary: endpoint.summary ?? '',
    description: describe(endpoint.access, `WebSocket. ${doc.description}`),
    tags: [doc.tag ?? tagOf(endpoint.path)],
    ...accessFields(endpoint.access, true),
    parameters: [...templateParameters(endpoint.path), ...query],
    responses: { '101': switching, ...errors },
    'x-opendray-websocket': websocket,
    ...(endpoint.doc ? {} : { 'x-opendray-undocumented': true }),
  };
}

function successResponses(responses: Readonly<Record<number, ResponseSpec>>, schemas: SchemaRegistry): Json {
  const out: Json = {};
  for (const [status, spec] of Object.entries(responses)) {
    const { schema, description, headers } = 'schema' in spec ? spec : { schema: spec as TSchema };
    const code = Number(status);
    const response: Json = {
      description: (description as string | undefined) ?? STATUS_CODES[code] ?? 'Response',
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...Object.fromEntries(
          Object.entries((headers ?? {}) as Record<string, string>).map(([name, d]) => [name, { description: d, required: true, schema: { type: 'string', pattern: '^\\d+$' } }]),
        ),
      },
    };
    const content: Json = {};
    for (const s of Array.isArray(schema) ? (schema as TSchema[]) : [schema as TSchema]) {
      const media = mediaTypeOf(s);
      if (media === null) continue;
      content[media] = media === '*/*' ? {} : { schema: schemas.ref(s) };
    }
    if (Object.keys(content).length) response.content = content;
    out[code === 0 ? 'default' : status] = response;
  }
  return out;
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

/** A JSON request body; required unless every field is optional (an empty body reads as `{}`). */
function jsonRequestBody(schema: TSchema, schemas: SchemaRegistry): Json {
  const required = Array.isArray(schema.required) ? schema.required.length > 0 : Boolean(schema.oneOf ?? schema.anyOf);
  return { required, content: { 'application/json': { schema: schemas.ref(schema) } } };
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

/** Path parameters from the row's `params` schema; the rest segment `*` is `{path}`. */
function pathParameters(route: Route, schemas: SchemaRegistry): Json[] {
  const props = (route.params?.properties ?? {}) as Record<string, TSchema>;
  const params: Json[] = Object.entries(props).map(([name, s]) => ({ name, in: 'path', required: true, schema: schemas.ref(s) }));
  if (route.path.endsWith('/*')) params.push(restParameter);
  return params;
}

/** Path parameters of a template (upgrade endpoints declare no params schema). */
function templateParameters(template: string): Json[] {
  const params: Json[] = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (template.endsWith('/*')) params.push(restParameter);
  return params;
}

const restParameter: Json = { name: 'path', in: 'path', required: true, description: 'The rest of the path; may contain "/"', schema: { type: 'string' } };

function queryParameters(query: TSchema | undefined, schemas: SchemaRegistry): Json[] {
  const props = (query?.properties ?? {}) as Record<string, TSchema>;
  const required = new Set<string>((query?.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...schema } = schemas.ref(s);
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema };
  });
}

function mergeParameters(a: readonly Json[], b: readonly Json[]): Json[] {
  const key = (p: Json): string => `${String(p.in)}:${String(p.name)}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((p) => !seen.has(key(p)))];
}

const TAGS: Readonly<Record<string, string>> = { health: 'meta', 'openapi.json': 'meta', 'asyncapi.json': 'meta' };

function tagOf(template: string): string {
  const first = template.split('/')[1] ?? '';
  return TAGS[first] ?? first;
}

/** Every named schema `@opendray/sdk/wire` exports, and every topic's: the document's components. */
export function wireComponents(): TSchema[] {
  const exported = (Object.values(wire) as unknown[]).filter((v) => schemaName(v) !== undefined) as TSchema[];
  return [...exported, ...Object.values(TOPIC_SCHEMAS)];
}
