import type { Command } from 'commander';
import { OpendrayError, type CreateSessionRequest, type OpendrayClient, type Session, type SessionState } from '@opendray/sdk';
import { InvalidArgumentError } from 'commander';
import { CliError } from '../cli-error.js';
import { printJson, printTable, safeText, shortTime, type Column } from '../output.js';
import { registerAgentCommands } from './agent-commands.js';
import { DETACH_KEY_NAME, runAttach } from './attach.js';
import { intIn, oneOf, withClient, withConnection, type CommonFlags } from './common.js';

const STATES: readonly SessionState[] = ['running', 'idle', 'stopped', 'ended', 'interrupted'];
const ALIVE: ReadonlySet<SessionState> = new Set(['running', 'idle']);

/** A session row with its owner's name looked up (admins only; else the id). */
type Row = Session & { owner: string };

const COLUMNS: Column<Row>[] = [
  { header: 'ID', cell: (s) => s.id },
  { header: 'NAME', cell: (s) => s.name },
  { header: 'PROVIDER', cell: (s) => s.provider_id },
  { header: 'STATE', cell: (s) => s.state },
  // What the agent is doing (SPEC §17): working, idle, blocked:permission…
  { header: 'AGENT', cell: (s) => (s.agent ? `${s.agent.state}${s.agent.reason ? `:${s.agent.reason}` : ''}` : '') },
  { header: 'EXIT', cell: (s) => s.exit_code ?? s.signal },
  { header: 'PID', cell: (s) => s.pid },
  { header: 'SIZE', cell: (s) => `${s.cols}x${s.rows}` },
  { header: 'OWNER', cell: (s) => s.owner },
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
  private?: boolean;
  attach?: boolean;
}

/** Registers `opendray sessions list|new|kill|attach` (SPEC §5, §12). */
export function register(program: Command): void {
  const group = program.command('sessions').description('create, list, stop and attach to sessions');

  withConnection(
    group
      .command('list')
      .alias('ls')
      .description('list sessions')
      .option('--state <state>', `only sessions in this state (${STATES.join(', ')})`, oneOf(STATES))
      .option('--provider <id>', 'only sessions of this provider')
      .option('--alive', 'only sessions with a process (running or idle)'),
  ).action(async (flags: CommonFlags & { state?: SessionState; provider?: string; alive?: boolean }) =>
    withClient(flags, async ({ client }) => {
      let list = await client.listSessions({ state: flags.state, provider_id: flags.provider });
      if (flags.alive) list = list.filter((s) => ALIVE.has(s.state));
      if (flags.json) return printJson({ sessions: list });
      const names = await integrationNames(client);
      const owner = (s: Session): string => (s.integration_id ? (names.get(s.integration_id) ?? s.integration_id) : s.origin);
      printTable(list.map((s) => ({ ...s, owner: owner(s) })), COLUMNS, 'No sessions.');
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
      .option('--private', 'no integration sees it (SPEC §3; by default integrations see the operator\'s sessions)')
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
      if (flags.private) body.private = true;
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
      .command('kill <sessions...>')
      .alias('stop')
      .description('stop sessions (SIGHUP/SIGTERM, then SIGKILL); with --rm also forget them')
      .option('--rm', 'delete the sessions (stopping them first if running)'),
  ).action(async (ids: string[], flags: CommonFlags & { rm?: boolean }) =>
    withClient(flags, async ({ client }) => {
      const stopped: Session[] = [];
      const deleted: string[] = [];
      for (const ref of ids) {
        const id = await resolveSession(client, ref);
        if (flags.rm) await client.deleteSession(id);
        else stopped.push(await client.stopSession(id));
        if (!flags.json) process.stdout.write(`${flags.rm ? 'deleted' : 'stopped'} ${id}\n`);
        deleted.push(id);
      }
      if (flags.json) printJson(flags.rm ? { deleted } : { sessions: stopped });
    }),
  );

  withConnection(
    group
      .command('attach <session>')
      .description('make this terminal the session\'s terminal; detach with Ctrl-] (exit code: the session\'s, when it ends)')
      .option('--read-only', 'watch only: send no keys and no size (for a key with session:read alone)')
      .addHelpText('after', ATTACH_HELP),
    false,
  ).action(async (id: string, flags: CommonFlags & { readOnly?: boolean }) => {
    await exitWith(await withClient(flags, async ({ client }) => runAttach(client, await resolveSession(client, id), { readOnly: flags.readOnly })));
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

/**
 * A session reference: a `ses_…` id as is, anything else a name, which must name exactly
 * one of the sessions the credential can see (names need not be unique).
 */
export async function resolveSession(client: OpendrayClient, ref: string): Promise<string> {
  if (ref.startsWith('ses_')) return ref;
  const matches = (await client.listSessions()).filter((s) => s.name === ref);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new CliError(`opendray: 404 not_found: no session named "${safeText(ref)}"`);
  throw new CliError(`opendray: ${matches.length} sessions are named "${safeText(ref)}": use an id (${matches.map((s) => s.id).join(', ')})`);
}

/** Integration names by id, for the admin; an integration key may not list them (403): ids then. */
async function integrationNames(client: OpendrayClient): Promise<Map<string, string>> {
  try {
    return new Map((await client.listIntegrations()).map((i) => [i.id, i.name]));
  } catch (err) {
    if (err instanceof OpendrayError && (err.status === 403 || err.status === 401)) return new Map();
    throw err;
  }
}

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
