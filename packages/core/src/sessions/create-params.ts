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
  private?: boolean;
}

const validateCreate = compile<CreateSessionRequest>(CreateSessionRequest, 'CreateSessionRequest');

/**
 * Validates `POST /sessions` (SPEC §5.2) against its schema (so an embedder calling
 * `gateway.sessions.create` gets the same 400s as HTTP), fills the defaults (`provider_id`:
 * the integration's `default_provider_id`, else `shell`; SPEC §16), and checks the
 * cwd: an existing directory and, when `allowedRoots` is set, inside one of them after
 * symlinks are resolved (so a link cannot escape a root).
 */
export async function parseCreate(
  body: unknown,
  roots: { workspaceRoot: string; allowedRoots?: string[] },
  defaultProviderId = 'shell',
): Promise<CreateParams> {
  const b = validateCreate.check(body);
  const cwd = await checkCwd(b.cwd ?? roots.workspaceRoot, roots.allowedRoots);
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
