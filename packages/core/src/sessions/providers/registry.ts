import type { Provider } from '@opendray/sdk/wire';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../context.js';
import { badRequest, conflict, notFound } from '../../errors.js';
import type { Route } from '../../http/route.js';
import { builtinManifests } from './builtin.js';
import { applyConfigPatch, configValidator, isEnabled, viewConfig, type StoredConfig } from './config.js';
import { buildLaunch, type LaunchRequest, type LaunchSpec } from './launch.js';
import { createProber } from './probe.js';
import { providerRoutes } from './routes.js';
import type { ProviderManifest } from './types.js';
import { mergeProviderDefinitions } from './validate.js';
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
   * Throws GatewayError 400 `validation_failed` for an unknown provider (field
   * `provider_id`) or a request it cannot honour (`model`, `args`); 409 `conflict` when
   * the provider is disabled or its command is not installed (the message names it).
   */
  resolveLaunch(id: string, req: LaunchRequest): Promise<LaunchSpec>;
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

  const configOf = (id: string): Promise<StoredConfig> => {
    let loaded = configs.get(id);
    if (!loaded) {
      loaded = ctx.stores.providerConfig.get(id).then((c) => c ?? {});
      // A failed read is not cached: the next request tries the store again.
      loaded.catch(() => configs.delete(id));
      configs.set(id, loaded);
    }
    return loaded;
  };

  const view = async (manifest: ProviderManifest, principal: Principal | null): Promise<Provider> => {
    const [stored, runtime] = await Promise.all([configOf(manifest.id), prober.runtime(manifest)]);
    return {
      id: manifest.id,
      display_name: manifest.display_name,
      kind: manifest.kind,
      enabled: isEnabled(manifest, stored),
      // Secrets are never returned to integration principals (SPEC §3); the admin sees them.
      config: viewConfig(manifest, stored, principal?.kind !== 'admin'),
      runtime,
    };
  };

  const patch = (id: string, body: unknown): Promise<void> => {
    const manifest = byId.get(id);
    if (!manifest) return Promise.reject(notFound('provider'));
    const run = async (): Promise<void> => {
      const next = applyConfigPatch(manifest, await configOf(id), body);
      await ctx.stores.providerConfig.set(id, next);
      configs.set(id, Promise.resolve(next));
    };
    return writes.run(id, run);
  };

  const registry: ProviderRegistry = {
    get: (id) => byId.get(id),
    list: () => [...manifests],
    async resolveLaunch(id, req) {
      const manifest = typeof id === 'string' ? byId.get(id) : undefined;
      if (!manifest) throw badRequest(`provider_id: unknown provider ${JSON.stringify(String(id).slice(0, 64))}`);
      const stored = await configOf(id);
      const spec = buildLaunch(manifest, stored, manifest.command, req);
      if (!isEnabled(manifest, stored)) throw conflict(`provider "${id}" is disabled`);
      const path = await findExecutable(manifest.command);
      if (!path) throw conflict(`provider "${id}": command "${manifest.command}" is not installed (not found on PATH)`);
      return { ...spec, command: path };
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
