import { badRequest } from '../../errors.js';
import type { ConfigField, ProviderManifest } from './types.js';

/** How a secret is shown to integration principals (SPEC §3). */
export const REDACTED = '********';

const MAX_STRING = 4096;
const MAX_LIST = 64;

/** A provider's stored config: schema values plus the reserved `enabled` toggle. */
export type StoredConfig = Record<string, unknown>;

/**
 * Applies a `PATCH /providers/{id}/config` body to the stored config, as a JSON merge
 * patch (RFC 7396): a present key sets the field, `null` removes it (back to its
 * default), absent keys are kept. A secret sent back as `"********"` keeps the stored
 * secret, so a client may echo a redacted config. `enabled` (boolean) toggles the
 * provider. Every failure is a 400 naming the field; nothing is applied then.
 */
export function applyConfigPatch(manifest: ProviderManifest, current: StoredConfig, patch: unknown): StoredConfig {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw badRequest('body: must be a JSON object of config fields');
  }
  const schema = manifest.config_schema;
  const unknown = Object.keys(patch).filter((k) => k !== 'enabled' && !Object.hasOwn(schema, k));
  if (unknown.length) {
    const known = ['enabled', ...Object.keys(schema)].join(', ');
    throw badRequest(`${unknown.slice(0, 10).join(', ')}: unknown config field${unknown.length > 1 ? 's' : ''} (known: ${known})`);
  }
  const next: StoredConfig = { ...current };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key === 'enabled') {
      if (typeof value !== 'boolean') throw badRequest('enabled: must be a boolean');
      next.enabled = value;
      continue;
    }
    const field = schema[key]!;
    if (value === null) {
      delete next[key];
      continue;
    }
    if (field.secret && value === REDACTED) continue;
    next[key] = checkValue(key, field, value);
  }
  return next;
}

function checkValue(key: string, field: ConfigField, value: unknown): unknown {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw badRequest(`${key}: must be a string`);
      if (value.length > MAX_STRING || value.includes('\0')) throw badRequest(`${key}: must be at most ${MAX_STRING} characters, without NUL`);
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${key}: must be a number`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw badRequest(`${key}: must be a boolean`);
      break;
    case 'string[]':
      if (!Array.isArray(value) || value.length > MAX_LIST) throw badRequest(`${key}: must be a list of at most ${MAX_LIST} strings`);
      value.forEach((s, i) => {
        if (typeof s !== 'string' || s.length > MAX_STRING || s.includes('\0')) throw badRequest(`${key}[${i}]: must be a string`);
      });
      return [...value];
  }
  if (field.enum && !field.enum.includes(value as string | number)) {
    throw badRequest(`${key}: must be one of ${field.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return value;
}

/** The effective value of every schema field: stored, else its default; unset fields are absent. */
export function effectiveConfig(manifest: ProviderManifest, stored: StoredConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(manifest.config_schema)) {
    // A stored value the schema no longer accepts (the operator changed the manifest) is ignored.
    const value = Object.hasOwn(stored, key) && isValid(field, stored[key]) ? stored[key] : field.default;
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

function isValid(field: ConfigField, value: unknown): boolean {
  try {
    checkValue('', field, value);
    return true;
  } catch {
    return false;
  }
}
