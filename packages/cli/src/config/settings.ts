import { homedir } from 'node:os';
import { join } from 'node:path';

/** The value types a setting can have. */
type Kind = 'string' | 'port' | 'ms' | 'level' | 'path';

/** One setting of `opendray serve`: its config-file key, env name and flag (SPEC §12). */
export interface SettingSpec {
  key: SettingKey;
  env: string;
  flag?: string;
  kind: Kind;
  describe: string;
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
  max_live_sessions?: number;
}

export type SettingKey = Exclude<keyof Settings, 'config'>;

/** Every setting, in the order `--help` and the operator guide list them. */
export const SETTINGS: readonly SettingSpec[] = [
  { key: 'host', env: 'OPENDRAY_HOST', flag: '--host <host>', kind: 'string', describe: 'listen address' },
  { key: 'port', env: 'OPENDRAY_PORT', flag: '--port <port>', kind: 'port', describe: 'listen port' },
  { key: 'data_dir', env: 'OPENDRAY_DATA_DIR', flag: '--data-dir <dir>', kind: 'path', describe: 'SQLite file and admin key file' },
  { key: 'admin_user', env: 'OPENDRAY_ADMIN_USER', kind: 'string', describe: 'admin login (else from the key file)' },
  { key: 'admin_password', env: 'OPENDRAY_ADMIN_PASSWORD', kind: 'string', describe: 'admin password (else from the key file)' },
  { key: 'admin_token', env: 'OPENDRAY_ADMIN_TOKEN', kind: 'string', describe: 'static admin bearer token' },
  { key: 'idle_threshold_ms', env: 'OPENDRAY_IDLE_THRESHOLD_MS', kind: 'ms', describe: 'silence before session.idle' },
  { key: 'health_interval_ms', env: 'OPENDRAY_HEALTH_INTERVAL_MS', kind: 'ms', describe: 'integration probe cadence' },
  { key: 'health_timeout_ms', env: 'OPENDRAY_HEALTH_TIMEOUT_MS', kind: 'ms', describe: 'integration probe timeout' },
  { key: 'workspace', env: 'OPENDRAY_WORKSPACE', kind: 'path', describe: 'default cwd of new sessions' },
  { key: 'log_level', env: 'OPENDRAY_LOG_LEVEL', kind: 'level', describe: 'debug | info | warn | error' },
  { key: 'body_limit_bytes', env: 'OPENDRAY_BODY_LIMIT_BYTES', kind: 'ms', describe: 'request body cap in bytes' },
  { key: 'proxy_timeout_ms', env: 'OPENDRAY_PROXY_TIMEOUT_MS', kind: 'ms', describe: 'reverse proxy upstream timeout' },
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
  };
}

/** Parses one raw value (a string from a flag or env, or a file value); throws a one-line message. */
export function parseSetting(spec: SettingSpec, raw: unknown): string | number {
  const bad = (why: string): never => {
    throw new Error(`${why} (got ${JSON.stringify(raw)})`);
  };
  switch (spec.kind) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw === '') bad('must be a non-empty string');
      return raw as string;
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
  }
}
