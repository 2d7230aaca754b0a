import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Gateway } from '@opendray/core';
import { CliError } from '../cli-error.js';
import { loadServeConfig, type ServeConfig } from '../config/load.js';
import { SETTINGS } from '../config/settings.js';
import { selfCommand } from '../invocation.js';
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
    .addHelpText('after', `\nEnvironment:\n${SETTINGS.map((s) => `  ${s.env.padEnd(30)} ${s.describe}`).join('\n')}\n`)
    .action(async (flags: Record<string, string | undefined>) => {
      const config = await loadServeConfig(flags);
      await serve(config);
    });
}

async function serve(config: ServeConfig): Promise<void> {
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
    const gateway = await startGateway(config, admin.credentials, createGateway, createLogger);
    const url = await listen(gateway, config);
    await admin.save().catch(async (err: Error) => {
      await gateway.close();
      throw new CliError(`opendray: cannot write ${join(config.data_dir, 'admin.json')}: ${err.message}`);
    });
    printBanner(url, admin.credentials.username, admin.origin);
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
  createGateway: Core['createGateway'],
  createLogger: Core['createLogger'],
): Promise<Gateway> {
  try {
    const gateway = await createGateway({
      storage: `sqlite://${join(config.data_dir, 'opendray.sqlite')}`,
      auth: { admin: credentials, ...(config.admin_token ? { adminToken: config.admin_token } : {}) },
      host: config.host,
      port: config.port,
      bcryptCost: SERVE_BCRYPT_COST,
      logger: createLogger(config.log_level),
      workspaceRoot: config.workspace,
      idleThresholdMs: config.idle_threshold_ms,
      healthIntervalMs: config.health_interval_ms,
      healthTimeoutMs: config.health_timeout_ms,
      providers: config.providers,
      ...(config.body_limit_bytes ? { bodyLimitBytes: config.body_limit_bytes } : {}),
      ...(config.proxy_timeout_ms ? { proxyTimeoutMs: config.proxy_timeout_ms } : {}),
    });
    // The store holds signing secrets and token digests: owner-only, like the key file.
    await chmod(join(config.data_dir, 'opendray.sqlite'), 0o600).catch(() => undefined);
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

function printBanner(url: string, username: string, origin: import('@opendray/core').AdminCredentialSource): void {
  const out = process.stdout;
  out.write(`opendray listening on ${url}\n`);
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
