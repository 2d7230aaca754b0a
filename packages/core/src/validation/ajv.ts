import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { REASON, type TSchema } from '@opendray/sdk/wire';
import { badRequest, type GatewayError } from '../errors.js';
import { FORMATS } from './formats.js';
import { BODY, validationMessage, type MessagePath } from './messages.js';

/**
 * The gateway's one Ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect): strict about unknown
 * keywords, so a typo in a schema fails at `createGateway`, never on a request; `verbose`
 * so a failure can be told as `field: reason` from the schema that failed; no coercion and
 * no defaults (a handler sees exactly what was sent, validated).
 */
const ajv = new Ajv2020({
  strict: true,
  strictTypes: false,
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
  allErrors: false,
  validateFormats: true,
});
ajv.addKeyword({ keyword: REASON, schemaType: 'string' });
for (const [name, spec] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: spec.validate });

/** A compiled schema: `check(value)` throws the 400 naming the field, else returns it typed. */
export interface Validator<T = unknown> {
  (value: unknown): value is T;
  readonly errors: ErrorObject[] | null | undefined;
  check(value: unknown, where?: MessagePath): T;
}

// Schemas are module constants: one compilation per schema per process, however many
// gateways a process builds (tests build hundreds).
const cache = new WeakMap<object, Validator>();

/**
 * Compiles `schema` once (cached by identity). Throws a TypeError starting with `what`
 * (e.g. `route POST /sessions body`) when the schema does not compile.
 */
export function compile<T = unknown>(schema: TSchema, what: string): Validator<T> {
  const hit = cache.get(schema);
  if (hit) return hit as Validator<T>;
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema);
  } catch (err) {
    throw new TypeError(`${what}: schema does not compile: ${(err as Error).message}`);
  }
  const validator = Object.assign((value: unknown): value is T => fn(value), {
    get errors() {
      return fn.errors;
    },
    check(value: unknown, where: MessagePath = BODY): T {
      if (fn(value)) return value as T;
      throw invalid(fn.errors ?? [], where);
    },
  }) as Validator<T>;
  cache.set(schema, validator);
  return validator;
}

// Schemas built at run time (a provider's config_schema) are compiled once per distinct schema.
const dynamicCache = new Map<string, Validator>();

/** Compiles a schema built at run time, cached by its JSON text (bounded: one per distinct manifest). */
export function compileDynamic<T = unknown>(schema: TSchema, what: string): Validator<T> {
  const key = JSON.stringify(schema);
  let v = dynamicCache.get(key);
  if (!v) {
    v = compile<T>(schema, what);
    dynamicCache.set(key, v);
  }
  return v as Validator<T>;
}

/** The 400 `validation_failed` of a failed validation. */
export function invalid(errors: readonly ErrorObject[], where: MessagePath = BODY): GatewayError {
  return badRequest(errors.length ? validationMessage(errors, where) : `${where.root}: is not valid`);
}
