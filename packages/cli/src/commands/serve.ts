import { chmod, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { Gateway } from '@opendray/core';
import type { ConsoleHandler } from '@opendray/console';
import { CliError } from '../cli-error.js';
import { boundsOptions } from '../config/bounds.js';
import { loadServeConfig, type ServeConfig } from '../config/load.js';
import { SETTINGS } from '../config/settings.js';
import { credentialsPath } from '../credentials.js';
import { selfCommand } from '../invocation.js';
import { loadConsole } from '../serve/console.js';
import { DataDirBusyError, lockDataDir } from '../serve/data-dir-lock.js';
import { ignoreBrokenPipes, waitForStop, type StopReason } from '../serve/shutdown-trigger.js';

// `opendray serve` never hashes below this, whatever an embedder may choose (SPEC §2.2).
const SERVE_BCRYPT_COST = 12;
// Shutdown must finish within SPEC §5.7's 10 s even if something hangs.
const SHUTDOWN_DEADLINE_MS = 9_000;

/** Registers `opendray serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the gateway (SQLite store in the data dir)')
    .option('--host <host>', 'listen address (OPENDRAY_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port (OPENDRAY_PORT, default 8770)')
    .option('--data-dir <dir>', 'data directory (OPENDRAY_DATA_DIR, default ~/.opendray)')
    .option('--config <file>', 'config file, .json or .toml (OPENDRAY_CONFIG)')
    .option('--trust-proxy <list>', 'proxies whose X-Forwarded-For is believed: IPs, CIDRs, "loopback" (OPENDRAY_TRUST_PROXY)')
    .option('--sandbox <mode>', 'session sandbox: auto | bwrap | off (OPENDRAY_SANDBOX, default auto)')
    .option('--allowed-root <dir>', 'a directory session cwds may be in; repeatable or a comma list (OPENDRAY_ALLOWED_ROOTS)', collect, [])
    .option('--no-console', 'do not serve the web console at /')
    .addHelpText('after', `\nEnvironment:\n${SETTINGS.map((s) => `  ${s.env.padEnd(30)} ${s.describe}`).join('\n')}\n`)
    .action(async (flags: Record<string, string | string[] | undefined> & { console?: boolean }) => {
      const { console: withConsole = true, ...rest } = flags;
      const config = await loadServeConfig(rest as Record<string, string | string[] | undefined>);
      scrubGatewayEnv();
      await serve(config, withConsole);
    });
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Once read, the gateway's own settings (the admin password and token among them) leave
 * its environment, so nothing that inherits it later can see them (SPEC §15). Sessions
 * get an allow-listed environment anyway, and the sandbox hides this process's
 * /proc/<pid>/environ, which still shows the environment it was started with.
 */
function scrubGatewayEnv(): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('OPENDRAY_')) delete process.env[name];
}

async function serve(config: ServeConfig, withConsole: boolean): Promise<void> {
  ignoreBrokenPipes();
  // Loaded here, not at the top: the admin commands never need the gateway itself.
  const { createGateway, createLogger, resolveAdminCredentials } = await import('@opendray/core');
  await mkdir(config.data_dir, { recursive: true, mode: 0o700 });
  await chmod(config.data_dir, 0o700).catch(() => undefined);
  const lock = await lockDataDir(config.data_dir).catch((err: Error) => {
    if (err instanceof DataDirBusyError) throw new CliError(`opendray: ${err.message}`);
    throw new CliError(`opendray: cannot lock data dir ${config.data_dir}: ${err.message}`);
  });
  // Listening for stop signals from here on: one that arrives during start-up is honoured
  // right after it, never the default action of killing the process mid-write.
  const stop = waitForStop((again) => process.stdout.write(`opendray: ${again} again, still shutting down\n`));
  try {
    // A created key file is written only once the gateway listens, so a failed first
    // start never stores a password that nobody was shown.
    const admin = await resolveAdminCredentials({
      dataDir: config.data_dir,
      envUser: config.admin_user,
      envPassword: config.admin_password,
      bcryptCost: SERVE_BCRYPT_COST,
      deferWrite: true,
    }).catch((err: Error) => {
      throw new CliError(`opendray: admin credentials: ${err.message}`);
    });
    const page = withConsole ? await loadConsole() : null;
    const gateway = await startGateway(config, admin.credentials, page, createGateway, createLogger);
    const url = await listen(gateway, config);
    await admin.save().catch(async (err: Error) => {
      await gateway.close();
      throw new CliError(`opendray: cannot write ${join(config.data_dir, 'admin.json')}: ${err.message}`);
    });
    printBanner(url, admin.credentials.username, admin.origin, sandboxLine(gateway, config), page !== null);
    await shutdownOn(stop, gateway);
  } finally {
    await lock.release();
  }
  // Whatever a library left open (a PTY fd, a socket), a stopped daemon exits.
  setTimeout(() => process.exit(0), 1000).unref();
}

type Core = typeof import('@opendray/core');

async function startGateway(
  config: ServeConfig,
  credentials: { username: string; passwordHash: string },
  page: ConsoleHandler | null,
  createGateway: Core['createGateway'],
  createLogger: Core['createLogger'],
): Promise<Gateway> {
  const bounds = boundsOptions(config);
  try {
    const gateway = await createGateway({
      ...bounds,
      // Requests outside /api/v1 go to the web console (docs/console.md).
      ...(page ? { fallback: page } : {}),
      storage: `sqlite://${join(config.data_dir, 'opendray.sqlite')}`,
      // Each session's output, appended as it arrives: a crash loses at most ~1 s (docs/durability.md).
      outputDir: join(config.data_dir, 'output'),
      auth: { ...bounds.auth, admin: credentials, ...(config.admin_token ? { adminToken: config.admin_token } : {}) },
      host: config.host,
      port: config.port,
      bcryptCost: SERVE_BCRYPT_COST,
      logger: createLogger(config.log_level),
      workspaceRoot: config.workspace,
      idleThresholdMs: config.idle_threshold_ms,
      healthIntervalMs: config.health_interval_ms,
      healthTimeoutMs: config.health_timeout_ms,
      providers: config.providers,
      sandbox: config.sandbox,
      dataDir: config.data_dir,
      // Never visible to a session: the config file, and the CLI's saved admin logins.
      hiddenPaths: [...(config.config ? [config.config] : []), dirname(credentialsPath())],
      ...(config.allowed_roots ? { allowedRoots: config.allowed_roots } : {}),
      ...(config.body_limit_bytes ? { bodyLimitBytes: config.body_limit_bytes } : {}),
      ...(config.proxy_timeout_ms ? { proxyTimeoutMs: config.proxy_timeout_ms } : {}),
      ...(config.max_live_sessions ? { maxLiveSessions: config.max_live_sessions } : {}),
    });
    return gateway;
  } catch (err) {
    throw new CliError(`opendray: ${(err as Error).message}`);
  }
}

async function listen(gateway: Gateway, config: ServeConfig): Promise<string> {
  try {
    return (await gateway.listen(config.port, config.host)).url;
  } catch (err) {
    await gateway.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`opendray: ${config.host}:${config.port} is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`opendray: cannot listen on ${config.host}: address not available`);
    if (code === 'EACCES') throw new CliError(`opendray: no permission to listen on port ${config.port}`);
    throw new CliError(`opendray: cannot listen: ${(err as Error).message}`);
  }
}

/** How sessions run here, in one line (SPEC §15). */
function sandboxLine(gateway: Gateway, config: ServeConfig): string {
  // A sandboxed session may write its cwd: say so when that defaults to the operator's own HOME.
  const wideWorkspace = gateway.sandbox.isolates && !config.allowed_roots && config.workspace === homedir();
  const note = wideWorkspace ? `; integration sessions may work anywhere in ${config.workspace} (set OPENDRAY_WORKSPACE or allowed_roots to a directory of workspaces)` : '';
  return `Sandbox: ${gateway.sandbox.message}${note}`;
}

function printBanner(url: string, username: string, origin: import('@opendray/core').AdminCredentialSource, sandbox: string, withConsole: boolean): void {
  const out = process.stdout;
  out.write(`opendray listening on ${url}\n`);
  if (withConsole) out.write(`Console: ${url}/\n`);
  out.write(`${sandbox}\n`);
  if (origin.source === 'created') {
    out.write(`Created admin credentials (shown once; stored hashed in ${origin.path}):\n`);
    out.write(`  user:     ${username}\n  password: ${origin.password}\n`);
  } else if (origin.source === 'key-file') {
    out.write(`Admin user "${username}" (password hash in ${origin.path}; forgot it? ${selfCommand()} admin reset-password)\n`);
  } else {
    out.write(`Admin user "${username}" (from OPENDRAY_ADMIN_USER / OPENDRAY_ADMIN_PASSWORD)\n`);
  }
  out.write(`Log in:  ${selfCommand()} login --url ${url}   (or POST ${url}/api/v1/auth/login {"username","password"})\n`);
}

async function shutdownOn(stop: Promise<StopReason>, gateway: Gateway): Promise<void> {
  const reason = await stop;
  process.stdout.write(`opendray: ${reason}, shutting down\n`);
  const deadline = setTimeout(() => {
    process.stderr.write('opendray: shutdown deadline passed, exiting\n');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await gateway.close().catch((err: Error) => {
    process.stderr.write(`opendray: error during shutdown: ${err.message}\n`);
  });
}
