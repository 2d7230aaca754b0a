/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

/** `#/components/schemas/<name>`: how every schema names another. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/**
 * An object schema. Open on purpose: wire compatibility lets new fields appear (SPEC §0),
 * so no schema here sets `additionalProperties: false`; `required` is what SPEC §4 promises.
 */
export function object(required: readonly string[], properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    ...(required.length ? { required: [...required] } : {}),
    properties,
  };
}

export const str = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const int = (description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const list = (items: JsonSchema, description?: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'array',
  ...(description ? { description } : {}),
  items,
  ...extra,
});
/** A JSON object with any members (configs, health payloads). */
export const anyObject = (description?: string): JsonSchema => ({ type: 'object', ...(description ? { description } : {}) });
/** An id: `<prefix>_` and 12 base64url characters from a CSPRNG (SPEC §1). */
export const id = (prefix: string, description: string): JsonSchema =>
  str(description, { pattern: `^${prefix}_[A-Za-z0-9_-]{12}$` });
