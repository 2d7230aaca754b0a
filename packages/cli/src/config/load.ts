import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { ProviderManifest } from '@opendray/core';
import { CliError } from '../cli-error.js';
import { SETTINGS, defaultSettings, parseSetting, type Settings } from './settings.js';

/** Everything `opendray serve` runs with, after flags > env > file > defaults. */
export interface ServeConfig extends Settings {
  providers: ProviderManifest[];
}

/**
 * Loads the configuration: flags beat env beat the config file beat the defaults
 * (SPEC §12). The first bad setting becomes one CliError line naming where it came from.
 */
export async function loadServeConfig(
  flags: Record<string, string | string[] | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServeConfig> {
  const configPath = (typeof flags.config === 'string' ? flags.config : undefined) ?? env.OPENDRAY_CONFIG;
  const file = configPath ? await readConfigFile(configPath) : {};
  const settings = defaultSettings() as unknown as Record<string, unknown>;

  const known = new Set<string>([...SETTINGS.map((s) => s.key), 'providers']);
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new CliError(`opendray: unknown setting "${key}" in ${configPath}`);
  }
  for (const spec of SETTINGS) {
    const flagName = spec.flag ? camel(spec.flag.split(' ')[0]!.slice(2)) : undefined;
    const sources: Array<[string, unknown]> = [
      [`--${spec.flag?.split(' ')[0]!.slice(2)}`, flagName ? flags[flagName] : undefined],
      [spec.env, env[spec.env]],
      [`${spec.key} in ${configPath}`, file[spec.key]],
    ];
    const [where, raw] = sources.find(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) ?? [];
    if (where === undefined) continue;
    try {
      settings[spec.key] = parseSetting(spec, raw);
    } catch (err) {
      throw new CliError(`opendray: invalid ${where}: ${(err as Error).message}`);
    }
  }
  const out = settings as unknown as ServeConfig;
  out.data_dir = resolve(out.data_dir);
  out.workspace = resolve(out.workspace);
  if (out.allowed_roots) out.allowed_roots = out.allowed_roots.map((p) => resolve(p));
  if (configPath) out.config = resolve(configPath);
  out.providers = parseProviders(file.providers, configPath);
  return out;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`opendray: cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const parsed: unknown = extname(path).toLowerCase() === '.toml' ? parseToml(text) : JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`opendray: config file ${path} is not valid ${extname(path) === '.toml' ? 'TOML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function parseProviders(raw: unknown, path: string | undefined): ProviderManifest[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new CliError(`opendray: "providers" in ${path} must be an array`);
  // Full manifest validation happens in createGateway, which names the bad field.
  return raw as ProviderManifest[];
}

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
