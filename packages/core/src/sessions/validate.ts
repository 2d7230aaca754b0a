import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { GatewayError, badRequest } from '../errors.js';

/** A create request after validation, defaults filled in (SPEC §5.2). */
export interface CreateParams {
  provider_id: string;
  name?: string;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  cols: number;
  rows: number;
  model?: string;
}

const MAX_ARGS = 64;
const MAX_ARG_CHARS = 8192;
const MAX_ENV = 256;
const MAX_ENV_CHARS = 32_768;
const MAX_NAME = 128;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// Control characters are refused in names and models: they end up in logs and UIs.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Validates `POST /sessions` (SPEC §5.2): every failure is a 400 naming the field. The cwd
 * must be an existing directory; where it may be (allowed roots, never the data dir) is
 * checked at every spawn by `resolveCwd` (sessions/cwd-policy.ts).
 */
export async function parseCreate(body: unknown, roots: { workspaceRoot: string }): Promise<CreateParams> {
  const b = object(body, 'body');
  const provider_id = optionalString(b.provider_id, 'provider_id', 64) ?? 'shell';
  const name = optionalString(b.name, 'name', MAX_NAME);
  if (name !== undefined && (name === '' || CONTROL.test(name))) throw badRequest(`name: must be 1–${MAX_NAME} printable characters`);
  const model = optionalString(b.model, 'model', 256);
  if (model !== undefined && (model === '' || CONTROL.test(model))) throw badRequest('model: must be 1–256 printable characters');

  let args: string[] = [];
  if (b.args !== undefined) {
    if (!Array.isArray(b.args)) throw badRequest('args: must be a list of strings');
    if (b.args.length > MAX_ARGS) throw badRequest(`args: at most ${MAX_ARGS} arguments`);
    args = b.args.map((a, i) => {
      if (typeof a !== 'string' || a.length > MAX_ARG_CHARS || a.includes('\0')) {
        throw badRequest(`args[${i}]: must be a string of at most ${MAX_ARG_CHARS} characters without NUL`);
      }
      return a;
    });
  }

  const env: Record<string, string> = {};
  if (b.env !== undefined) {
    const e = object(b.env, 'env');
    const entries = Object.entries(e);
    if (entries.length > MAX_ENV) throw badRequest(`env: at most ${MAX_ENV} variables`);
    for (const [k, v] of entries) {
      if (!ENV_NAME.test(k)) throw badRequest(`env: invalid variable name ${JSON.stringify(k.slice(0, 64))}`);
      if (typeof v !== 'string' || v.length > MAX_ENV_CHARS || v.includes('\0')) {
        throw badRequest(`env.${k}: must be a string of at most ${MAX_ENV_CHARS} characters without NUL`);
      }
      env[k] = v;
    }
  }

  const { cols, rows } = parseSize(b, { cols: 120, rows: 40 });
  const cwdInput = optionalString(b.cwd, 'cwd', 4096) ?? roots.workspaceRoot;
  const cwd = await checkCwd(cwdInput);
  return { provider_id, ...(name !== undefined ? { name } : {}), cwd, args, env, cols, rows, ...(model !== undefined ? { model } : {}) };
}

/** `cols` and `rows`: integers 1–1000 (SPEC §4); `defaults` fills absent ones, else both are required. */
export function parseSize(body: unknown, defaults?: { cols: number; rows: number }): { cols: number; rows: number } {
  const b = object(body, 'body');
  const one = (field: 'cols' | 'rows'): number => {
    const v = b[field];
    if (v === undefined && defaults) return defaults[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) throw badRequest(`${field}: must be an integer 1–1000`);
    return v;
  };
  return { cols: one('cols'), rows: one('rows') };
}

async function checkCwd(input: string): Promise<string> {
  if (input === '' || input.includes('\0') || !isAbsolute(input)) throw badRequest('cwd: must be an absolute path');
  const cwd = resolve(input);
  try {
    if (!(await stat(cwd)).isDirectory()) throw badRequest('cwd: not a directory');
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw badRequest('cwd: no such directory');
  }
  return cwd;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${field}: must be a JSON object`);
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) throw badRequest(`${field}: must be a string of at most ${max} characters`);
  return value;
}

/** `?since=`: absent, or a non-negative safe integer (SPEC §5.4); anything else is a 400. */
export function parseSince(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw badRequest('since: must be a non-negative integer');
  return Number(raw);
}
