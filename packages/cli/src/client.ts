import { OpendrayClient, OpendrayError } from '@opendray/sdk';
import { CliError } from './cli-error.js';
import { flagForField } from './global-flags.js';
import { selfCommand } from './invocation.js';
import { credentialsPath, isExposed, normalizeUrl, readCredentials } from './credentials.js';

/** Where the CLI talks to when nothing says otherwise (SPEC §1). */
export const DEFAULT_URL = 'http://127.0.0.1:8770';

/** The `--url` / `--token` flags every admin command takes. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
}

/** Where the token of a connection came from (only used to word errors). */
export type TokenSource = 'flag' | 'env' | 'login';

/** A ready client and what it was built from. */
export interface Connection {
  client: OpendrayClient;
  url: string;
  /** The credential itself, for `opendray auth token`; never printed by anything else. */
  token: string;
  tokenSource: TokenSource;
}

/**
 * The gateway URL: `--url`, else `OPENDRAY_URL`, else the gateway of the last
 * `opendray login`, else {@link DEFAULT_URL}. Normalized (see `normalizeUrl`).
 */
export async function resolveUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (flags.url) return normalizeUrl(flags.url);
  if (env.OPENDRAY_URL) return normalizeUrl(env.OPENDRAY_URL);
  const saved = await readCredentials(credentialsPath(env));
  return saved.current ? normalizeUrl(saved.current) : DEFAULT_URL;
}

/**
 * Builds a client of the gateway with a credential: `--token`, else `OPENDRAY_TOKEN`, else
 * the token saved by `opendray login` for that URL. No credential (or an expired saved
 * login) is an error that says how to get one; the token itself is never printed.
 */
export async function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const url = await resolveUrl(flags, env);
  let token: string | undefined;
  let tokenSource: TokenSource = 'flag';
  if (flags.token) token = flags.token;
  else if (env.OPENDRAY_TOKEN) {
    token = env.OPENDRAY_TOKEN;
    tokenSource = 'env';
  } else {
    const path = credentialsPath(env);
    const login = (await readCredentials(path)).gateways[url];
    if (!login) throw new CliError(`opendray: not logged in to ${url}: run "${selfCommand()} login --url ${url}", or pass --token / set OPENDRAY_TOKEN`);
    if (login.expires_at && Date.parse(login.expires_at) <= Date.now()) {
      throw new CliError(`opendray: the saved login to ${url} expired: run "${selfCommand()} login --url ${url}" again`);
    }
    if (await isExposed(path)) process.stderr.write(`opendray: warning: ${path} is readable by other users; run: chmod 600 ${path}\n`);
    token = login.token;
    tokenSource = 'login';
  }
  return { client: new OpendrayClient({ baseUrl: url, token }), url, token, tokenSource };
}

/** A client without a credential (login). */
export function anonymousClient(url: string): OpendrayClient {
  return new OpendrayClient({ baseUrl: url });
}

/**
 * The one line an SDK failure becomes (exit 1), e.g.
 * `opendray: 404 not_found: session not found`. A refused saved login adds how to renew it.
 */
export function apiError(err: unknown, conn?: Pick<Connection, 'url' | 'tokenSource'>): unknown {
  if (!(err instanceof OpendrayError)) return err;
  if (err.status === 0) {
    const detail = rootCause(err);
    const where = conn ? ` ${conn.url}` : '';
    if (err.code === 'network_error') return new CliError(`opendray: cannot reach${where || ' the gateway'}${detail ? ` (${detail})` : ''}`);
    return new CliError(`opendray: ${err.code}: ${err.message}`);
  }
  let line = `opendray: ${err.status} ${err.code}: ${oneLine(withFlagNames(err))}`;
  if (err.status === 429) line += err.retryAfter ? ` (retry in ${err.retryAfter} s)` : ' (retry later)';
  if (err.status === 401 && conn?.tokenSource === 'login') line += ` (the saved login is no longer valid: run "${selfCommand()} login --url ${conn.url}")`;
  return new CliError(line);
}

/** A validation message names the JSON field; the user typed a flag, so say that instead. */
function withFlagNames(err: OpendrayError): string {
  if (err.code !== 'validation_failed') return err.message;
  const field = /^([a-z][a-z0-9_]*)(?=[:\s])/.exec(err.message)?.[1];
  const flag = field ? flagForField(field) : undefined;
  return flag ? `${flag}${err.message.slice(field!.length)}` : err.message;
}

// fetch's "fetch failed" hides the useful part (ECONNREFUSED, ENOTFOUND…) in its cause.
function rootCause(err: Error): string {
  let cause: unknown = err.cause;
  let last = '';
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    last = code ?? cause.message;
    cause = cause.cause;
  }
  return last;
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');
