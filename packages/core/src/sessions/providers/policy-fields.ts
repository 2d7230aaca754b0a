import type { ConfigField, ProviderManifest } from './types.js';

type Fail = (field: string, why: string) => never;

const FLAG_OR_WORD = /^(-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*|[A-Za-z0-9][A-Za-z0-9_-]*)$/;
const ENV_PATTERN = /^\*?[A-Za-z_][A-Za-z0-9_]*\*?$/;
const MAX_ITEMS = 256;

/**
 * Checks the launch-policy fields of one operator manifest (SPEC §15): `accepts_args`,
 * `refuse_args`, `refuse_env`, each field's `integration_writable` and `overridden_by`,
 * and that its `env` sets no `OPENDRAY_*` variable (those never reach a session).
 */
export function validatePolicyFields(m: Partial<ProviderManifest>, schema: Record<string, ConfigField>, fail: Fail): void {
  if (m.accepts_args !== undefined && typeof m.accepts_args !== 'boolean') fail('accepts_args', 'must be a boolean');
  strings(m.refuse_args, 'refuse_args', FLAG_OR_WORD, 'a flag such as "--settings" or "-c", or a sub-command word', fail);
  strings(m.refuse_env, 'refuse_env', ENV_PATTERN, 'a variable name, optionally with a leading or trailing "*"', fail);
  for (const name of Object.keys(m.env ?? {})) {
    if (/^OPENDRAY_/i.test(name)) fail(`env.${name}`, 'OPENDRAY_* variables never reach a session (SPEC §15)');
  }
  for (const [key, field] of Object.entries(schema)) {
    if (field.integration_writable !== undefined && typeof field.integration_writable !== 'boolean') {
      fail(`config_schema.${key}.integration_writable`, 'must be a boolean');
    }
    if (field.integration_writable && (field.secret || key === m.config_args)) {
      fail(`config_schema.${key}.integration_writable`, 'a secret or the extra-arguments field is admin-only');
    }
    strings(field.overridden_by, `config_schema.${key}.overridden_by`, FLAG_OR_WORD, 'a flag such as "--yolo"', fail);
  }
}

function strings(value: unknown, field: string, shape: RegExp, what: string, fail: Fail): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length > MAX_ITEMS) fail(field, `must be a list of at most ${MAX_ITEMS} strings`);
  (value as unknown[]).forEach((v, i) => {
    if (typeof v !== 'string' || !shape.test(v)) fail(`${field}[${i}]`, `must be ${what}`);
  });
}
