import { validatePolicyFields } from './policy-fields.js';
import type { AgentKind } from '@opendray/sdk/wire';
import type { ConfigField, ProviderDefinition, ProviderManifest } from './types.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const CONFIG_KEY = /^[a-z][a-z0-9_]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const FIELD_TYPES: readonly ConfigField['type'][] = ['string', 'number', 'boolean', 'string[]'];
const MAX_ARGS = 256;
const MAX_STRING = 4096;
/** Reserved: `enabled` and `command` are set through the same PATCH as the config (docs/providers.md). */
const RESERVED_KEYS = new Set(['enabled', 'command']);
const AGENTS: readonly AgentKind[] = ['claude', 'codex', 'gemini'];

/**
 * The effective provider list: the built-ins, with the operator's definitions merged over
 * the one of the same id (field by field) or added as new providers. Throws a TypeError
 * naming the offending field (`providers[2].command: …`) so a bad config file fails at
 * `createGateway` time (ARCHITECTURE rule 5).
 */
export function mergeProviderDefinitions(
  builtins: readonly ProviderManifest[],
  definitions: readonly ProviderDefinition[] | undefined,
): ProviderManifest[] {
  if (definitions !== undefined && !Array.isArray(definitions)) throw new TypeError('providers: must be an array');
  const byId = new Map(builtins.map((m) => [m.id, m] as const));
  const seen = new Set<string>();
  (definitions ?? []).forEach((def, i) => {
    const at = `providers[${i}]`;
    if (!isPlainObject(def as unknown)) throw new TypeError(`${at}: must be an object`);
    if (typeof def.id !== 'string' || !ID.test(def.id)) {
      throw new TypeError(`${at}.id: must match ${ID} (got ${JSON.stringify(def.id)})`);
    }
    if (seen.has(def.id)) throw new TypeError(`${at}.id: "${def.id}" is defined twice`);
    seen.add(def.id);
    const base = byId.get(def.id);
    const merged = base ? { ...base, ...stripUndefined(def) } : withDefaults(def, byId);
    byId.set(def.id, validateManifest(merged, `${at}`));
  });
  return [...byId.values()];
}

function withDefaults(def: ProviderDefinition, known: ReadonlyMap<string, ProviderManifest>): Partial<ProviderManifest> {
  const kind = def.kind ?? 'cli';
  // A provider that declares an agent inherits that agent's submit and resume rules (SPEC §17).
  const agent = typeof def.agent === 'string' ? builtinAgent(def.agent, known) : undefined;
  return {
    ...(agent ? { submit_key: agent.submit_key, ...(agent.resume ? { resume: agent.resume } : {}) } : {}),
    display_name: def.id,
    kind,
    args: [],
    submit_key: kind === 'shell' ? '\n' : '\r',
    config_schema: {},
    ...stripUndefined(def),
  };
}

/** Checks every field of one manifest; returns it as a ProviderManifest. */
export function validateManifest(m: Partial<ProviderManifest>, at: string): ProviderManifest {
  const fail = (field: string, why: string): never => {
    throw new TypeError(`${at}.${field}: ${why}`);
  };
  if (typeof m.display_name !== 'string' || m.display_name === '' || m.display_name.length > 128) {
    fail('display_name', 'must be a string of 1–128 characters');
  }
  if (m.kind !== 'cli' && m.kind !== 'shell') fail('kind', 'must be "cli" or "shell"');
  if (typeof m.command !== 'string' || m.command.trim() === '' || m.command.length > MAX_STRING || m.command.includes('\0')) {
    fail('command', 'must be a non-empty string');
  }
  checkStrings(m.args, 'args', fail);
  if (m.env !== undefined) {
    if (!isPlainObject(m.env)) fail('env', 'must be an object of strings');
    for (const [k, v] of Object.entries(m.env ?? {})) {
      if (!ENV_NAME.test(k)) fail(`env.${k}`, 'is not a valid environment variable name');
      if (typeof v !== 'string' || v.includes('\0')) fail(`env.${k}`, 'must be a string');
    }
  }
  if (m.resume !== undefined) {
    if (!isPlainObject(m.resume)) fail('resume', 'must be an object');
    checkStrings(m.resume!.resumeArgs, 'resume.resumeArgs', fail);
    if (m.resume!.spawnArgs !== undefined) checkStrings(m.resume!.spawnArgs, 'resume.spawnArgs', fail);
    if (m.resume!.prepend !== undefined && typeof m.resume!.prepend !== 'boolean') fail('resume.prepend', 'must be a boolean');
  }
  if (typeof m.submit_key !== 'string' || m.submit_key === '' || m.submit_key.length > 16) {
    fail('submit_key', 'must be a string of 1–16 characters');
  }
  if (!isPlainObject(m.config_schema)) fail('config_schema', 'must be an object');
  const schema = m.config_schema as Record<string, ConfigField>;
  for (const [key, field] of Object.entries(schema)) checkField(key, field, (f, why) => fail(`config_schema.${f}`, why));
  for (const prop of ['config_flags', 'config_env'] as const) {
    const map = m[prop];
    if (map === undefined) continue;
    if (!isPlainObject(map)) fail(prop, 'must be an object');
    for (const [key, target] of Object.entries(map)) {
      if (!(key in schema)) fail(`${prop}.${key}`, 'names no field of config_schema');
      const ok = prop === 'config_flags' ? typeof target === 'string' && /^-{1,2}[^\s=]+$/.test(target) : typeof target === 'string' && ENV_NAME.test(target);
      if (!ok) fail(`${prop}.${key}`, prop === 'config_flags' ? 'must be a flag such as "--model"' : 'must be an environment variable name');
    }
  }
  if (m.config_args !== undefined && schema[m.config_args]?.type !== 'string[]') {
    fail('config_args', 'must name a config_schema field of type "string[]"');
  }
  if (m.version_args !== undefined) checkStrings(m.version_args, 'version_args', fail);
  if (m.enabled !== undefined && typeof m.enabled !== 'boolean') fail('enabled', 'must be a boolean');
  validatePolicyFields(m, schema, fail);
  if (m.agent !== undefined && !AGENTS.includes(m.agent)) fail('agent', `must be one of ${AGENTS.join(', ')}`);
  if (m.resume?.fallbackArgs !== undefined) checkStrings(m.resume.fallbackArgs, 'resume.fallbackArgs', fail);
  return m as ProviderManifest;
}

function checkField(key: string, field: ConfigField, fail: (field: string, why: string) => never): void {
  if (!CONFIG_KEY.test(key) || RESERVED_KEYS.has(key)) fail(key, `is not an allowed config key (must match ${CONFIG_KEY}, not "enabled" or "command")`);
  if (!isPlainObject(field)) fail(key, 'must be an object');
  if (!FIELD_TYPES.includes(field.type)) fail(`${key}.type`, `must be one of ${FIELD_TYPES.join(', ')}`);
  if (field.secret !== undefined && typeof field.secret !== 'boolean') fail(`${key}.secret`, 'must be a boolean');
  if (field.enum !== undefined) {
    const scalar = field.type === 'string' || field.type === 'number';
    if (!scalar || !Array.isArray(field.enum) || field.enum.length === 0 || field.enum.some((v) => typeof v !== field.type)) {
      fail(`${key}.enum`, `must be a non-empty list of ${field.type} values (string or number fields only)`);
    }
  }
  if (field.default !== undefined) {
    const d: unknown = field.default;
    const ok =
      field.type === 'string[]'
        ? Array.isArray(d) && d.every((s) => typeof s === 'string')
        : typeof d === field.type && (field.enum === undefined || field.enum.includes(d as string | number));
    if (!ok) fail(`${key}.default`, `must be a valid ${field.type} value`);
  }
}

function checkStrings(value: unknown, field: string, fail: (field: string, why: string) => never): void {
  if (!Array.isArray(value) || value.length > MAX_ARGS) fail(field, `must be a list of at most ${MAX_ARGS} strings`);
  (value as unknown[]).forEach((s, i) => {
    if (typeof s !== 'string' || s.length > MAX_STRING || s.includes('\0')) fail(`${field}[${i}]`, 'must be a string');
  });
}

function builtinAgent(kind: string, known: ReadonlyMap<string, ProviderManifest>): ProviderManifest | undefined {
  const m = known.get(kind);
  return m?.agent === kind ? m : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
