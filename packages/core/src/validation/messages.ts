import type { ErrorObject } from 'ajv';
import { REASON, schemaName } from '@opendray/sdk/wire';
import { FORMATS } from './formats.js';
import { hintFor } from './hints.js';

type Schema = Record<string, unknown>;

/** How a message names the value: `root` for the whole of it, `prefix` before nested fields. */
export interface MessagePath {
  root: string;
  prefix: string;
}
export const BODY: MessagePath = { root: 'body', prefix: '' };

/**
 * The one 400 message format (SPEC §1): `field: reason`, the field as a dotted path
 * (`env.FOO`, `scopes[1]`, `config.url`) under `where.prefix`; the whole value is named
 * `where.root` (`body`). Prefers the first error; inside a union, the branch the value went into.
 */
export function validationMessage(errors: readonly ErrorObject[], where: MessagePath = BODY): string {
  const e = pick(errors);
  const schema = (e.parentSchema ?? {}) as Schema;
  const reason = typeof schema[REASON] === 'string' ? (schema[REASON] as string) : undefined;
  const at = (path: string): string => join(where, path);
  switch (e.keyword) {
    case 'required':
      return `${at(`${e.instancePath}/${escape(String(e.params.missingProperty))}`)}: required`;
    case 'additionalProperties': {
      const known = Object.keys((schema.properties ?? {}) as Schema);
      const data = (e.data ?? {}) as Schema;
      const unknown = Object.keys(data).filter((k) => !known.includes(k));
      const names = (unknown.length ? unknown : [String(e.params.additionalProperty)]).slice(0, 10);
      const fields = names.map((n) => at(`${e.instancePath}/${escape(n)}`)).join(', ');
      return `${fields}: unknown field${names.length > 1 ? 's' : ''} (known: ${known.join(', ')})`;
    }
  }
  if (e.propertyName !== undefined) {
    return `${at(e.instancePath)}: ${reason ?? 'invalid name'} ${JSON.stringify(e.propertyName.slice(0, 64))}`;
  }
  return `${at(e.instancePath)}: ${describe(e, schema, reason)}`;
}

function describe(e: ErrorObject, schema: Schema, reason: string | undefined): string {
  const types = typeList(schema.type);
  switch (e.keyword) {
    case 'type':
      if (reason && types.length > 1) return reason;
      if (types.length === 1 && (types[0] === 'integer' || types[0] === 'number')) return numberRange(article(types[0]), schema);
      return `must be ${types.map(article).join(' or ') || article(String(e.params.type))}`;
    case 'minLength':
    case 'maxLength':
      return bounded('characters', schema.minLength, schema.maxLength);
    case 'minItems':
    case 'maxItems':
      return `must be a list of ${range(schema.minItems, schema.maxItems)} items`;
    case 'maxProperties':
    case 'minProperties':
      return `must have ${range(schema.minProperties, schema.maxProperties)} entries`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return numberRange(types.includes('integer') ? 'an integer' : 'a number', schema);
    case 'enum':
      return reason ?? `must be one of ${(schema.enum as unknown[]).map(show).join(', ')}`;
    case 'const':
      return reason ?? `must be ${show(schema.const)}`;
    case 'format':
      return reason ?? FORMATS[String(e.params.format)]?.reason ?? `must be a ${String(e.params.format)}`;
    case 'pattern':
      return `${reason ?? 'has an invalid format'}${hintFor(schemaName(schema), e.data)}`;
    case 'anyOf':
    case 'oneOf': {
      if (reason) return reason;
      const branches = (schema[e.keyword] ?? []) as Schema[];
      if (branches.length && branches.every((b) => 'const' in b)) return `must be one of ${branches.map((b) => show(b.const)).join(', ')}`;
      return 'is not valid';
    }
    default:
      return reason ?? e.message ?? 'is not valid';
  }
}

/**
 * The error to report. Ajv puts a union's branch errors before the union's own; when one
 * branch alone got past the union's level (the value chose it, e.g. `{keys: [...]}`), its
 * error says more than "none of the forms matched".
 */
function pick(errors: readonly ErrorObject[]): ErrorObject {
  const last = errors[errors.length - 1]!;
  if (last.keyword !== 'anyOf' && last.keyword !== 'oneOf') return errors[0]!;
  if (last.keyword === 'oneOf' && (last.params as { passingSchemas?: unknown }).passingSchemas) return last;
  const byBranch = new Map<string, ErrorObject[]>();
  for (const e of errors.slice(0, -1)) {
    const m = e.schemaPath.startsWith(`${last.schemaPath}/`) ? /^\/(\d+)/.exec(e.schemaPath.slice(last.schemaPath.length)) : null;
    if (!m) continue;
    byBranch.set(m[1]!, [...(byBranch.get(m[1]!) ?? []), e]);
  }
  const entered = [...byBranch.values()].filter((list) => list.some((e) => e.instancePath.length > last.instancePath.length));
  return entered.length === 1 ? pick(entered[0]!) : last;
}

/** A JSON pointer → `prefix.a[0].b`; the root → `root`. */
function join(where: MessagePath, pointer: string): string {
  if (pointer === '') return where.root;
  let out = where.prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

function typeList(type: unknown): string[] {
  const list = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  return list.length > 1 ? list.filter((t) => t !== 'null') : list;
}

const ARTICLES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'a JSON object',
  array: 'a list',
  null: 'null',
};
const article = (type: string): string => ARTICLES[type] ?? type;
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function range(min: unknown, max: unknown): string {
  const lo = typeof min === 'number' ? min : undefined;
  const hi = typeof max === 'number' ? max : undefined;
  if (lo !== undefined && hi !== undefined) return `${lo}–${hi}`;
  if (hi !== undefined) return `at most ${hi}`;
  return `at least ${lo ?? 0}`;
}

function bounded(unit: string, min: unknown, max: unknown): string {
  if (min === 1 && max === undefined) return 'must not be empty';
  return `must be ${range(min, max)} ${unit}`;
}

function numberRange(kind: string, s: Schema): string {
  const lo = typeof s.minimum === 'number' ? s.minimum : undefined;
  const hi = typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (lo !== undefined && hi !== undefined) return `must be ${kind} from ${lo} to ${hi}`;
  if (lo === 0) return `must be a non-negative ${kind.replace(/^an? /, '')}`;
  if (lo !== undefined) return `must be ${kind} ≥ ${lo}`;
  if (hi !== undefined) return `must be ${kind} ≤ ${hi}`;
  return `must be ${kind}`;
}
