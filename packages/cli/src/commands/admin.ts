import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { loadServeConfig } from '../config/load.js';
import { readStdin } from '../prompt.js';
import { DataDirBusyError, lockDataDir } from '../serve/data-dir-lock.js';

// The same cost `opendray serve` hashes with (SPEC §2.2).
const BCRYPT_COST = 12;
const MIN_PASSWORD_LENGTH = 12;

interface ResetFlags {
  dataDir?: string;
  config?: string;
  username?: string;
  passwordStdin?: boolean;
}

/** Registers `opendray admin reset-password` (a local command: it edits the data dir's key file). */
export function register(program: Command): void {
  const admin = program.command('admin').description("manage the operator account in a data dir (no gateway needed)");
  admin
    .command('reset-password')
    .description('set a new admin password (random and printed once, or from stdin) in the key file')
    .option('--data-dir <dir>', 'data directory (OPENDRAY_DATA_DIR, default ~/.opendray)')
    .option('--config <file>', 'config file, .json or .toml (OPENDRAY_CONFIG)')
    .option('--username <name>', 'admin user name (default: the current one, else "admin")')
    .option('--password-stdin', `read the new password from stdin (at least ${MIN_PASSWORD_LENGTH} characters)`)
    .action(async (flags: ResetFlags) => resetPassword(flags));
}

async function resetPassword(flags: ResetFlags): Promise<void> {
  const config = await loadServeConfig({ dataDir: flags.dataDir, config: flags.config });
  const { resetAdminPassword } = await import('@opendray/core');
  let password: string | undefined;
  if (flags.passwordStdin) {
    password = await readStdin();
    if ([...password].length < MIN_PASSWORD_LENGTH) throw new CliError(`opendray: the password must have at least ${MIN_PASSWORD_LENGTH} characters`, 2);
  }
  const reset = await resetAdminPassword({
    dataDir: config.data_dir,
    bcryptCost: BCRYPT_COST,
    ...(flags.username ? { username: flags.username } : {}),
    ...(password !== undefined ? { password } : {}),
  }).catch((err: Error) => {
    throw new CliError(`opendray: cannot reset the admin password: ${err.message}`);
  });
  process.stdout.write(`New admin password for "${reset.username}" stored hashed in ${reset.path}\n`);
  if (reset.generated) process.stdout.write(`  password: ${reset.password}   (shown once)\n`);
  // The gateway reads the key file at start: a running one keeps the old password until restarted.
  const running = await lockDataDir(config.data_dir).then(
    async (lock) => {
      await lock.release();
      return null;
    },
    (err: Error) => (err instanceof DataDirBusyError ? err : null),
  );
  if (running) {
    process.stdout.write(`A gateway is running on this data dir${running.pid ? ` (PID ${running.pid})` : ''}: restart it to use the new password.\n`);
  }
}
