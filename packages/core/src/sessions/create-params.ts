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
  private?: boolean;
}

const validateCreate = compile<CreateSessionRequest>(CreateSessionRequest, 'CreateSessionRequest');

/**
 * Validates `POST /sessions` (SPEC §5.2) against its schema (so an embedder calling
 * `gateway.sessions.create` gets the same 400s as HTTP), fills the defaults (`provider_id`:
 * the integration's `default_provider_id`, else `shell`; SPEC §16), and checks the cwd is
 * an existing directory. Where it may be (the allowed roots on its real path, never the
 * data dir) is checked at every spawn, create and restart alike (`sessions/cwd-policy.ts`).
 */
export async function parseCreate(body: unknown, roots: { workspaceRoot: string }, defaultProviderId = 'shell'): Promise<CreateParams> {
  const b = validateCreate.check(body);
  const cwd = await checkCwd(b.cwd ?? roots.workspaceRoot);
  return {
    // `""` is absent, as v2 reads Go's zero values (SPEC §16).
    provider_id: b.provider_id || defaultProviderId,
    ...(b.name ? { name: b.name } : {}),
    cwd,
    args: b.args ?? [],
    env: b.env ?? {},
    cols: b.cols ?? DEFAULT_COLS,
    rows: b.rows ?? DEFAULT_ROWS,
    ...(b.model ? { model: b.model } : {}),
    ...(b.private ? { private: true } : {}),
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
