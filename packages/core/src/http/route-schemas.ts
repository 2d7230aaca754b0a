import type { TSchema } from '@opendray/sdk/wire';
import { compile, type Validator } from '../validation/ajv.js';
import type { MessagePath } from '../validation/messages.js';
import { isStreamBody, type Route } from './route.js';

/** A route's request validators, compiled once when the table is built. */
export interface RouteValidators {
  params?: Validator;
  query?: Validator;
  body?: Validator;
  /** Whether a JSON body is read at all. */
  readsJson: boolean;
}

const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH']);
export const QUERY: MessagePath = { root: 'query', prefix: '' };
export const PARAMS: MessagePath = { root: 'path', prefix: '' };

/**
 * Checks a row and compiles its schemas (fastify's route schema, compiled at boot). Throws
 * a TypeError naming the route for a row that cannot be served as declared: a templated
 * path without matching `params`, a body-taking method without a body declaration, a
 * missing response, or a schema that does not compile.
 */
export function compileRoute(route: Route): RouteValidators {
  const where = `route ${route.method} ${route.path}`;
  const templated = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const declared = route.params ? Object.keys(objectProperties(route.params, `${where} params`)) : [];
  if (templated.sort().join() !== [...declared].sort().join()) {
    throw new TypeError(`${where}: params must declare exactly the path parameters {${templated.join(', ')}}`);
  }
  if (TAKES_BODY.has(route.method) && route.body === undefined) {
    throw new TypeError(`${where}: a ${route.method} route must declare its body (a schema, 'none' or a stream body)`);
  }
  if (!route.response || Object.keys(route.response).length === 0) throw new TypeError(`${where}: declares no response`);
  if (!route.operationId) throw new TypeError(`${where}: declares no operationId`);
  const body = route.body;
  const readsJson = body !== undefined && body !== 'none' && !isStreamBody(body);
  const validators: RouteValidators = { readsJson };
  if (route.params) validators.params = compile(route.params, `${where} params`);
  if (route.query) {
    objectProperties(route.query, `${where} query`);
    validators.query = compile(route.query, `${where} query`);
  }
  if (readsJson) validators.body = compile(body as TSchema, `${where} body`);
  if (isStreamBody(body) && body.schema) compile(body.schema, `${where} body`);
  return validators;
}

function objectProperties(schema: TSchema, what: string): Record<string, { type?: unknown }> {
  if (schema.type !== 'object') throw new TypeError(`${what}: must be an object schema`);
  return (schema.properties ?? {}) as Record<string, { type?: unknown }>;
}
