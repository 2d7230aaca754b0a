import type { Command } from 'commander';
import { connect } from '../client.js';
import { withConnection } from './common.js';

/** Registers `opendray auth token`: the saved credential on stdout, for `$(npx opendray auth token)`. */
export function register(program: Command): void {
  const auth = program.command('auth').description('the credential later commands use');
  withConnection(
    auth.command('token').description('print the admin token (or key) commands use for the gateway, e.g. curl -H "Authorization: Bearer $(opendray auth token)"'),
    false,
  ).action(async (flags: { url?: string; token?: string }) => {
    const { token } = await connect(flags);
    process.stdout.write(`${token}\n`);
  });
}
