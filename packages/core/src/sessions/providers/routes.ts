import type { Provider, ProviderList } from '@opendray/sdk/wire';
import type { Principal } from '../../auth/principal.js';
import { notFound } from '../../errors.js';
import { json, type Route } from '../../http/route.js';
import type { ProviderManifest } from './types.js';

/** What the provider routes need from the registry. */
export interface ProviderRouteDeps {
  list(): readonly ProviderManifest[];
  get(id: string): ProviderManifest | undefined;
  /** The wire shape, config redacted for integration principals. */
  view(manifest: ProviderManifest, principal: Principal | null): Promise<Provider>;
  /**
   * Validates and persists a config patch; throws 400 naming the field. An integration's
   * patch is limited to integration-writable fields (403 naming the first other one) and
   * lands in its own layer (SPEC §15).
   */
  patch(id: string, body: unknown, principal: Principal | null): Promise<void>;
}

/** The provider routes of SPEC §4: list and get [provider:read], config [provider:write]. */
export function providerRoutes(deps: ProviderRouteDeps): Route[] {
  const find = (id: string | undefined): ProviderManifest => {
    const manifest = id === undefined ? undefined : deps.get(id);
    if (!manifest) throw notFound('provider');
    return manifest;
  };
  return [
    {
      method: 'GET',
      path: '/providers',
      access: 'provider:read',
      summary: 'List providers with their config and availability',
      async handler({ principal }) {
        const providers = await Promise.all(deps.list().map((m) => deps.view(m, principal)));
        const body: ProviderList = { providers };
        return json(body);
      },
    },
    {
      method: 'GET',
      path: '/providers/{id}',
      access: 'provider:read',
      summary: 'One provider with its config and availability',
      async handler({ params, principal }) {
        return json(await deps.view(find(params.id), principal));
      },
    },
    {
      method: 'PATCH',
      path: '/providers/{id}/config',
      access: 'provider:write',
      body: 'json',
      summary: "Change a provider's config (JSON merge patch; null removes a field; enabled toggles it); integrations: only integration-writable fields, for their own sessions",
      async handler({ params, principal, body }) {
        const manifest = find(params.id);
        await deps.patch(manifest.id, body, principal);
        return json(await deps.view(manifest, principal));
      },
    },
  ];
}
