import type { Provider } from '@opendray/sdk/wire';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../context.js';
import { badRequest, conflict, notFound } from '../../errors.js';
import type { Route } from '../../http/route.js';
import { builtinManifests } from './builtin.js';
import { checkRequestArgs, checkRequestEnv } from '../launch-policy.js';
import { applyConfigPatch, configValidator, isEnabled, viewConfig, type StoredConfig } from './config.js';
import { assertIntegrationMayPatch, layerOwner, overrideKey, pinnedFields, withOverrides } from './config-access.js';
import { buildLaunch, type LaunchRequest, type LaunchSpec } from './launch.js';
import { createProber } from './probe.js';
import { profileFlags, renderProfile } from './profile-launch.js';
import { providerRoutes } from './routes.js';
import type { ProviderManifest } from './types.js';
import { mergeProviderDefinitions } from './validate.js';
import { commandOf, v2Manifest, withV2ConfigKeys } from './v2-config.js';
import { findExecutable } from './which.js';
import { createKeyedQueue } from '../../serial-queue.js';

export type { LaunchRequest, LaunchSpec } from './launch.js';

/** Every provider of a gateway: manifests, their stored config, availability, launches. */
export interface ProviderRegistry {
  /** The manifest with the operator's overrides applied; undefined for an unknown id. */
  get(id: string): ProviderManifest | undefined;
  /** Every manifest, built-ins first, in a stable order. */
  list(): ProviderManifest[];
  /**
   * The exact command line of a spawn (`resume: false`) or a restart (`resume: true`),
   * with the stored config applied (flags, env) and `req.model` over the config's model.
   * `command` is the absolute path found on PATH at call time.
   * For an integration's session (`integrationId`), that integration's own config layer
   * applies on top. The request's `env` and `args` pass the launch policy first (SPEC §15).
   * Throws GatewayError 400 `validation_failed` for an unknown provider (field
   * `provider_id`) or a request it cannot honour (`model`, `args`, `env`); 409 `conflict`
   * when the provider is disabled or its command is not installed (the message names it).
   */
  resolveLaunch(id: string, req: LaunchRequest, integrationId?: string): Promise<LaunchSpec>;
  /** Drops the config layers of a deleted integration. */
  forgetIntegration(integrationId: string): Promise<void>;
  /** `GET /providers`, `GET /providers/{id}` [provider:read], `PATCH /providers/{id}/config` [provider:write]. */
  routes: Route[];
  /** Warms the availability cache in the background; resolves at once. */
  start(): Promise<void>;
  /** Kills availability probes in flight. */
  stop(): Promise<void>;
}

/**
 * Builds the provider registry from `ctx.options.providers` over the built-ins (SPEC §5.1).
 * Throws a TypeError naming the field for an invalid operator definition, so a bad
 * config fails at `createGateway` time. Needs only the options, clock, logger and stores
 * of a GatewayContext.
 */
export function createProviderRegistry(ctx: Pick<GatewayContext, 'options' | 'clock' | 'logger' | 'stores'>): ProviderRegistry {
  const manifests = mergeProviderDefinitions(builtinManifests(), ctx.options.providers);
  for (const m of manifests) configValidator(m);
  const byId = new Map(manifests.map((m) => [m.id, m] as const));
  const prober = createProber({ now: () => ctx.clock.now(), logger: ctx.logger });
  const configs = new Map<string, Promise<StoredConfig>>();
  // PATCHes of one provider run one after another so none is lost (read-modify-write).
  const writes = createKeyedQueue();

  /** A stored config by store key: a provider id, or an integration's layer (`overrideKey`). */
  const configOf = (key: string): Promise<StoredConfig> => {
    let loaded = configs.get(key);
    if (!loaded) {
      loaded = ctx.stores.providerConfig.get(key).then((c) => c ?? {});
      // A failed read is not cached: the next request tries the store again.
      loaded.catch(() => configs.delete(key));
      configs.set(key, loaded);
    }
    return loaded;
  };

  /** What `integrationId`'s sessions of `manifest` start with: the global config and its own layer. */
  const layeredConfig = async (manifest: ProviderManifest, integrationId: string | undefined): Promise<StoredConfig> => {
    const global = await configOf(manifest.id);
    return integrationId ? withOverrides(manifest, global, await configOf(overrideKey(manifest.id, integrationId))) : global;
  };

  const view = async (manifest: ProviderManifest, principal: Principal | null): Promise<Provider> => {
    const stored = await layeredConfig(manifest, layerOwner(principal));
    // The executable is the global config's (v2's `command` key, admin-only), never a layer's.
    const runtime = await prober.runtime({ ...manifest, command: commandOf(manifest, await configOf(manifest.id)) });
    return {
      id: manifest.id,
      display_name: manifest.display_name,
      kind: manifest.kind,
      enabled: isEnabled(manifest, stored),
      // Secrets are never returned to integration principals (SPEC §3); the admin sees them.
      config: viewConfig(manifest, stored, principal?.kind !== 'admin'),
      runtime,
      manifest: v2Manifest(manifest, stored),
    };
  };

  /** Read-modify-write of one stored config, one after another per key so no PATCH is lost. */
  const update = (key: string, change: (current: StoredConfig) => StoredConfig): Promise<void> => {
    const run = async (): Promise<void> => {
      const next = change(await configOf(key));
      await ctx.stores.providerConfig.set(key, next);
      configs.set(key, Promise.resolve(next));
    };
    return writes.run(key, run);
  };

  const patch = (id: string, body: unknown, principal: Principal | null): Promise<void> => {
    const manifest = byId.get(id);
    if (!manifest) return Promise.reject(notFound('provider'));
    const owner = layerOwner(principal);
    let renamed: unknown;
    try {
      // v2's camelCase keys are aliases (SPEC §16): an alias of an admin-only field is admin-only too.
      renamed = withV2ConfigKeys(manifest, body);
      if (owner) {
        assertIntegrationMayPatch(manifest, body);
        assertIntegrationMayPatch(manifest, renamed);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return update(owner ? overrideKey(id, owner) : id, (current) => applyConfigPatch(manifest, current, renamed));
  };

  const registry: ProviderRegistry = {
    get: (id) => byId.get(id),
    list: () => [...manifests],
    async resolveLaunch(id, req, integrationId) {
      const manifest = typeof id === 'string' ? byId.get(id) : undefined;
      if (!manifest) throw badRequest(`provider_id: unknown provider ${JSON.stringify(String(id).slice(0, 64))}`);
      const global = await configOf(id);
      // What the operator pinned: set fields of the global config, and what the integration's
      // spawn profile sets (its permission mode, prompt, MCP config): request args override neither (SPEC §15, §16).
      const profile = renderProfile(manifest, req.profile);
      const pinned = pinnedFields(manifest, global);
      for (const key of Object.keys(profile.config)) pinned.add(key);
      checkRequestEnv(manifest, req.env, pinned);
      checkRequestArgs(manifest, pinned, req.args, profileFlags(profile.args));
      const stored = await layeredConfig(manifest, integrationId);
      const command = commandOf(manifest, global);
      const spec = buildLaunch(manifest, stored, command, req);
      if (!isEnabled(manifest, global)) throw conflict(`provider "${id}" is disabled`);
      const path = await findExecutable(command);
      if (!path) throw conflict(`provider "${id}": command "${command}" is not installed (not found on PATH)`);
      return { ...spec, command: path };
    },
    async forgetIntegration(integrationId) {
      await Promise.all(
        manifests.map(async (m) => {
          const key = overrideKey(m.id, integrationId);
          if (Object.keys(await configOf(key)).length > 0) await update(key, () => ({}));
          configs.delete(key);
        }),
      );
    },
    routes: providerRoutes({
      list: () => manifests,
      get: (id) => byId.get(id),
      view,
      patch,
    }),
    async start() {
      prober.warm(manifests);
    },
    async stop() {
      prober.close();
    },
  };
  return registry;
}
