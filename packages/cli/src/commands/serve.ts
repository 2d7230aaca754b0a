import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Gateway } from '@opendray/core';
import { CliError } from '../cli-error.js';
import { loadServeConfig, type ServeConfig } from '../config/load.js';
import { SETTINGS } from '../config/settings.js';

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
  // Loaded here, not at the top: the admin commands never need the gateway itself.
  const { createGateway, createLogger, resolveAdminCredentials } = await import('@opendray/core');
  await mkdir(config.data_dir, { recursive: true, mode: 0o700 });
  await chmod(config.data_dir, 0o700).catch(() => undefined);
  const { credentials, origin } = await resolveAdminCredentials({
    dataDir: config.data_dir,
    envUser: config.admin_user,
    envPassword: config.admin_password,
    bcryptCost: SERVE_BCRYPT_COST,
  }).catch((err: Error) => {
    throw new CliError(`opendray: admin credentials: ${err.message}`);
  });

  let gateway: Gateway;
  try {
    gateway = await createGateway({
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
      ...(config.max_live_sessions ? { maxLiveSessions: config.max_live_sessions } : {}),
    });
  } catch (err) {
    throw new CliError(`opendray: ${(err as Error).message}`);
  }

  // The store holds signing secrets and token digests: owner-only, like the key file.
  await chmod(join(config.data_dir, 'opendray.sqlite'), 0o600).catch(() => undefined);

  let url: string;
  try {
    ({ url } = await gateway.listen(config.port, config.host));
  } catch (err) {
    await gateway.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`opendray: ${config.host}:${config.port} is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`opendray: cannot listen on ${config.host}: address not available`);
    if (code === 'EACCES') throw new CliError(`opendray: no permission to listen on port ${config.port}`);
    throw new CliError(`opendray: cannot listen: ${(err as Error).message}`);
  }

  const out = process.stdout;
  out.write(`opendray listening on ${url}\n`);
  if (origin.source === 'created') {
    out.write(`Created admin credentials (shown once; stored hashed in ${origin.path}):\n`);
    out.write(`  user:     ${credentials.username}\n  password: ${origin.password}\n`);
  } else if (origin.source === 'key-file') {
    out.write(`Admin user "${credentials.username}" (password hash in ${origin.path})\n`);
  } else {
    out.write(`Admin user "${credentials.username}" (from OPENDRAY_ADMIN_USER / OPENDRAY_ADMIN_PASSWORD)\n`);
  }
  out.write(`Log in:  opendray login --url ${url}   (or POST ${url}/api/v1/auth/login {"username","password"})\n`);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals): void => {
      process.stdout.write(`opendray: ${signal}, shutting down\n`);
      const deadline = setTimeout(() => {
        process.stderr.write('opendray: shutdown deadline passed, exiting\n');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      gateway.close().then(resolve, (err: Error) => {
        process.stderr.write(`opendray: error during shutdown: ${err.message}\n`);
        resolve();
      });
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  // Whatever a library left open (a PTY fd, a socket), a stopped daemon exits.
  setTimeout(() => process.exit(0), 1000).unref();
}
