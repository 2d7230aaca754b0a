import { Type as T, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

export { T, type Static, type TSchema };

/**
 * Where a schema's component name is kept (`Integration`, `Session`…): a symbol, so it never
 * appears in the JSON Schema itself and survives TypeBox's modifiers (`T.Optional` copies it).
 * The OpenAPI and AsyncAPI builders turn every named sub-schema into a `$ref`.
 */
export const SCHEMA_NAME: unique symbol = Symbol.for('opendray.wire.schemaName') as never;

/** Names `schema` as the component `name`; returns the same object. */
export function named<S extends TSchema>(name: string, schema: S): S {
  Object.defineProperty(schema, SCHEMA_NAME, { value: name, enumerable: true });
  return schema;
}

/** The component name of a schema, if it has one. */
export function schemaName(schema: unknown): string | undefined {
  return typeof schema === 'object' && schema !== null ? ((schema as Record<symbol, unknown>)[SCHEMA_NAME] as string | undefined) : undefined;
}

/**
 * `x-reason`: what a failing value is told (`field: <reason>`) when the plain keyword would
 * say too little (a pattern, a union). An OpenAPI specification extension, kept in the document.
 */
export const REASON = 'x-reason';

/** `schema`, or JSON `null` (treated as absent by the gateway), without an `anyOf`. */
export function nullable<S extends TSchema>(schema: S): TUnsafe<Static<S> | null> {
  const { type } = schema as { type?: string | string[] };
  if (typeof type !== 'string') throw new TypeError('nullable() needs a schema with a single type');
  return T.Unsafe<Static<S> | null>({ ...schema, type: [type, 'null'] });
}

/** RFC 3339 UTC timestamp with milliseconds (SPEC §1). */
export const Timestamp = named(
  'Timestamp',
  T.String({
    description: 'RFC 3339 UTC timestamp with milliseconds (SPEC §1)',
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    examples: ['2026-04-27T14:01:00.123Z'],
  }),
);
export type Timestamp = Static<typeof Timestamp>;

/** A Timestamp with its own description. */
export const at = (description: string) => T.Unsafe<string>({ ...Timestamp, description });

/** A count: an integer ≥ 0. */
export const count = (description?: string) => T.Integer({ minimum: 0, ...(description ? { description } : {}) });

/** An id: `<prefix>_` and 12 base64url characters from a CSPRNG (SPEC §1). */
export const idOf = (prefix: string, description: string) => T.String({ description, pattern: `^${prefix}_[A-Za-z0-9_-]{12}$` });

/** A string that encodes to UTF-8 without loss: no lone surrogate (a `u`-mode pattern). */
export const WELL_FORMED = '^[^\\uD800-\\uDFFF]*$';
/** No NUL character. */
export const NO_NUL = '^[^\\u0000]*$';
/** No C0 control character and no DEL. */
export const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';

/** An id a platform gives as a string (≤ 256) or an integer; the gateway stringifies it. */
export const platformId = (description: string) =>
  T.Unsafe<string | number | null>({
    description,
    type: ['string', 'integer', 'null'],
    minLength: 1,
    maxLength: 256,
    minimum: -Number.MAX_SAFE_INTEGER,
    maximum: Number.MAX_SAFE_INTEGER,
    [REASON]: 'must be a string of 1–256 characters or an integer',
  });

/** A JSON object with any members (configs, health payloads). */
export const AnyObject = (description?: string) =>
  T.Unsafe<Record<string, unknown>>({ type: 'object', ...(description ? { description } : {}) });

/** A copy of `schema` with more keywords (a description, a default); same static type. */
export function withOptions<S extends TSchema>(schema: S, options: Record<string, unknown>): S {
  return { ...schema, ...options };
}
