import type { Principal } from '../../auth/principal.js';
import { forbidden } from '../../errors.js';
import { effectiveConfig, type StoredConfig } from './config.js';
import type { ProviderManifest } from './types.js';

/**
 * v2's names (SPEC §16) for what changes a command line or a credential, plus the
 * `enabled` toggle: never an integration's to change, whatever the manifest says.
 */
const ADMIN_ONLY_NAMES = new Set(['command', 'args', 'env', 'extraArgs', 'apiKey', 'authType', 'bypassPermissions', 'enabled']);

/**
 * Provider config is global: one change reaches every session of that provider. So an
 * integration (`provider:write`) may set only fields its manifest marks
 * `integration_writable`, and its changes land in a layer of its own that applies to its
 * own sessions only (SPEC §15). Throws 403 naming the first field it may not change;
 * unknown fields are left to the validator's 400.
 */
export function assertIntegrationMayPatch(manifest: ProviderManifest, body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  for (const key of Object.keys(body)) {
    const field = Object.hasOwn(manifest.config_schema, key) ? manifest.config_schema[key] : undefined;
    if (field?.integration_writable) continue;
    if (field || ADMIN_ONLY_NAMES.has(key)) {
      throw forbidden(`${key}: only the admin may change this provider setting (it changes how sessions start); integrations may set ${writableList(manifest)}`);
    }
  }
}

/** The config fields an integration may set, for messages and docs. */
export function integrationWritableFields(manifest: ProviderManifest): string[] {
  return Object.entries(manifest.config_schema)
    .filter(([, f]) => f.integration_writable)
    .map(([k]) => k);
}

const writableList = (manifest: ProviderManifest): string => {
  const fields = integrationWritableFields(manifest);
  return fields.length ? fields.join(', ') : 'no field of this provider';
};

/** The store key of an integration's own layer over a provider's config. */
export const overrideKey = (providerId: string, integrationId: string): string => `${providerId}@${integrationId}`;

/** Whose config layer a principal reads and writes: undefined for the admin (the global one). */
export function layerOwner(principal: Principal | null): string | undefined {
  return principal?.kind === 'integration' ? principal.id : undefined;
}

/** The global config with an integration's layer on top (only its integration-writable fields count). */
export function withOverrides(manifest: ProviderManifest, global: StoredConfig, override: StoredConfig | undefined): StoredConfig {
  if (!override) return global;
  const out: StoredConfig = { ...global };
  for (const [key, value] of Object.entries(override)) {
    if (manifest.config_schema[key]?.integration_writable) out[key] = value;
  }
  return out;
}

/**
 * The fields the operator pinned: set in the global config (or by a manifest default)
 * and not integration-writable. Request args may not override them (SPEC §15).
 */
export function pinnedFields(manifest: ProviderManifest, global: StoredConfig): Set<string> {
  const config = effectiveConfig(manifest, global);
  return new Set(Object.keys(config).filter((k) => !manifest.config_schema[k]?.integration_writable && k !== manifest.config_args));
}
