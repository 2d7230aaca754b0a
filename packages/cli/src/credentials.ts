import { readFile, stat } from 'node:fs/promises';
import { writeSecretFile } from '@opendray/sdk/node';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CliError } from './cli-error.js';

/** One saved `opendray login`: an admin token for one gateway. */
export interface SavedLogin {
  token: string;
  username: string;
  expires_at?: string;
  saved_at: string;
}

/**
 * The credentials file: saved logins keyed by gateway URL (see {@link normalizeUrl}),
 * and the gateway of the last login, which later commands use when no URL is given.
 */
export interface CredentialsFile {
  current?: string;
  gateways: Record<string, SavedLogin>;
}

/**
 * `$XDG_CONFIG_HOME/opendray/credentials.json`, else `~/.config/opendray/credentials.json`
 * (a relative `XDG_CONFIG_HOME` is ignored, as the XDG spec requires).
 */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'opendray', 'credentials.json');
}

/**
 * The canonical form of a gateway URL, the key of the credentials file: origin plus any
 * path prefix, no trailing slash, no `/api/v1`. Throws a usage error (exit 2) for
 * anything that is not an http(s) URL.
 */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`opendray: --url: not a URL: ${raw}`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`opendray: --url: must be http(s): ${raw}`, 2);
  if (url.username || url.password) throw new CliError('opendray: --url: must not contain credentials', 2);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return `${url.origin}${path}`;
}

/** Reads the file; a missing file is an empty one. A corrupt file is an error naming it. */
export async function readCredentials(path: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gateways: {} };
    throw new CliError(`opendray: cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`opendray: ${path} is not valid JSON; delete it and log in again`);
  }
  const file = parsed as Partial<CredentialsFile> | null;
  const gateways: Record<string, SavedLogin> = {};
  if (file && typeof file.gateways === 'object' && file.gateways) {
    for (const [url, login] of Object.entries(file.gateways)) {
      if (login && typeof login.token === 'string' && login.token) gateways[url] = login;
    }
  }
  return { ...(typeof file?.current === 'string' ? { current: file.current } : {}), gateways };
}

/** Whether the file can be read by anyone but its owner (then the CLI warns). */
export async function isExposed(path: string): Promise<boolean> {
  try {
    return ((await stat(path)).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** Writes the file atomically with mode 0600 (directory 0700): `writeSecretFile` of `@opendray/sdk/node`. */
export async function writeCredentials(path: string, data: CredentialsFile): Promise<void> {
  try {
    await writeSecretFile(path, `${JSON.stringify(data, null, 2)}\n`);
  } catch (err) {
    throw new CliError(`opendray: cannot write ${path}: ${(err as Error).message}`);
  }
}
