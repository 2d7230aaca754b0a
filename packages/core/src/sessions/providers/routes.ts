import { Provider, ProviderConfigPatch, ProviderList } from '@opendray/sdk/wire';
import type { Principal } from '../../auth/principal.js';
import { notFound } from '../../errors.js';
import { IdParams } from '../../http/params.js';
import { defineRoute, json, type Route } from '../../http/route.js';
import type { ProviderManifest } from './types.js';

/** What the provider routes need from the registry. */
export interface ProviderRouteDeps {
  list(): readonly ProviderManifest[];
  get(id: string): ProviderManifest | undefined;
  /** The wire shape, config redacted for integration principals. */
  view(manifest: ProviderManifest, principal: Principal | null): Promise<Provider>;
  /** Validates (against the manifest's config_schema) and persists a config patch; throws 400 naming the field. */
  patch(id: string, body: ProviderConfigPatch): Promise<void>;
}

/** The provider routes of SPEC §4: list and get [provider:read], config [provider:write]. */
export function providerRoutes(deps: ProviderRouteDeps): Route[] {
  const find = (id: string): ProviderManifest => {
    const manifest = deps.get(id);
    if (!manifest) throw notFound('provider');
    return manifest;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/providers',
      access: 'provider:read',
      operationId: 'listProviders',
      summary: 'List providers with their config and availability',
      response: { 200: ProviderList },
      async handler({ principal }) {
        const providers = await Promise.all(deps.list().map((m) => deps.view(m, principal)));
        const body: ProviderList = { providers };
        return json(body);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/providers/{id}',
      access: 'provider:read',
      operationId: 'getProvider',
      summary: 'One provider with its config and availability',
      params: IdParams,
      response: { 200: Provider },
      async handler({ params, principal }) {
        return json(await deps.view(find(params.id), principal));
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/providers/{id}/config',
      access: 'provider:write',
      operationId: 'updateProviderConfig',
      summary: "Change a provider's config (JSON merge patch; null removes a field; enabled toggles it)",
      description: "Validated against the provider's config_schema: unknown fields and wrong types are a 400 naming the field.",
      params: IdParams,
      body: ProviderConfigPatch,
      response: { 200: Provider },
      async handler({ params, principal, body }) {
        const manifest = find(params.id);
        await deps.patch(manifest.id, body);
        return json(await deps.view(manifest, principal));
      },
    }),
  ];
}
