import type { Static, TSchema } from '@opendray/sdk/wire';
import { compile } from './ajv.js';

const QUERY = { root: 'query', prefix: '' };
// A query value is a string; an integer parameter takes a plain decimal (no `1e3`, no `0x1`),
// anything else stays a string for the schema to refuse.
const DECIMAL = /^-?\d{1,16}$/;

/** The declared parameters of `schema` in `search` (first value each), integers coerced. */
export function queryObject(schema: TSchema, search: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, { type?: unknown }>)) {
    const raw = search.get(name);
    if (raw === null) continue;
    out[name] = (prop.type === 'integer' || prop.type === 'number') && DECIMAL.test(raw) ? Number(raw) : raw;
  }
  return out;
}

/** Reads and validates a query (routes do this in the pipeline; upgrades call it). 400 naming the parameter. */
export function readQuery<S extends TSchema>(schema: S, search: URLSearchParams, what = 'query'): Static<S> {
  return compile<Static<S>>(schema, what).check(queryObject(schema, search), QUERY);
}
