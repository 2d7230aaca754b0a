import { InvalidArgumentError, type Command } from 'commander';
import type { CallDirection, CallEntry, CallQuery } from '@opendray/sdk';
import { note, printJson, printTable, shortTime, type Column } from '../output.js';
import { intIn, oneOf, withClient, withConnection, type CommonFlags } from './common.js';
import { resolveIntegration } from './integrations.js';

const DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'rejected', 'admin'];

const COLUMNS: Column<CallEntry>[] = [
  { header: 'TIME', cell: (c) => shortTime(c.ts) },
  { header: 'DIRECTION', cell: (c) => c.direction },
  { header: 'STATUS', cell: (c) => c.status_code },
  { header: 'METHOD', cell: (c) => c.method },
  { header: 'MS', cell: (c) => c.duration_ms },
  { header: 'INTEGRATION', cell: (c) => c.integration_id },
  { header: 'REMOTE', cell: (c) => c.remote_addr },
  { header: 'PATH', cell: (c) => c.path },
];

interface CallsFlags extends CommonFlags {
  integration?: string;
  direction?: CallDirection;
  statusClass?: CallQuery['status_class'];
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** Registers `opendray calls`: the call log, newest first (SPEC §10). */
export function register(program: Command): void {
  withConnection(
    program
      .command('calls')
      .description('show the call log, newest first (one page, or every page with --all)')
      .option('--integration <id>', 'only calls of this integration (id or name)')
      .option('--direction <dir>', `only ${DIRECTIONS.join(' / ')} calls`, oneOf(DIRECTIONS))
      .option('--status-class <n>', 'only statuses of this class: 1–5 or 1xx–5xx', statusClass)
      .option('--since <time>', 'from this time: RFC 3339, or a duration ago (90s, 15m, 2h, 7d)', parseTime)
      .option('--until <time>', 'up to this time: RFC 3339, or a duration ago', parseTime)
      .option('--limit <n>', 'entries per page (1–500, default 100)', intIn(1, 500))
      .option('--cursor <cursor>', 'continue after a previous page (its next_cursor)')
      .option('--all', 'follow the cursor through every page'),
  ).action(async (flags: CallsFlags) =>
    withClient(flags, async ({ client }) => {
      const query: CallQuery = {
        direction: flags.direction,
        status_class: flags.statusClass,
        since: flags.since,
        until: flags.until,
        limit: flags.limit,
        cursor: flags.cursor,
      };
      if (flags.integration) query.integration_id = await resolveIntegration(client, flags.integration);

      if (flags.all) {
        const entries: CallEntry[] = [];
        for await (const entry of client.iterateCalls(query)) entries.push(entry);
        if (flags.json) printJson({ entries, next_cursor: null });
        else printTable(entries, COLUMNS, 'No calls.');
        return;
      }
      const page = await client.listCalls(query);
      if (flags.json) return printJson(page);
      printTable(page.entries, COLUMNS, 'No calls.');
      if (page.next_cursor) note(`More entries: add --cursor ${page.next_cursor} (or --all).`);
    }),
  );
}

function statusClass(value: string): CallQuery['status_class'] {
  const m = /^([1-5])(?:xx)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be 1–5 or 1xx–5xx.');
  return Number(m[1]) as CallQuery['status_class'];
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** RFC 3339 as is (normalized to UTC), or `<n><s|m|h|d|w>` meaning that long ago. */
function parseTime(value: string): string {
  const v = value.trim();
  const rel = /^(\d+)([smhdw])$/.exec(v);
  if (rel) return new Date(Date.now() - Number(rel[1]) * UNIT_MS[rel[2]!]!).toISOString();
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be an RFC 3339 time (2026-04-27T14:00:00Z) or a duration like 15m, 2h, 7d.');
  return new Date(ms).toISOString();
}
