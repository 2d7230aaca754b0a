import { AnyObject, named, T, type Static } from './kit.js';

export const ProviderRuntime = named(
  'ProviderRuntime',
  T.Object({ installed: T.Boolean(), version: T.Optional(T.String()), path: T.Optional(T.String()) }),
);
export type ProviderRuntime = Static<typeof ProviderRuntime>;

/** One config field in v2's manifest shape: an array entry (SPEC §16). */
export const V2ConfigField = named(
  'V2ConfigField',
  T.Object({
    key: T.String({ description: 'The config key (as PATCH /providers/{id}/config and config use it)' }),
    label: T.String(),
    type: T.Union([T.Literal('string'), T.Literal('number'), T.Literal('boolean'), T.Literal('select'), T.Literal('secret'), T.Literal('args')]),
    default: T.Optional(T.Unknown()),
    options: T.Optional(T.Array(T.String(), { description: 'The choices of a select' })),
    description: T.Optional(T.String()),
    envVar: T.Optional(T.String({ description: 'The environment variable it sets' })),
    cliFlag: T.Optional(T.String({ description: 'The command-line flag it sets' })),
  }),
);
export type V2ConfigField = Static<typeof V2ConfigField>;

/** The provider in v2's manifest shape, camelCase (SPEC §16); the flat fields beside it are ours. */
export const V2ProviderManifest = named(
  'V2ProviderManifest',
  T.Object({
    id: T.String(),
    displayName: T.String(),
    kind: T.Union([T.Literal('cli'), T.Literal('shell')]),
    executable: T.String({ description: 'The command it runs' }),
    capabilities: T.Object({
      supportsResume: T.Boolean({ description: 'POST /start resumes the agent\'s conversation' }),
      supportsStream: T.Boolean(),
      supportsImages: T.Boolean(),
      supportsMcp: T.Boolean({ description: 'An integration\'s mcp_servers reach its sessions' }),
    }),
    configSchema: T.Array(V2ConfigField),
  }),
);
export type V2ProviderManifest = Static<typeof V2ProviderManifest>;

/** A provider manifest as the wire shows it (SPEC §5.1), with v2's `manifest` beside it (SPEC §16). */
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
      manifest: V2ProviderManifest,
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
  AnyObject(
    "JSON merge patch of the config, validated against the manifest; null removes a field; enabled toggles the provider; v2's camelCase keys (command, extraArgs, apiKey, authType, bypassPermissions, maxTurns) are accepted as aliases",
  ),
);
export type ProviderConfigPatch = Static<typeof ProviderConfigPatch>;
