import { NO_NUL, REASON, REDACTED, type TSchema } from '@opendray/sdk/wire';
import { compileDynamic, type Validator } from '../../validation/ajv.js';
import type { ConfigField, ProviderManifest } from './types.js';

export { REDACTED };

const MAX_STRING = 4096;
const MAX_LIST = 64;

/** A provider's stored config: schema values plus the reserved `enabled` toggle. */
export type StoredConfig = Record<string, unknown>;

/** The JSON Schema of one config field's value (`null` too when `nullable`: it removes the field). */
function fieldSchema(field: ConfigField, nullable: boolean): Record<string, unknown> {
  const type = (t: string): string | string[] => (nullable ? [t, 'null'] : t);
  const text = { maxLength: MAX_STRING, pattern: NO_NUL, [REASON]: `must be a string of at most ${MAX_STRING} characters, without NUL` };
  const enumOf = field.enum ? { enum: [...field.enum, ...(nullable ? [null] : [])] } : {};
  switch (field.type) {
    case 'string':
      return { type: type('string'), ...text, ...enumOf };
    case 'number':
      return { type: type('number'), ...enumOf };
    case 'boolean':
      return { type: type('boolean') };
    case 'string[]':
      return { type: type('array'), maxItems: MAX_LIST, items: { type: 'string', ...text } };
  }
}

/**
 * The schema of a `PATCH /providers/{id}/config` body, derived from the manifest's
 * `config_schema` (SPEC §5.1): only its fields and `enabled`, each of its type; a secret
 * may also be echoed back as `"********"`.
 */
export function configPatchSchema(manifest: ProviderManifest): TSchema {
  const properties: Record<string, unknown> = { enabled: { type: 'boolean' } };
  for (const [key, field] of Object.entries(manifest.config_schema)) {
    const value = fieldSchema(field, true);
    properties[key] = field.secret && field.type !== 'string' ? { anyOf: [value, { const: REDACTED }] } : value;
  }
  return { type: 'object', properties, additionalProperties: false } as unknown as TSchema;
}

const validators = new WeakMap<ProviderManifest, Validator<Record<string, unknown>>>();

/** The compiled config schema of a manifest (compiled when the registry is built: a bad one fails boot). */
export function configValidator(manifest: ProviderManifest): Validator<Record<string, unknown>> {
  let v = validators.get(manifest);
  if (!v) {
    v = compileDynamic<Record<string, unknown>>(configPatchSchema(manifest), `providers.${manifest.id}.config_schema`);
    validators.set(manifest, v);
  }
  return v;
}

/**
 * Applies a `PATCH /providers/{id}/config` body to the stored config, as a JSON merge
 * patch (RFC 7396): a present key sets the field, `null` removes it (back to its
 * default), absent keys are kept. A secret sent back as `"********"` keeps the stored
 * secret, so a client may echo a redacted config. `enabled` (boolean) toggles the
 * provider. Every failure is a 400 naming the field; nothing is applied then.
 */
export function applyConfigPatch(manifest: ProviderManifest, current: StoredConfig, patch: unknown): StoredConfig {
  const body = configValidator(manifest).check(patch);
  const next: StoredConfig = { ...current };
  for (const [key, value] of Object.entries(body)) {
    if (value === null) delete next[key];
    else if (key !== 'enabled' && manifest.config_schema[key]!.secret && value === REDACTED) continue;
    else next[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return next;
}

/** The effective value of every schema field: stored, else its default; unset fields are absent. */
export function effectiveConfig(manifest: ProviderManifest, stored: StoredConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(manifest.config_schema)) {
    // A stored value the schema no longer accepts (the operator changed the manifest) is ignored.
    const value = Object.hasOwn(stored, key) && isValid(manifest, key, stored[key]) ? stored[key] : field.default;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The config as an API response shows it; secrets become `"********"` when `redact`. */
export function viewConfig(manifest: ProviderManifest, stored: StoredConfig, redact: boolean): Record<string, unknown> {
  const config = effectiveConfig(manifest, stored);
  if (redact) {
    for (const [key, field] of Object.entries(manifest.config_schema)) {
      if (field.secret && key in config) config[key] = REDACTED;
    }
  }
  return config;
}

/** Whether a provider is enabled: the stored toggle, else the manifest's, else true. */
export function isEnabled(manifest: ProviderManifest, stored: StoredConfig): boolean {
  return typeof stored.enabled === 'boolean' ? stored.enabled : manifest.enabled ?? true;
}

// A stored value the manifest no longer accepts: validated as a one-field patch.
function isValid(manifest: ProviderManifest, key: string, value: unknown): boolean {
  return value !== null && configValidator(manifest)({ [key]: value });
}
