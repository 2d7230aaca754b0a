import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiPath, type OpenApiDocument } from '../../src/openapi/document.js';

type Json = Record<string, any>;

/** One real exchange with the gateway, as the checker needs it. */
export interface Exchange {
  method: string;
  /** The route template the gateway matched, e.g. `/sessions/{id}`. */
  template: string;
  status: number;
  headers: Headers | Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The JSON body that was sent, if any. */
  requestBody?: unknown;
}

const DOC_ID = 'https://opendray.invalid/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Escapes one JSON-pointer segment. */
export const pointerSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The value at a local JSON pointer (`#/a/b`), or undefined. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: any = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(seg in node)) return undefined;
    node = node[seg];
  }
  return node;
}

/**
 * Validates real responses (and the JSON bodies that were sent) against an OpenAPI
 * document with Ajv in strict 2020-12 mode: the schema documented for exactly that
 * method + path + status, its required headers, and its media type.
 */
export function createChecker(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false, allErrors: true });
  // The document is the root every `#/components/...` ref resolves against; its own
  // top-level members (openapi, paths, ...) are declared as annotation-only keywords.
  ajv.addVocabulary(Object.keys(doc));
  // The gateway's own annotation: the reason a failing value is told (an OpenAPI extension).
  ajv.addKeyword('x-reason');
  ajv.addSchema(doc as unknown as Json, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();

  const validatorAt = (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (!v) {
      v = ajv.compile({ $ref: `${DOC_ID}${pointer}` });
      compiled.set(pointer, v);
    }
    return v;
  };

  /** Follows `$ref`s; returns the object and where it lives. */
  const deref = (node: Json, pointer: string): { node: Json; pointer: string } => {
    let current = { node, pointer };
    for (let i = 0; current.node && typeof current.node.$ref === 'string' && i < 10; i++) {
      const ref: string = current.node.$ref;
      current = { node: resolvePointer(doc, ref) as Json, pointer: ref };
    }
    return current;
  };

  /** Problems of `value` against the schema at `pointer` (empty when it validates). */
  const validate = (pointer: string, value: unknown): string[] => {
    const v = validatorAt(pointer);
    if (v(value)) return [];
    return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} (${e.schemaPath})`);
  };

  const header = (headers: Exchange['headers'], name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };

  return {
    ajv,
    validate,
    /** Problems of the schema named `name` in components against `value`. */
    validateComponent: (name: string, value: unknown) => validate(`#/components/schemas/${pointerSegment(name)}`, value),

    /** The documented operation, and where it lives, or null. */
    operation(method: string, template: string): { op: Json; pointer: string } | null {
      const path = openApiPath(template);
      const op = doc.paths[path]?.[method.toLowerCase()];
      return op ? { op, pointer: `#/paths/${pointerSegment(path)}/${method.toLowerCase()}` } : null;
    },

    /** Every way `exchange` disagrees with the document (empty when it agrees). */
    check(x: Exchange): string[] {
      const where = `${x.method} ${x.template} → ${x.status}`;
      const found = this.operation(x.method === 'HEAD' && !this.operation('HEAD', x.template) ? 'GET' : x.method, x.template);
      if (!found) return [`${where}: no documented operation`];
      const { op, pointer } = found;
      const problems: string[] = [];
      let key = String(x.status);
      if (!op.responses[key]) {
        const fallback = op.responses.default && deref(op.responses.default, `${pointer}/responses/default`).node;
        if (!fallback?.content?.['*/*']) return [`${where}: status not documented`];
        key = 'default';
      }
      const response = deref(op.responses[key], `${pointer}/responses/${key}`);
      for (const [name, h] of Object.entries<Json>(response.node.headers ?? {})) {
        const resolved = deref(h, `${response.pointer}/headers/${pointerSegment(name)}`);
        const value = header(x.headers, name);
        if (value === undefined) {
          if (resolved.node.required) problems.push(`${where}: required header ${name} missing`);
          continue;
        }
        const schemaPointer = `${resolved.pointer}/schema`;
        const asNumber = /^\d+$/.test(value) ? Number(value) : undefined;
        if (validate(schemaPointer, value).length && (asNumber === undefined || validate(schemaPointer, asNumber).length)) {
          problems.push(`${where}: header ${name}=${value} does not match its schema`);
        }
      }
      if (x.method === 'HEAD' || x.status === 101) return problems;
      const content: Json | undefined = response.node.content;
      if (!content) {
        if (x.body.length) problems.push(`${where}: documented without a body, got ${x.body.length} bytes`);
        return problems;
      }
      if (content['*/*']) return problems;
      const media = (header(x.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!content[media]) return [...problems, `${where}: media type "${media}" not documented`];
      if (media !== 'application/json') return problems;
      let body: unknown;
      try {
        body = JSON.parse(x.body.toString('utf8'));
      } catch {
        return [...problems, `${where}: body is not JSON`];
      }
      const errors = validate(`${response.pointer}/content/${pointerSegment('application/json')}/schema`, body);
      return [...problems, ...errors.map((e) => `${where}: ${e} in ${x.body.toString('utf8').slice(0, 300)}`)];
    },

    /** Every way a sent JSON body disagrees with the documented request body. */
    checkRequest(x: Exchange): string[] {
      const found = this.operation(x.method, x.template);
      if (!found || x.requestBody === undefined) return [];
      const schema = found.op.requestBody?.content?.['application/json'];
      if (!schema) return [];
      const pointer = `${found.pointer}/requestBody/content/${pointerSegment('application/json')}/schema`;
      return validate(pointer, x.requestBody).map((e) => `${x.method} ${x.template} request: ${e}`);
    },
  };
}

export type Checker = ReturnType<typeof createChecker>;

/** Every operation of `doc` with its path and (lower-case) method. */
export function operationsOf(doc: OpenApiDocument): Array<{ path: string; method: string; op: Json }> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op: op as Json })));
}

/**
 * What makes `doc` an invalid OpenAPI 3.1 document, structurally: required members, unique
 * operationIds, declared tags and security schemes, path parameters equal to the template's,
 * a description on every response, and every `$ref` resolving within the document.
 */
export function structuralProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  if (doc.openapi !== '3.1.0') problems.push(`openapi is ${String(doc.openapi)}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info.title/version missing');
  const ids = new Set<string>();
  const tags = new Set((doc.tags ?? []).map((tag) => tag.name));
  const schemes = new Set(Object.keys((doc.components as Json).securitySchemes ?? {}));
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    for (const [method, op] of Object.entries<Json>(item)) {
      const where = `${method} ${path}`;
      if (!HTTP_METHODS.includes(method)) problems.push(`${where}: not an HTTP method`);
      if (typeof op.operationId !== 'string' || ids.has(op.operationId)) problems.push(`${where}: missing or duplicate operationId`);
      ids.add(op.operationId);
      for (const tag of op.tags ?? []) if (!tags.has(tag)) problems.push(`${where}: undeclared tag ${tag}`);
      for (const requirement of op.security ?? []) {
        for (const name of Object.keys(requirement)) if (!schemes.has(name)) problems.push(`${where}: unknown security scheme ${name}`);
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
      if (JSON.stringify(declared.map((p: Json) => p.name).sort()) !== JSON.stringify(templated)) problems.push(`${where}: path parameters differ from the template`);
      if (declared.some((p: Json) => p.required !== true)) problems.push(`${where}: a path parameter is not required`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
        if (!/^([1-5]\d\d|default)$/.test(status)) problems.push(`${where}: bad status key ${status}`);
        const resolved = (response.$ref ? resolvePointer(doc, response.$ref) : response) as Json | undefined;
        if (typeof (response.description ?? resolved?.description) !== 'string') problems.push(`${where} ${status}: no description`);
      }
    }
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && (typeof v !== 'string' || resolvePointer(doc, v) === undefined)) problems.push(`dangling $ref ${String(v)}`);
      walk(v);
    }
  };
  walk(doc);
  return problems;
}
