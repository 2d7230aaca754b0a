import type { Command } from 'commander';
import { DEFAULT_SCOPES, type Integration, type IntegrationWithKey, type OpendrayClient, type RegisterIntegrationRequest, type Scope, type UpdateIntegrationRequest } from '@opendray/sdk';
import { CliError } from '../cli-error.js';
import { note, printFields, printJson, printTable, safeText, shortTime, type Column } from '../output.js';
import { collect, intIn, oneOf, withClient, withConnection, type CommonFlags } from './common.js';

const COLUMNS: Column<Integration>[] = [
  { header: 'ID', cell: (i) => i.id },
  { header: 'NAME', cell: (i) => i.name },
  { header: 'ENABLED', cell: (i) => (i.enabled ? 'yes' : 'no') },
  { header: 'HEALTH', cell: (i) => i.health_status },
  { header: 'PREFIX', cell: (i) => i.route_prefix },
  { header: 'MAX', cell: (i) => i.max_sessions },
  { header: 'CREATED', cell: (i) => shortTime(i.created_at) },
  { header: 'SCOPES', cell: (i) => i.scopes.join(',') },
];

interface AddFlags extends CommonFlags {
  name: string;
  baseUrl?: string;
  routePrefix?: string;
  scope?: string[];
  defaultScopes: boolean;
  maxSessions?: number;
}

interface UpdateFlags extends CommonFlags {
  scope?: string[];
  addScope?: string[];
  removeScope?: string[];
  baseUrl?: string;
  routePrefix?: string;
  maxSessions?: number;
  sessionAccess?: string;
}

/** Registers `opendray integrations list|add|rotate|enable|disable|rm` (SPEC §4, §12). */
export function register(program: Command): void {
  const group = program.command('integrations').description('register and manage integrations (admin)');

  withConnection(group.command('list').alias('ls').description('list integrations')).action(async (flags: CommonFlags) =>
    withClient(flags, async ({ client }) => {
      const list = await client.listIntegrations();
      if (flags.json) printJson({ integrations: list });
      else printTable(list, COLUMNS, 'No integrations.');
    }),
  );

  withConnection(
    group
      .command('add')
      .description('register an integration; prints its API key once')
      .requiredOption('--name <name>', 'unique name, 1–64 characters')
      .option('--base-url <url>', 'where the integration listens (enables the proxy and health probes)')
      .option('--route-prefix <slug>', 'proxy prefix: /api/v1/proxy/<slug>/… (with --base-url)')
      .option('--scope <scope>', `a scope to grant on top of the defaults (${DEFAULT_SCOPES.join(', ')}); repeatable or comma separated`, collect)
      .option('--no-default-scopes', 'grant only the --scope scopes, not the defaults')
      .option('--max-sessions <n>', 'sessions it may run at once', intIn(0, 1_000_000)),
  ).action(async (flags: AddFlags) =>
    withClient(flags, async ({ client }) => {
      const body: RegisterIntegrationRequest = { name: flags.name };
      if (flags.baseUrl !== undefined) body.base_url = flags.baseUrl;
      if (flags.routePrefix !== undefined) body.route_prefix = flags.routePrefix;
      const scopes = unique([...(flags.defaultScopes ? DEFAULT_SCOPES : []), ...((flags.scope ?? []) as Scope[])]);
      if (!flags.defaultScopes && scopes.length === 0) throw new CliError('opendray: --no-default-scopes needs at least one --scope', 2);
      if (flags.scope || !flags.defaultScopes) body.scopes = scopes;
      if (flags.maxSessions !== undefined) body.max_sessions = flags.maxSessions;
      showKey(await client.createIntegration(body), flags.json, 'registered');
    }),
  );

  withConnection(
    group
      .command('update <id>')
      .description('change an integration (by id or name): scopes, base URL, route prefix, limits, visibility')
      .option('--scope <scope>', 'replace the scopes with these; repeatable or comma separated', collect)
      .option('--add-scope <scope>', 'grant these scopes too', collect)
      .option('--remove-scope <scope>', 'take these scopes away', collect)
      .option('--base-url <url>', 'where the integration listens ("" for none, with --route-prefix "")')
      .option('--route-prefix <slug>', 'proxy prefix ("" for none, with --base-url "")')
      .option('--max-sessions <n>', 'sessions it may run at once', intIn(0, 1_000_000))
      .option('--session-access <access>', 'which sessions it sees: "own", or "shared" (its own and the operator\'s)', oneOf(['own', 'shared'] as const)),
  ).action(async (ref: string, flags: UpdateFlags) =>
    withClient(flags, async ({ client }) => {
      const id = await resolveIntegration(client, ref);
      const patch: UpdateIntegrationRequest & Record<string, unknown> = {};
      if (flags.scope || flags.addScope || flags.removeScope) {
        const base = flags.scope ?? (await client.getIntegration(id)).scopes;
        const removed = new Set(flags.removeScope ?? []);
        patch.scopes = unique([...base, ...(flags.addScope ?? [])] as Scope[]).filter((s) => !removed.has(s));
      }
      if (flags.baseUrl !== undefined) patch.base_url = flags.baseUrl;
      if (flags.routePrefix !== undefined) patch.route_prefix = flags.routePrefix;
      if (flags.maxSessions !== undefined) patch.max_sessions = flags.maxSessions;
      if (flags.sessionAccess !== undefined) patch.session_access = flags.sessionAccess;
      if (Object.keys(patch).length === 0) throw new CliError('opendray: nothing to change: give at least one option (see --help)', 2);
      const updated = await client.updateIntegration(id, patch);
      if (flags.json) printJson(updated);
      else printFields([
        ['id', updated.id],
        ['name', updated.name],
        ['scopes', updated.scopes.join(',')],
        ['base_url', updated.base_url],
        ['route_prefix', updated.route_prefix],
        ['max_sessions', updated.max_sessions],
      ]);
    }),
  );

  withConnection(
    group
      .command('rotate <id>')
      .description('issue a new API key (by id or name); the old key stops working')
      .option('--grace-seconds <n>', 'keep the old key valid this many more seconds', intIn(0, 31_536_000)),
  ).action(async (ref: string, flags: CommonFlags & { graceSeconds?: number }) =>
    withClient(flags, async ({ client }) => {
      const id = await resolveIntegration(client, ref);
      const res = await client.rotateKey(id, flags.graceSeconds === undefined ? {} : { grace_seconds: flags.graceSeconds });
      showKey(res, flags.json, 'rotated');
      if (!flags.json) {
        note(flags.graceSeconds ? `The old key keeps working for ${flags.graceSeconds} s.` : 'The old key no longer works.');
      }
    }),
  );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    withConnection(
      group.command(`${name} <id>`).description(`${name} an integration (by id or name)${enabled ? '' : '; its sockets are closed'}`),
    ).action(async (ref: string, flags: CommonFlags) =>
      withClient(flags, async ({ client }) => {
        const updated = await client.updateIntegration(await resolveIntegration(client, ref), { enabled });
        if (flags.json) printJson(updated);
        else process.stdout.write(`${name}d ${updated.id} (${safeText(updated.name)})\n`);
      }),
    );
  }

  withConnection(
    group.command('rm <id>').alias('remove').description('delete an integration (by id or name); its sessions are stopped'),
    false,
  ).action(async (ref: string, flags: CommonFlags) =>
    withClient(flags, async ({ client }) => {
      const id = await resolveIntegration(client, ref);
      await client.deleteIntegration(id);
      process.stdout.write(`deleted ${id}\n`);
    }),
  );
}

/**
 * An integration reference: an `int_…` id as is, anything else looked up by name (names
 * are unique, SPEC §4). An unknown name is an error like the gateway's 404.
 */
export async function resolveIntegration(client: OpendrayClient, ref: string): Promise<string> {
  if (ref.startsWith('int_')) return ref;
  const match = (await client.listIntegrations()).find((i) => i.name === ref);
  if (!match) throw new CliError(`opendray: 404 not_found: no integration named "${safeText(ref)}"`);
  return match.id;
}

// The only place a key is printed (SPEC §2.2: shown once, at register and rotate).
function showKey(res: IntegrationWithKey, json: boolean | undefined, verb: string): void {
  if (json) return printJson(res);
  const i = res.integration;
  printFields([
    ['id', i.id],
    ['name', i.name],
    ['scopes', i.scopes.join(',')],
    ['route_prefix', i.route_prefix],
    ['api_key', res.api_key],
    ['signing_secret', res.signing_secret],
  ]);
  const what = res.signing_secret ? 'the API key and the signing secret now: they are' : 'the API key now: it is';
  note(`Integration ${verb}. Save ${what} shown only this once and cannot be retrieved later.`);
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
