import { AnyObject, named, T, type Static } from './kit.js';

export const ProviderRuntime = named(
  'ProviderRuntime',
  T.Object({ installed: T.Boolean(), version: T.Optional(T.String()), path: T.Optional(T.String()) }),
);
export type ProviderRuntime = Static<typeof ProviderRuntime>;

/** A provider manifest as the wire shows it (SPEC §5.1). */
export const Provider = named(
  'Provider',
  T.Object(
    {
      id: T.String(),
      display_name: T.String(),
      kind: T.Union([T.Literal('cli'), T.Literal('shell')]),
      enabled: T.Boolean(),
      config: AnyObject('Secrets redacted as "********" for integrations'),
      runtime: ProviderRuntime,
    },
    { description: 'A provider manifest as the wire shows it (SPEC §5.1)' },
  ),
);
export type Provider = Static<typeof Provider>;

export const ProviderList = named('ProviderList', T.Object({ providers: T.Array(Provider) }));
export type ProviderList = Static<typeof ProviderList>;

/**
 * `PATCH /providers/{id}/config`: a JSON merge patch of the config. The gateway validates it
 * against the provider's own `config_schema` (compiled when the gateway starts).
 */
export const ProviderConfigPatch = named(
  'ProviderConfigPatch',
  AnyObject('JSON merge patch of the config, validated against the manifest; null removes a field; enabled toggles the provider'),
);
export type ProviderConfigPatch = Static<typeof ProviderConfigPatch>;
