import type { V2ConfigField, V2ProviderManifest } from '@opendray/sdk/wire';
import type { Principal } from '../../auth/principal.js';
import { badRequest, forbidden } from '../../errors.js';
import type { StoredConfig } from './config.js';
import { takesMcp } from './profile-launch.js';
import type { ProviderManifest } from './types.js';

/**
 * v2's camelCase config keys and ours (SPEC §16). `extraArgs` maps to the manifest's
 * extra-arguments field; `command` is the same word in both.
 */
const V2_KEYS: Readonly<Record<string, string>> = {
  apiKey: 'api_key',
  authType: 'auth_type',
  bypassPermissions: 'bypass_permissions',
  maxTurns: 'max_turns',
};

/**
 * A config PATCH body with v2's keys renamed to ours, where this provider has the field
 * (otherwise the key stays as sent, so the 400 names what the client wrote). Sending both
 * spellings of one field is a 400.
 */
export function withV2ConfigKeys(manifest: ProviderManifest, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const ours = key === 'extraArgs' ? manifest.config_args : V2_KEYS[key];
    const target = ours && Object.hasOwn(manifest.config_schema, ours) ? ours : key;
    if (Object.hasOwn(out, target)) throw badRequest(`${key}: given twice (as ${key} and ${target})`);
    out[target] = value;
  }
  return out;
}

/** Fields that change what every session of a provider runs, beyond its schema: the admin's alone. */
const ADMIN_ONLY = ['command', 'bypass_permissions', 'bypassPermissions'];

/**
 * 403 for an integration setting the executable or switching permission prompts off for
 * everyone (SPEC §15: v2 lets any `providers:write` key do it; here it is the operator's).
 */
export function assertMayPatchV2Fields(principal: Principal | null, body: unknown): void {
  if (principal?.kind === 'admin' || typeof body !== 'object' || body === null) return;
  const key = ADMIN_ONLY.find((k) => Object.hasOwn(body, k));
  if (key) throw forbidden(`${key}: only the admin may change this provider setting`);
}

/** The command a provider runs: the stored `command` (v2's config key), else the manifest's. */
export function commandOf(manifest: ProviderManifest, stored: StoredConfig): string {
  return typeof stored.command === 'string' && stored.command !== '' ? stored.command : manifest.command;
}

/** The provider in v2's manifest shape (camelCase), beside our flat fields (SPEC §16). */
export function v2Manifest(manifest: ProviderManifest, stored: StoredConfig): V2ProviderManifest {
  return {
    id: manifest.id,
    displayName: manifest.display_name,
    kind: manifest.kind,
    executable: commandOf(manifest, stored),
    capabilities: {
      supportsResume: manifest.resume !== undefined,
      supportsStream: true,
      // No upload route here (v2's POST /sessions/{id}/uploads).
      supportsImages: false,
      supportsMcp: takesMcp(manifest),
    },
    configSchema: Object.entries(manifest.config_schema).map(([key, field]): V2ConfigField => {
      const type = field.secret ? 'secret' : field.type === 'string[]' ? 'args' : field.enum ? 'select' : field.type;
      return {
        key,
        label: key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
        type,
        ...(field.default !== undefined ? { default: field.default } : {}),
        ...(field.enum ? { options: field.enum.map(String) } : {}),
        ...(field.description ? { description: field.description } : {}),
        ...(manifest.config_env?.[key] ? { envVar: manifest.config_env[key] } : {}),
        ...(manifest.config_flags?.[key] ? { cliFlag: manifest.config_flags[key] } : {}),
      };
    }),
  };
}
