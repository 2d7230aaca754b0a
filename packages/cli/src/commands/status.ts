import type { Command } from 'commander';
import { OpendrayError, type Health, type Integration, type Me, type Session } from '@opendray/sdk';
import { printFields, printJson, printTable, shortTime, type Column } from '../output.js';
import { withClient, withConnection, type CommonFlags } from './common.js';

const INTEGRATIONS: Column<Integration>[] = [
  { header: 'NAME', cell: (i) => i.name },
  { header: 'ENABLED', cell: (i) => (i.enabled ? 'yes' : 'no') },
  { header: 'HEALTH', cell: (i) => i.health_status },
  { header: 'LAST SEEN', cell: (i) => shortTime(i.health_last_seen) },
];

interface Status {
  url: string;
  health: Health;
  principal: Me;
  sessions: Record<string, number>;
  /** null when the credential may not list them (an integration key). */
  integrations: Integration[] | null;
}

/** Registers `opendray status`: version, uptime, sessions by state, integrations with health. */
export function register(program: Command): void {
  withConnection(program.command('status').description('the gateway at a glance: version, uptime, sessions, integrations')).action(
    async (flags: CommonFlags) =>
      withClient(flags, async ({ client, url }) => {
        const [health, principal, sessions, integrations] = await Promise.all([
          client.health(),
          client.me(),
          client.listSessions(),
          client.listIntegrations().catch((err: unknown) => {
            if (err instanceof OpendrayError && err.status === 403) return null;
            throw err;
          }),
        ]);
        const status: Status = { url, health, principal, sessions: countByState(sessions), integrations };
        if (flags.json) return printJson(status);
        print(status);
      }),
  );
}

function countByState(sessions: readonly Session[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of sessions) counts[s.state] = (counts[s.state] ?? 0) + 1;
  return counts;
}

function print(s: Status): void {
  const by = Object.entries(s.sessions).map(([state, n]) => `${n} ${state}`);
  printFields([
    ['gateway', s.url],
    ['status', s.health.status],
    ['version', s.health.version],
    ['uptime', formatDuration(s.health.uptime_s)],
    ['you', s.principal.kind === 'admin' ? 'admin' : `integration ${s.principal.name} (${s.principal.id})`],
    ['sessions', by.length ? by.join(', ') : 'none'],
  ]);
  if (s.integrations) {
    process.stdout.write('\n');
    printTable(s.integrations, INTEGRATIONS, 'No integrations.');
  }
}

function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, `${Math.floor(seconds % 60)}s`].filter(Boolean);
  return parts.slice(0, 2).join(' ');
}
