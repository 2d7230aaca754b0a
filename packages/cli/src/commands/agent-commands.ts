import type { Command } from 'commander';
import type { PromptResult } from '@opendray/sdk';
import { CliError } from '../cli-error.js';
import { printJson } from '../output.js';
import { intIn, oneOf, withClient, withConnection, type CommonFlags } from './common.js';

const UNTIL = ['turn_completed', 'idle', 'none'] as const;

/** Registers `opendray sessions prompt|permission` under the sessions group (SPEC §17). */
export function registerAgentCommands(group: Command): void {
  withConnection(
    group
      .command('prompt <id> <text>')
      .description("send a prompt to an agent session, wait for the turn, print the agent's reply")
      .option('--timeout <seconds>', 'give up waiting after this long (default 300)', intIn(1, 3600))
      .option('--until <event>', `what to wait for (${UNTIL.join(', ')})`, oneOf(UNTIL)),
  ).action(async (id: string, text: string, flags: CommonFlags & { timeout?: number; until?: (typeof UNTIL)[number] }) =>
    withClient(flags, async ({ client }) => {
      const wait = { ...(flags.until ? { until: flags.until } : {}), ...(flags.timeout ? { timeout_ms: flags.timeout * 1000 } : {}) };
      const result = await client.prompt(id, text, { wait });
      if (flags.json) return printJson(result);
      printResult(result);
    }),
  );

  withConnection(
    group
      .command('permission <id> <decision>')
      .description('answer the dialog an agent session shows: allow or deny'),
  ).action(async (id: string, decision: string, flags: CommonFlags) =>
    withClient(flags, async ({ client }) => {
      if (decision !== 'allow' && decision !== 'deny') throw new CliError('opendray: decision must be "allow" or "deny"');
      const result = await client.permission(id, decision);
      if (flags.json) printJson(result);
      else process.stdout.write(`${decision === 'allow' ? 'allowed' : 'denied'} (${id})\n`);
    }),
  );
}

/** The reply on stdout; a dialog (exit 3) or a timeout (exit 2) on stderr. */
function printResult(r: PromptResult): void {
  if (r.state === 'blocked') {
    throw new CliError(`opendray: the agent waits for ${r.reason ?? 'permission'} (answer with "opendray sessions permission <id> allow|deny"):\n${r.prompt_text ?? ''}`, 3);
  }
  if (r.timed_out) throw new CliError(`opendray: timed out; the agent is ${r.state}`, 2);
  process.stdout.write(`${r.text ?? ''}\n`);
}
