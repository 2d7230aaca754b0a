import { InvalidArgumentError, type Command } from 'commander';
import { apiError, connect, type Connection, type ConnectionFlags } from '../client.js';

/** Flags every admin command shares. */
export interface CommonFlags extends ConnectionFlags {
  json?: boolean;
}

/** Adds `--url`, `--token` and (unless `json` is false) `--json` to a command. */
export function withConnection(cmd: Command, json = true): Command {
  cmd
    .option('--url <url>', 'gateway URL (OPENDRAY_URL; default: the last login, else http://127.0.0.1:8770)')
    .option('--token <token>', 'admin token or API key (OPENDRAY_TOKEN; default: the saved login)');
  if (json) cmd.option('--json', 'machine-readable JSON output');
  return cmd;
}

/**
 * Runs `fn` with a connected client; SDK failures become the one-line error of
 * `apiError` (exit 1). Usage errors thrown by parsers keep their exit code 2.
 */
export async function withClient<T>(flags: ConnectionFlags, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connect(flags);
  try {
    return await fn(conn);
  } catch (err) {
    throw apiError(err, conn);
  }
}

/** A commander parser for an integer in `[min, max]` (a bad value is a usage error, exit 2). */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A commander parser for one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}.`);
    return value as T;
  };
}

/** A commander collector for a repeatable option (`--scope a --scope b`, or `--scope a,b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  return [...(previous ?? []), ...parts];
}
