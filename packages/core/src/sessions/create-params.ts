import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
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
 * cwd: an existing directory and, when `allowedRoots` is set, inside one of them after
 * symlinks are resolved (so a link cannot escape a root).
 */
export async function parseCreate(body: unknown, roots: { workspaceRoot: string; allowedRoots?: string[] }): Promise<CreateParams> {
  const b = validateCreate.check(body);
  const cwd = await checkCwd(b.cwd ?? roots.workspaceRoot, roots.allowedRoots);
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

async function checkCwd(input: string, allowedRoots: string[] | undefined): Promise<string> {
  if (input === '' || input.includes('\0') || !isAbsolute(input)) throw badRequest('cwd: must be an absolute path');
  const cwd = resolve(input);
  let real: string;
  try {
    if (!(await stat(cwd)).isDirectory()) throw badRequest('cwd: not a directory');
    real = await realpath(cwd);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw badRequest('cwd: no such directory');
  }
  if (allowedRoots && allowedRoots.length > 0) {
    const inside = await Promise.all(allowedRoots.map(async (root) => within(real, await realpath(root).catch(() => resolve(root)))));
    if (!inside.some(Boolean)) throw badRequest('cwd: outside the allowed roots');
  }
  return cwd;
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
