import type { Command } from 'commander';
import type { CreateSessionRequest, Session, SessionState } from '@opendray/sdk';
import { InvalidArgumentError } from 'commander';
import { printJson, printTable, shortTime, type Column } from '../output.js';
import { registerAgentCommands } from './agent-commands.js';
import { DETACH_KEY_NAME, runAttach } from './attach.js';
import { intIn, oneOf, withClient, withConnection, type CommonFlags } from './common.js';

const STATES: readonly SessionState[] = ['running', 'idle', 'stopped', 'ended', 'interrupted'];

const COLUMNS: Column<Session>[] = [
  { header: 'ID', cell: (s) => s.id },
  { header: 'NAME', cell: (s) => s.name },
  { header: 'PROVIDER', cell: (s) => s.provider_id },
  { header: 'STATE', cell: (s) => s.state },
  // What the agent is doing (SPEC §17): working, idle, blocked:permission…
  { header: 'AGENT', cell: (s) => (s.agent ? `${s.agent.state}${s.agent.reason ? `:${s.agent.reason}` : ''}` : '') },
  { header: 'EXIT', cell: (s) => s.exit_code ?? s.signal },
  { header: 'PID', cell: (s) => s.pid },
  { header: 'SIZE', cell: (s) => `${s.cols}x${s.rows}` },
  { header: 'OWNER', cell: (s) => s.integration_id ?? s.origin },
  { header: 'CREATED', cell: (s) => shortTime(s.created_at) },
  { header: 'CWD', cell: (s) => s.cwd },
];

interface NewFlags extends CommonFlags {
  provider?: string;
  name?: string;
  cwd?: string;
  cols?: number;
  rows?: number;
  env?: string[];
  model?: string;
  attach?: boolean;
}

/** Registers `opendray sessions list|new|kill|attach|prompt|permission` (SPEC §5, §12, §17). */
export function register(program: Command): void {
  const group = program.command('sessions').description('create, list, stop and attach to sessions');

  withConnection(
    group
      .command('list')
      .alias('ls')
      .description('list sessions')
      .option('--state <state>', `only sessions in this state (${STATES.join(', ')})`, oneOf(STATES))
      .option('--provider <id>', 'only sessions of this provider'),
  ).action(async (flags: CommonFlags & { state?: SessionState; provider?: string }) =>
    withClient(flags, async ({ client }) => {
      const list = await client.listSessions({ state: flags.state, provider_id: flags.provider });
      if (flags.json) printJson({ sessions: list });
      else printTable(list, COLUMNS, 'No sessions.');
    }),
  );

  withConnection(
    group
      .command('new')
      .description('start a session and print its id; arguments after -- go to the provider\'s command')
      .argument('[args...]', 'extra arguments of the provider\'s command')
      .option('--provider <id>', 'provider: shell, claude, codex, gemini… (default shell)')
      .option('--name <name>', 'a name to recognise it by')
      .option('--cwd <dir>', 'working directory (default: the gateway\'s workspace)')
      .option('--cols <n>', 'terminal columns (default 120, or this terminal\'s with --attach)', intIn(1, 1000))
      .option('--rows <n>', 'terminal rows (default 40, or this terminal\'s with --attach)', intIn(1, 1000))
      .option('--env <KEY=VALUE>', 'an environment variable; repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), envPair(v)])
      .option('--model <model>', 'model, for agent providers that take one')
      .option('--attach', 'attach to it right away (see "sessions attach")'),
  ).action(async (args: string[], flags: NewFlags) => {
    const code = await withClient(flags, async ({ client }) => {
      const body: CreateSessionRequest = {};
      if (flags.provider) body.provider_id = flags.provider;
      if (flags.name !== undefined) body.name = flags.name;
      if (flags.cwd !== undefined) body.cwd = flags.cwd;
      const out = process.stdout;
      const cols = flags.cols ?? (flags.attach && out.isTTY ? out.columns : undefined);
      const rows = flags.rows ?? (flags.attach && out.isTTY ? out.rows : undefined);
      if (cols) body.cols = cols;
      if (rows) body.rows = rows;
      if (args.length) body.args = args;
      if (flags.env) body.env = Object.fromEntries(flags.env.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
      if (flags.model) body.model = flags.model;
      const session = await client.createSession(body);
      if (!flags.attach) {
        if (flags.json) printJson(session);
        else out.write(`${session.id}\n`);
        return null;
      }
      return runAttach(client, session.id);
    });
    if (code !== null) await exitWith(code);
  });

  withConnection(
    group
      .command('kill <ids...>')
      .alias('stop')
      .description('stop sessions (SIGHUP/SIGTERM, then SIGKILL); with --rm also forget them')
      .option('--rm', 'delete the sessions (stopping them first if running)'),
  ).action(async (ids: string[], flags: CommonFlags & { rm?: boolean }) =>
    withClient(flags, async ({ client }) => {
      const stopped: Session[] = [];
      for (const id of ids) {
        if (flags.rm) await client.deleteSession(id);
        else stopped.push(await client.stopSession(id));
        if (!flags.json) process.stdout.write(`${flags.rm ? 'deleted' : 'stopped'} ${id}\n`);
      }
      if (flags.json) printJson(flags.rm ? { deleted: ids } : { sessions: stopped });
    }),
  );

  withConnection(
    group
      .command('attach <id>')
      .description('make this terminal the session\'s terminal; detach with Ctrl-] (exit code: the session\'s, when it ends)')
      .option('--read-only', 'watch only: send no keys and no size (for a key with session:read alone)')
      .addHelpText('after', ATTACH_HELP),
    false,
  ).action(async (id: string, flags: CommonFlags & { readOnly?: boolean }) => {
    await exitWith(await withClient(flags, async ({ client }) => runAttach(client, id, { readOnly: flags.readOnly })));
  });

  registerAgentCommands(group);
}

const ATTACH_HELP = `
Keys go to the session as typed (Ctrl-C, Ctrl-Z… included); ${DETACH_KEY_NAME} detaches and
leaves the session running. The session follows this terminal's size. When the
session ends, the command exits with its exit code (128 + n if signal n ended it).
With a pipe on stdin, its bytes are sent as input and the command keeps printing
until the session ends (a ${DETACH_KEY_NAME} byte in the pipe detaches).
`;

function envPair(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(value)) throw new InvalidArgumentError('must be KEY=VALUE.');
  return value;
}

/**
 * Ends the process with `code` once stdout has flushed. `attach` owns the terminal and its
 * exit code is the session's (SPEC §12), so it exits here rather than through `main`.
 */
async function exitWith(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
