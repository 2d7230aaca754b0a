import type { RecordCheck } from './collection.js';

/**
 * Shape checks of stored records, run once at load: a record that fails one is skipped
 * and logged with its key instead of breaking every login or listing (SPEC §11). They
 * check what the gateway's code relies on, not every optional field.
 */

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

function firstProblem(checks: Array<[boolean, string]>): string | null {
  for (const [ok, problem] of checks) if (!ok) return problem;
  return null;
}

function isKey(v: unknown): boolean {
  const k = v as { lookup_id?: unknown; hash?: unknown } | null;
  return typeof k === 'object' && k !== null && isString(k.lookup_id) && isString(k.hash);
}

export const checkIntegration: RecordCheck = (value) => {
  const r = value as Record<string, unknown>;
  return firstProblem([
    [isString(r.name) && r.name !== '', 'name is not a non-empty string'],
    [isKey(r.key), 'key is not {lookup_id, hash}'],
    [r.previous_key === undefined || isKey(r.previous_key), 'previous_key is not {lookup_id, hash}'],
    [isStringList(r.scopes), 'scopes is not a list of strings'],
    [isString(r.base_url) && isString(r.route_prefix), 'base_url / route_prefix are not strings'],
    [typeof r.enabled === 'boolean', 'enabled is not a boolean'],
    [isString(r.created_at), 'created_at is not a string'],
  ]);
};

export const checkSession: RecordCheck = (value) => {
  const r = value as Record<string, unknown>;
  return firstProblem([
    [isString(r.name) && isString(r.provider_id) && isString(r.cwd), 'name / provider_id / cwd are not strings'],
    [isStringList(r.args), 'args is not a list of strings'],
    [isString(r.state), 'state is not a string'],
    [isCount(r.cols) && isCount(r.rows), 'cols / rows are not numbers'],
    [isCount(r.bytes_out), 'bytes_out is not a number'],
    [isString(r.created_at) && isString(r.started_at), 'created_at / started_at are not strings'],
    [r.history === undefined || Array.isArray(r.history), 'history is not a list'],
    [r.env === undefined || (typeof r.env === 'object' && r.env !== null), 'env is not an object'],
  ]);
};

export const checkChannel: RecordCheck = (value) => {
  const r = value as Record<string, unknown>;
  return firstProblem([
    [isString(r.kind) && isString(r.name), 'kind / name are not strings'],
    [typeof r.config === 'object' && r.config !== null, 'config is not an object'],
  ]);
};
