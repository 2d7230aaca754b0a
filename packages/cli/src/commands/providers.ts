import type { Command } from 'commander';
import type { Provider } from '@opendray/sdk';
import { printJson, printTable, type Column } from '../output.js';
import { withClient, withConnection, type CommonFlags } from './common.js';

const COLUMNS: Column<Provider>[] = [
  { header: 'ID', cell: (p) => p.id },
  { header: 'NAME', cell: (p) => p.display_name },
  { header: 'KIND', cell: (p) => p.kind },
  { header: 'ENABLED', cell: (p) => (p.enabled ? 'yes' : 'no') },
  { header: 'INSTALLED', cell: (p) => (p.runtime.installed ? 'yes' : 'no') },
  { header: 'VERSION', cell: (p) => p.runtime.version },
  { header: 'PATH', cell: (p) => p.runtime.path },
];

/** Registers `opendray providers list` (SPEC §5.1). */
export function register(program: Command): void {
  const group = program.command('providers').description('what sessions can run (shell, claude, codex, gemini…)');
  withConnection(group.command('list').alias('ls').description('list providers with whether each is installed')).action(async (flags: CommonFlags) =>
    withClient(flags, async ({ client }) => {
      const list = await client.listProviders();
      if (flags.json) printJson({ providers: list });
      else printTable(list, COLUMNS, 'No providers.');
    }),
  );
}
