import { homedir } from 'node:os';
import { join } from 'node:path';

/** The value types a setting can have: `ms` a positive integer, `count` one ≥ 0, `list` and `paths` comma-separated. */
type Kind = 'string' | 'port' | 'ms' | 'count' | 'level' | 'path' | 'list' | 'paths' | 'sandbox';

/** One setting of `opendray serve`: its config-file key, env name and flag (SPEC §12). */
export interface SettingSpec {
  key: SettingKey;
  env: string;
  flag?: string;
  kind: Kind;
  describe: string;
  /** Shortest accepted value (strings). */
  minLength?: number;
  /** Never echoed in an error message. */
  secret?: boolean;
}

export interface Settings {
  host: string;
  port: number;
  data_dir: string;
  config?: string;
  admin_user?: string;
  admin_password?: string;
  admin_token?: string;
  idle_threshold_ms: number;
  health_interval_ms: number;
  health_timeout_ms: number;
  workspace: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  body_limit_bytes?: number;
  proxy_timeout_ms?: number;
  trust_proxy?: string[];
  // Bounds of docs/abuse-resistance.md; unset means the gateway's default.
  connections_per_address?: number;
  max_connections?: number;
  sockets_per_credential?: number;
  headers_timeout_ms?: number;
  request_timeout_ms?: number;
  body_timeout_ms?: number;
  login_max_failures?: number;
  login_window_ms?: number;
  credential_max_failures?: number;
  credential_window_ms?: number;
  verification_concurrency?: number;
  verification_max_queued?: number;
  verification_per_address?: number;
  screen_render_concurrency?: number;
  screen_render_max_queued?: number;
  ended_sessions_per_owner?: number;
  ended_session_bytes_per_owner?: number;
  ended_session_max_age_ms?: number;
  call_log_max_rows?: number;
  call_log_max_age_ms?: number;
  call_log_rejected_max_rows?: number;
  call_log_rejected_max_age_ms?: number;
  /** SPEC §15: `auto` (bubblewrap when it runs), `bwrap` (required) or `off`. */
  sandbox: 'auto' | 'bwrap' | 'off';
  /** Session `cwd`s must lie inside one of these (absolute paths). */
  allowed_roots?: string[];
  max_live_sessions?: number;
}

export type SettingKey = Exclude<keyof Settings, 'config'>;

/** Every setting, in the order `--help` and the operator guide list them. */
export const SETTINGS: readonly SettingSpec[] = [
  { key: 'host', env: 'OPENDRAY_HOST', flag: '--host <host>', kind: 'string', describe: 'listen address' },
  { key: 'port', env: 'OPENDRAY_PORT', flag: '--port <port>', kind: 'port', describe: 'listen port' },
  { key: 'data_dir', env: 'OPENDRAY_DATA_DIR', flag: '--data-dir <dir>', kind: 'path', describe: 'SQLite file and admin key file' },
  { key: 'admin_user', env: 'OPENDRAY_ADMIN_USER', kind: 'string', describe: 'admin login (else from the key file)' },
  { key: 'admin_password', env: 'OPENDRAY_ADMIN_PASSWORD', kind: 'string', secret: true, describe: 'admin password (else from the key file), 8 characters to 72 bytes' },
  { key: 'admin_token', env: 'OPENDRAY_ADMIN_TOKEN', kind: 'string', secret: true, minLength: 16, describe: 'static admin bearer token, at least 16 characters' },
  { key: 'idle_threshold_ms', env: 'OPENDRAY_IDLE_THRESHOLD_MS', kind: 'ms', describe: 'silence before session.idle' },
  { key: 'health_interval_ms', env: 'OPENDRAY_HEALTH_INTERVAL_MS', kind: 'ms', describe: 'integration probe cadence' },
  { key: 'health_timeout_ms', env: 'OPENDRAY_HEALTH_TIMEOUT_MS', kind: 'ms', describe: 'integration probe timeout' },
  { key: 'workspace', env: 'OPENDRAY_WORKSPACE', kind: 'path', describe: 'default cwd of new sessions' },
  { key: 'log_level', env: 'OPENDRAY_LOG_LEVEL', kind: 'level', describe: 'debug | info | warn | error' },
  { key: 'body_limit_bytes', env: 'OPENDRAY_BODY_LIMIT_BYTES', kind: 'ms', describe: 'request body cap in bytes' },
  { key: 'proxy_timeout_ms', env: 'OPENDRAY_PROXY_TIMEOUT_MS', kind: 'ms', describe: 'reverse proxy upstream timeout' },
  { key: 'trust_proxy', env: 'OPENDRAY_TRUST_PROXY', flag: '--trust-proxy <list>', kind: 'list', describe: 'proxies whose X-Forwarded-For is believed: IPs, CIDRs, "loopback"' },
  { key: 'connections_per_address', env: 'OPENDRAY_CONNECTIONS_PER_ADDRESS', kind: 'ms', describe: 'open connections per client address (256)' },
  { key: 'max_connections', env: 'OPENDRAY_MAX_CONNECTIONS', kind: 'ms', describe: 'open connections in total (10000)' },
  { key: 'sockets_per_credential', env: 'OPENDRAY_SOCKETS_PER_CREDENTIAL', kind: 'ms', describe: 'WebSockets per credential (256)' },
  { key: 'headers_timeout_ms', env: 'OPENDRAY_HEADERS_TIMEOUT_MS', kind: 'ms', describe: 'time to receive request headers (30000)' },
  { key: 'request_timeout_ms', env: 'OPENDRAY_REQUEST_TIMEOUT_MS', kind: 'ms', describe: 'time to receive a whole request (300000)' },
  { key: 'body_timeout_ms', env: 'OPENDRAY_BODY_TIMEOUT_MS', kind: 'ms', describe: 'time to receive a JSON body (10000)' },
  { key: 'login_max_failures', env: 'OPENDRAY_LOGIN_MAX_FAILURES', kind: 'ms', describe: 'failed logins per address per window (10)' },
  { key: 'login_window_ms', env: 'OPENDRAY_LOGIN_WINDOW_MS', kind: 'ms', describe: 'login failure window (900000)' },
  { key: 'credential_max_failures', env: 'OPENDRAY_CREDENTIAL_MAX_FAILURES', kind: 'ms', describe: 'refused credentials per address per window (30)' },
  { key: 'credential_window_ms', env: 'OPENDRAY_CREDENTIAL_WINDOW_MS', kind: 'ms', describe: 'refused credential window (60000)' },
  { key: 'verification_concurrency', env: 'OPENDRAY_VERIFICATION_CONCURRENCY', kind: 'ms', describe: 'bcrypt checks at once (cores - 1, 1 to 2)' },
  { key: 'verification_max_queued', env: 'OPENDRAY_VERIFICATION_MAX_QUEUED', kind: 'count', describe: 'bcrypt checks waiting, then 503 (16)' },
  { key: 'verification_per_address', env: 'OPENDRAY_VERIFICATION_PER_ADDRESS', kind: 'ms', describe: 'bcrypt checks per address, then 429 (8)' },
  { key: 'screen_render_concurrency', env: 'OPENDRAY_SCREEN_RENDER_CONCURRENCY', kind: 'ms', describe: '/screen renders at once (1)' },
  { key: 'screen_render_max_queued', env: 'OPENDRAY_SCREEN_RENDER_MAX_QUEUED', kind: 'count', describe: '/screen renders waiting, then 429 (8)' },
  { key: 'ended_sessions_per_owner', env: 'OPENDRAY_ENDED_SESSIONS_PER_OWNER', kind: 'count', describe: 'ended sessions kept per integration or operator (50)' },
  { key: 'ended_session_bytes_per_owner', env: 'OPENDRAY_ENDED_SESSION_BYTES_PER_OWNER', kind: 'count', describe: 'stored bytes of ended sessions per owner (67108864)' },
  { key: 'ended_session_max_age_ms', env: 'OPENDRAY_ENDED_SESSION_MAX_AGE_MS', kind: 'count', describe: 'age at which an ended session is forgotten (604800000)' },
  { key: 'call_log_max_rows', env: 'OPENDRAY_CALL_LOG_MAX_ROWS', kind: 'ms', describe: 'call-log rows kept (100000)' },
  { key: 'call_log_max_age_ms', env: 'OPENDRAY_CALL_LOG_MAX_AGE_MS', kind: 'ms', describe: 'call-log row age (2592000000)' },
  { key: 'call_log_rejected_max_rows', env: 'OPENDRAY_CALL_LOG_REJECTED_MAX_ROWS', kind: 'ms', describe: 'rows of refused credentials kept (10000)' },
  { key: 'call_log_rejected_max_age_ms', env: 'OPENDRAY_CALL_LOG_REJECTED_MAX_AGE_MS', kind: 'ms', describe: 'age of rows of refused credentials (604800000)' },
  { key: 'sandbox', env: 'OPENDRAY_SANDBOX', flag: '--sandbox <mode>', kind: 'sandbox', describe: 'session sandbox: auto | bwrap | off' },
  { key: 'allowed_roots', env: 'OPENDRAY_ALLOWED_ROOTS', flag: '--allowed-root <dir>', kind: 'paths', describe: 'where session cwds may be (comma list; flag repeatable)' },
  { key: 'max_live_sessions', env: 'OPENDRAY_MAX_LIVE_SESSIONS', kind: 'ms', describe: 'live sessions the gateway runs at most (default 1000; past it 503)' },
];

/** Defaults of SPEC §12, for what no flag, env or file sets. */
export function defaultSettings(): Settings {
  return {
    host: '127.0.0.1',
    port: 8770,
    data_dir: join(homedir(), '.opendray'),
    idle_threshold_ms: 30_000,
    health_interval_ms: 30_000,
    health_timeout_ms: 5_000,
    workspace: homedir(),
    log_level: 'info',
    sandbox: 'auto',
  };
}

/** Parses one raw value (a string from a flag or env, or a file value); throws a one-line message. */
export function parseSetting(spec: SettingSpec, raw: unknown): string | number | string[] {
  const bad = (why: string): never => {
    throw new Error(spec.secret ? why : `${why} (got ${JSON.stringify(raw)})`);
  };
  switch (spec.kind) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw === '') bad('must be a non-empty string');
      if (spec.minLength !== undefined && (raw as string).length < spec.minLength) bad(`must be at least ${spec.minLength} characters`);
      return raw as string;
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : bad('must be a list (comma-separated)');
      const list = (items as unknown[]).map((v) => (typeof v === 'string' ? v.trim() : bad('must be a list of strings'))).filter(Boolean);
      return list as string[];
    }
    case 'count': {
      const n = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 0) bad('must be an integer >= 0');
      return n;
    }
    case 'port': {
      const n = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65535) bad('must be an integer 0–65535');
      return n;
    }
    case 'ms': {
      const n = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 1) bad('must be a positive integer');
      return n;
    }
    case 'level':
      if (!['debug', 'info', 'warn', 'error'].includes(String(raw))) bad('must be debug, info, warn or error');
      return String(raw);
    case 'sandbox':
      if (!['auto', 'bwrap', 'off'].includes(String(raw))) bad('must be auto, bwrap or off');
      return String(raw);
    case 'paths': {
      // A list (file, repeated flag) or one comma-separated string (env, flag).
      const items = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
      const paths = items.map((v) => (typeof v === 'string' ? v.trim() : v)).filter((v) => v !== '');
      if (paths.length === 0 || paths.some((p) => typeof p !== 'string' || !p.startsWith('/'))) bad('must be absolute paths');
      return paths as string[];
    }
  }
}
