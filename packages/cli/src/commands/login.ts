import type { Command } from 'commander';
import { OpendrayClient, OpendrayError } from '@opendray/sdk';
import { CliError } from '../cli-error.js';
import { anonymousClient, apiError, resolveUrl } from '../client.js';
import { credentialsPath, readCredentials, writeCredentials } from '../credentials.js';
import { note } from '../output.js';
import { promptHidden, promptLine, readStdin } from '../prompt.js';

interface LoginFlags {
  url?: string;
  username?: string;
  passwordStdin?: boolean;
}

/** Registers `opendray login` and `opendray logout` (SPEC §2.1; docs/cli.md). */
export function register(program: Command): void {
  program
    .command('login')
    .description('log in as the admin and save the token for later commands')
    .option('--url <url>', 'gateway URL (OPENDRAY_URL; default: the last login, else http://127.0.0.1:8770)')
    .option('--username <name>', 'admin user (prompted on a terminal; default "admin")')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .action(async (flags: LoginFlags) => login(flags));

  program
    .command('logout')
    .description('revoke the saved token of a gateway and forget it')
    .option('--url <url>', 'gateway URL (OPENDRAY_URL; default: the last login)')
    .action(async (flags: { url?: string }) => logout(flags));
}

async function login(flags: LoginFlags): Promise<void> {
  const url = await resolveUrl(flags);
  const tty = process.stdin.isTTY === true;
  let username = flags.username;
  if (!username && tty && !flags.passwordStdin) username = await promptLine('Username [admin]: ');
  username ||= 'admin';

  let password: string;
  if (flags.passwordStdin) password = await readStdin();
  else if (tty) password = await promptHidden(`Password for ${username} at ${url}: `);
  else throw new CliError('opendray: no terminal to ask for the password: use --password-stdin', 2);
  if (!password) throw new CliError('opendray: empty password', 2);

  const client = anonymousClient(url);
  let res;
  try {
    res = await client.login(username, password);
  } catch (err) {
    throw apiError(err, { url, tokenSource: 'flag' });
  }
  const path = credentialsPath();
  const file = await readCredentials(path);
  file.gateways[url] = { token: res.token, username: res.username, expires_at: res.expires_at, saved_at: new Date().toISOString() };
  file.current = url;
  await writeCredentials(path, file);
  process.stdout.write(`Logged in to ${url} as ${res.username} (token saved in ${path}, valid until ${res.expires_at})\n`);
}

async function logout(flags: { url?: string }): Promise<void> {
  const url = await resolveUrl(flags);
  const path = credentialsPath();
  const file = await readCredentials(path);
  const saved = file.gateways[url];
  if (!saved) {
    note(`Not logged in to ${url}`);
    return;
  }
  try {
    await new OpendrayClient({ baseUrl: url, token: saved.token }).logout();
  } catch (err) {
    // An expired or already revoked token is logged out already; anything else is worth saying.
    if (!(err instanceof OpendrayError && err.status === 401)) {
      note(`${(apiError(err, { url, tokenSource: 'login' }) as Error).message} (the token could not be revoked; it is forgotten here anyway)`);
    }
  }
  delete file.gateways[url];
  if (file.current === url) delete file.current;
  await writeCredentials(path, file);
  process.stdout.write(`Logged out of ${url}\n`);
}
