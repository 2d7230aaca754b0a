import type { Command } from 'commander';

const GLOBAL_FLAGS = ['url', 'token', 'json'] as const;

/**
 * Lets `--url`, `--token` and `--json` come before the sub-command too
 * (`opendray --json sessions list`), as `gh`, `docker` and `kubectl` users expect: they
 * are declared on the program and copied onto the command that runs, where its own
 * (later) value wins.
 */
export function acceptGlobalFlags(program: Command): void {
  program
    .option('--url <url>', 'gateway URL (OPENDRAY_URL; default: the last login, else http://127.0.0.1:8770)')
    .option('--token <token>', 'admin token or API key (OPENDRAY_TOKEN; default: the saved login)')
    .option('--json', 'machine-readable JSON output');
  program.hook('preAction', (root, command) => {
    activeCommand = command;
    const globals = root.opts<Record<string, unknown>>();
    for (const key of GLOBAL_FLAGS) {
      if (globals[key] === undefined || command.getOptionValue(key) !== undefined) continue;
      if (!command.options.some((o) => o.attributeName() === key)) continue;
      command.setOptionValue(key, globals[key]);
    }
  });
}

let activeCommand: Command | undefined;

/**
 * The flag of the running command that sets a JSON field (`route_prefix` →
 * `--route-prefix`), so a gateway's validation message names what the user typed.
 */
export function flagForField(field: string): string | undefined {
  const long = `--${field.replace(/_/g, '-')}`;
  return activeCommand?.options.find((o) => o.long === long || o.long === `${long}s`)?.long;
}
