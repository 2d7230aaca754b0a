import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { CliError } from './cli-error.js';
import { acceptGlobalFlags } from './global-flags.js';
import { register as registerAdmin } from './commands/admin.js';
import { register as registerAuth } from './commands/auth.js';
import { register as registerCalls } from './commands/calls.js';
import { register as registerCompletion } from './commands/completion.js';
import { register as registerIntegrations } from './commands/integrations.js';
import { register as registerLogin } from './commands/login.js';
import { register as registerProviders } from './commands/providers.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerSessions } from './commands/sessions.js';
import { register as registerStatus } from './commands/status.js';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the `opendray` program with every sub-command. */
export function buildProgram(): Command {
  const program = new Command('opendray')
    .description('a gateway for AI coding agents')
    .version(pkg.version)
    .exitOverride();
  // Usage errors are one line that says who is talking, like every other failure.
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(`opendray: ${s.replace(/^error: /, '').trimEnd()}\n`),
  });
  acceptGlobalFlags(program);
  registerServe(program);
  registerLogin(program);
  registerIntegrations(program);
  registerSessions(program);
  registerProviders(program);
  registerCalls(program);
  registerStatus(program);
  registerAuth(program);
  registerAdmin(program);
  registerCompletion(program);
  return program;
}

/** Runs the CLI; resolves with the exit code. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one-line message (or the help/version text).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`opendray: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
