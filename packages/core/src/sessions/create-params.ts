import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { CreateSessionRequest, DEFAULT_COLS, DEFAULT_ROWS } from '@opendray/sdk/wire';
import { GatewayError, badRequest } from '../errors.js';
import { compile } from '../validation/ajv.js';

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

const validateCreate = compile<CreateSessionRequest>(CreateSessionRequest, 'CreateSessionRequest');

/**
 * Validates `POST /sessions` (SPEC §5.2) against its schema (so an embedder calling
 * `gateway.sessions.create` gets the same 400s as HTTP), fills the defaults, and checks the
 * cwd is an existing directory. Where it may be (the allowed roots on its real path, never
 * the data dir) is checked at every spawn, create and restart alike (`sessions/cwd-policy.ts`).
 */
export async function parseCreate(body: unknown, roots: { workspaceRoot: string }): Promise<CreateParams> {
  const b = validateCreate.check(body);
  const cwd = await checkCwd(b.cwd ?? roots.workspaceRoot);
  return {
    provider_id: b.provider_id ?? 'shell',
    ...(b.name != null ? { name: b.name } : {}),
    cwd,
    args: b.args ?? [],
    env: b.env ?? {},
    cols: b.cols ?? DEFAULT_COLS,
    rows: b.rows ?? DEFAULT_ROWS,
    ...(b.model != null ? { model: b.model } : {}),
  };
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
